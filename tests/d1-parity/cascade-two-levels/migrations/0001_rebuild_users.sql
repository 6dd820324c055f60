PRAGMA defer_foreign_keys = ON;
CREATE TABLE users_new (id INTEGER PRIMARY KEY, email TEXT NOT NULL, age INTEGER);
INSERT INTO users_new (id, email, age) SELECT id, email, CAST(age AS INTEGER) FROM users;
DROP TABLE users;
ALTER TABLE users_new RENAME TO users;
