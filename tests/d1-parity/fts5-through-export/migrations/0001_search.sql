-- The trigger feeds the external-content index; the search needs the exported content.
INSERT INTO posts (title, body) VALUES ('third', 'kenobi again');
CREATE TABLE post_hits AS SELECT rowid AS id FROM posts_fts WHERE posts_fts MATCH 'kenobi';
CREATE INDEX posts_body ON posts (body);
