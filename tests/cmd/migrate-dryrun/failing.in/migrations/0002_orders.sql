-- Orders reference users; one existing order points at a user that is gone.
CREATE TABLE orders (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users(id));
INSERT INTO orders (id, user_id) SELECT id, owner FROM legacy_orders;
