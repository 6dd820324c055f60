CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT, name TEXT);
INSERT INTO users VALUES (1, 'a@x', 'A'), (2, 'b@x', NULL);
CREATE VIEW contacts AS SELECT id, email FROM users WHERE email IS NOT NULL;
