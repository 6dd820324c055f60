CREATE VIEW mails AS SELECT mail FROM users;
INSERT INTO users (id, mail) SELECT 3, mail FROM contacts WHERE id = 1;
