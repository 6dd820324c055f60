-- Fails only when the FTS5 table's rows came through the export: two hits titled 'b'.
CREATE TABLE doc_titles AS SELECT title FROM docs WHERE docs MATCH 'kenobi';
CREATE UNIQUE INDEX doc_titles_title ON doc_titles (title);
