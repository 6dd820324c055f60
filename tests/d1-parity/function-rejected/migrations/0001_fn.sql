CREATE TABLE t (v TEXT);
INSERT INTO t VALUES (sqlite_version());
