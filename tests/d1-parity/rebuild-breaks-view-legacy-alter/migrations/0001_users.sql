CREATE TABLE users (id INTEGER PRIMARY KEY, age TEXT, mail TEXT);
CREATE VIEW mails AS SELECT id, mail FROM users;
INSERT INTO users VALUES (1, '30', 'a@x');
