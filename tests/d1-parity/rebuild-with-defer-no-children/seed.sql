CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT, age TEXT);
INSERT INTO users VALUES (1, 'a@x', '31'), (2, 'b@x', '42');
CREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER REFERENCES users(id));
