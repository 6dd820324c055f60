-- migrate-dryrun: allow delete-without-where
DELETE FROM sessions;
DROP TABLE audit;
PRAGMA foreign_keys = OFF;
