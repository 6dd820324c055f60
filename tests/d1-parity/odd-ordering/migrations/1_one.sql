CREATE TABLE seq (n);
