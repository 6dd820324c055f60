-- a comment; with a semicolon
CREATE TABLE t (id INTEGER PRIMARY KEY, s TEXT DEFAULT 'x;y', "odd;name" TEXT);
/* block; comment; */
INSERT INTO t (s) VALUES ('it''s; fine'); -- trailing; comment
INSERT INTO t (s, "odd;name") VALUES ('--not a comment', '/* nor this */');
