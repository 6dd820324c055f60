PRAGMA legacy_alter_table = ON;
CREATE TABLE users_new (id INTEGER PRIMARY KEY, age INTEGER);
INSERT INTO users_new SELECT id, CAST(age AS INTEGER) FROM users;
DROP TABLE users;
ALTER TABLE users_new RENAME TO users;
