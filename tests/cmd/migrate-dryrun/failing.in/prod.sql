PRAGMA defer_foreign_keys=TRUE;
CREATE TABLE d1_migrations(
		id         INTEGER PRIMARY KEY AUTOINCREMENT,
		name       TEXT UNIQUE,
		applied_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL
);
INSERT INTO "d1_migrations" VALUES(1,'0001_users.sql','2026-11-01 10:00:00');
CREATE TABLE IF NOT EXISTS users (id INTEGER PRIMARY KEY, email TEXT NOT NULL);
INSERT INTO "users" VALUES(1,'a@example.com');
CREATE TABLE legacy_orders (id INTEGER PRIMARY KEY, owner INTEGER);
INSERT INTO "legacy_orders" VALUES(10,1);
INSERT INTO "legacy_orders" VALUES(11,2);
DELETE FROM sqlite_sequence;
INSERT INTO "sqlite_sequence" VALUES('d1_migrations',1);
