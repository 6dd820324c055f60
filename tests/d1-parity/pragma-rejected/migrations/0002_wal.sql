PRAGMA journal_mode = WAL;
CREATE TABLE u (x);
