CREATE TABLE posts (id INTEGER PRIMARY KEY AUTOINCREMENT, title TEXT NOT NULL, body TEXT);
CREATE INDEX posts_title ON posts (title);
CREATE VIEW titles AS SELECT title FROM posts;
CREATE VIRTUAL TABLE posts_fts USING fts5 (title, body, content = 'posts', content_rowid = 'id');
CREATE TRIGGER posts_ai AFTER INSERT ON posts BEGIN
  INSERT INTO posts_fts (rowid, title, body) VALUES (new.id, new.title, new.body);
END;
CREATE VIRTUAL TABLE docs USING fts5 (title, body);
INSERT INTO posts (title, body) VALUES ('first', 'hello there'), ('second', 'general kenobi');
INSERT INTO docs VALUES ('a', 'hello world'), ('b', 'kenobi'), ('b', 'kenobi again');
