CREATE TABLE users (id INTEGER PRIMARY KEY, mail TEXT);
CREATE VIEW user_mails AS SELECT id, mail FROM users;
