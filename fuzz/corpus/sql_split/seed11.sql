PRAGMA defer_foreign_keys = ON;
INSERT INTO child VALUES (1, 99);
CREATE TABLE other (x);
