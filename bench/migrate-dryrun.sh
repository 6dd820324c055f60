#!/usr/bin/env bash
# Benchmark: migrate-dryrun on a generated 1 GiB snapshot, against the floor it cannot
# beat: copying the same file with `sqlite3 .backup` plus running the pending migration
# with `sqlite3` on that copy. Target (issue 14): migrate-dryrun's total time <= 1.3x that
# floor, with every check it makes (row counts, per-statement watch, time bound, checks).
#
#   bash bench/migrate-dryrun.sh            # SIZE_MB=1024 by default
#   SIZE_MB=256 bash bench/migrate-dryrun.sh
#
# The generated snapshot is cached in bench/.cache (gitignored); delete it to regenerate.
# Needs: sqlite3, cargo. Builds the release binary (CARGO_TARGET_DIR is honoured), or
# uses MIGRATE_DRYRUN=/path/to/migrate-dryrun.
#
# Last numbers (2026-12-02, 2 shared vCPUs, release build of 76176b3, 1027 MiB, two runs;
# the load is the 1-minute average before -> after each run):
#   load 6.0 -> 5.0: floor 12.90 s (.backup 6.21 s + migration 6.69 s); migrate-dryrun
#     11.70 s, 0.91x
#   load 5.0 -> 4.8: floor 14.85 s (.backup 6.46 s + migration 8.39 s); migrate-dryrun
#     11.97 s, 0.81x
#   right after, main's binary (0a4d1df), load 4.8 -> 3.5: floor 12.21 s, 16.43 s, 1.35x.
# Where the time went before (perf, main's binary): the backup-API copy was the largest
# phase (about 4 s of CPU), then the migration, then the checks of the touched tables
# (foreign_key_check of the changed table and quick_check: about 3 s), then unlinking the
# copy (0.5 s). Row counts cost nothing here (no statement can delete, so no table is
# counted) and the per-migration time bound is one sleeping thread. A rollback-journal
# snapshot is now copied as a file (copy_file_range) under a read transaction; every
# check after the copy is unchanged.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

size_mb="${SIZE_MB:-1024}"
cache="bench/.cache/migrate-dryrun"
snapshot="$cache/snapshot-${size_mb}m.sqlite"
migrations="$cache/migrations"
target_dir="${CARGO_TARGET_DIR:-target}"
bin="$target_dir/release/migrate-dryrun"
mkdir -p "$cache"

command -v sqlite3 >/dev/null || { echo "bench: sqlite3 is required" >&2; exit 2; }

if [ -n "${MIGRATE_DRYRUN:-}" ]; then
  bin="$MIGRATE_DRYRUN"   # an already built binary, e.g. while the workspace does not build
else
  echo "== building migrate-dryrun (release)" >&2
  cargo build --quiet --release --bin migrate-dryrun
fi

# The migrations: two applied (recorded in the snapshot), one pending that touches the
# big table the way real migrations do (a column with a default, an index, an update).
mkdir -p "$migrations"
cat >"$migrations/0001_users.sql" <<'SQL'
CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE, name TEXT, created_at TEXT NOT NULL);
SQL
cat >"$migrations/0002_events.sql" <<'SQL'
CREATE TABLE events (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users(id), kind TEXT NOT NULL, payload TEXT NOT NULL, at TEXT NOT NULL);
CREATE INDEX events_by_user ON events(user_id);
SQL
cat >"$migrations/0003_events_kind.sql" <<'SQL'
ALTER TABLE events ADD COLUMN processed INTEGER NOT NULL DEFAULT 0;
CREATE INDEX events_by_kind ON events(kind, at);
UPDATE users SET name = upper(name) WHERE id % 50 = 0;
SQL

if [ ! -f "$snapshot" ]; then
  echo "== generating a ${size_mb} MiB snapshot in $snapshot (once)" >&2
  rows=$((size_mb * 1024 * 1024 / 271))
  users=$((rows / 40 + 1))
  tmp="$snapshot.tmp"
  rm -f "$tmp"
  sqlite3 "$tmp" >/dev/null <<SQL
PRAGMA journal_mode = OFF;
PRAGMA synchronous = OFF;
PRAGMA cache_size = -262144;
CREATE TABLE d1_migrations(
		id         INTEGER PRIMARY KEY AUTOINCREMENT,
		name       TEXT UNIQUE,
		applied_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL
);
INSERT INTO d1_migrations (name) VALUES ('0001_users.sql'), ('0002_events.sql');
$(cat "$migrations/0001_users.sql")
$(cat "$migrations/0002_events.sql")
BEGIN;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $users)
INSERT INTO users SELECT i, 'user' || i || '@example.com', 'user ' || i, datetime(1700000000 + i, 'unixepoch') FROM n;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $rows)
INSERT INTO events SELECT i, 1 + (i % $users), 'kind-' || (i % 17), printf('%.200c', char(97 + i % 26)), datetime(1700000000 + i, 'unixepoch') FROM n;
COMMIT;
SQL
  mv "$tmp" "$snapshot"
fi
bytes=$(stat -c %s "$snapshot")
echo "== snapshot: $snapshot ($((bytes / 1024 / 1024)) MiB)" >&2

now() { date +%s.%N; }
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# Warm the page cache the same way for both sides.
cat "$snapshot" >/dev/null

t0=$(now)
sqlite3 "$snapshot" ".backup '$work/copy.sqlite'"
t1=$(now)
sqlite3 "$work/copy.sqlite" <"$migrations/0003_events_kind.sql"
t2=$(now)
rm -f "$work/copy.sqlite"

sha_before=$(sha256sum "$snapshot" | cut -d' ' -f1)
t3=$(now)
status=0
# --timeout: the time bound stays armed (the same work), but a loaded machine must not
# stop the 1 GiB index build at D1's 30 s.
"$bin" --snapshot "$snapshot" --migrations "$migrations" --timeout 600 --format json >"$work/report.json" || status=$?
t4=$(now)
sha_after=$(sha256sum "$snapshot" | cut -d' ' -f1)
[ "$sha_before" = "$sha_after" ] || { echo "bench: the snapshot changed!" >&2; exit 1; }
[ "$status" -eq 0 ] || { echo "bench: migrate-dryrun exited $status" >&2; cat "$work/report.json" >&2; exit 1; }

load_after=$(cut -d' ' -f1-3 /proc/loadavg)
awk -v load="$load_before -> $load_after" -v b="$t0" -v c="$t1" -v m="$t2" -v s="$t3" -v e="$t4" -v mb="$((bytes / 1024 / 1024))" 'BEGIN {
  backup = c - b; migrate = m - c; floor = backup + migrate; ours = e - s;
  printf "snapshot            %d MiB\n", mb;
  printf "load (1/5/15 min)   %s\n", load;
  printf "sqlite3 .backup     %.2f s\n", backup;
  printf "migration (sqlite3) %.2f s\n", migrate;
  printf "floor (sum)         %.2f s\n", floor;
  printf "migrate-dryrun      %.2f s\n", ours;
  printf "ratio               %.2fx (target <= 1.3x)\n", ours / floor;
  exit (ours / floor <= 1.3) ? 0 : 1
}'
