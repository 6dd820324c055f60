CREATE TRIGGER notes_audit AFTER UPDATE ON notes
BEGIN
  INSERT INTO log VALUES (new.id, 'updated; body');
  UPDATE notes SET updated_at = datetime('now') WHERE id = new.id;
END;
INSERT INTO notes (id, body) VALUES (1, 'a');
UPDATE notes SET body = 'b' WHERE id = 1;
