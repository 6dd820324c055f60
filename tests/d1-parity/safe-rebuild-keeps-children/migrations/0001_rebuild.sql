CREATE TABLE users_new (id INTEGER PRIMARY KEY, email TEXT NOT NULL, age INTEGER);
INSERT INTO users_new SELECT id, email, CAST(age AS INTEGER) FROM users;
CREATE TABLE posts_new (id INTEGER PRIMARY KEY, user_id INTEGER REFERENCES users_new(id) ON DELETE CASCADE);
INSERT INTO posts_new SELECT id, user_id FROM posts;
DROP TABLE posts;
DROP TABLE users;
ALTER TABLE users_new RENAME TO users;
ALTER TABLE posts_new RENAME TO posts;
