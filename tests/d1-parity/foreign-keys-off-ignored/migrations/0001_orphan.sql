PRAGMA foreign_keys = OFF;
INSERT INTO child VALUES (1, 99);
