#!/usr/bin/env bash
# migrate-dryrun --postgres on a generated ~1 GiB PostgreSQL database with Supabase's
# migration history, against the floor it cannot beat, in one run:
#
#   fresh server:  initdb + start of an empty local server (bulwark-pg's settings)
#   copy:          pg_dump -Fc -Z0 | pg_restore --no-owner --no-acl into it (uncompressed:
#                  pg_dump's gzip would only slow a pipe down)
#   migration:     psql -1 -f of the pending migration, plus its history row
#   ours:          migrate-dryrun --postgres --migrations DIR --format json
#                  (throw-away server, read-only snapshot copy, history, per-migration
#                  apply as `supabase db push` does, row counts and schema before and
#                  after, lints)
#
# and the same with --schema-only (floor: pg_dump -Fc -Z0 --schema-only, plus the
# history's rows). Target: ours <= 1.5x the floor (fresh server + copy + migration).
# Each side runs RUNS times (default 2), alternating which goes first; the best time
# counts. The source is a local server this script starts (initdb once into
# bench/.cache/pg-dryrun-SIZE, Unix socket only, as nobody when root), stopped when the
# script exits; its history is checked unchanged afterwards (the dry run never writes
# production).
#
#   bash bench/migrate-dryrun-pg.sh
#   SIZE_MB=64 RUNS=1 bash bench/migrate-dryrun-pg.sh
#   BIN=/path/to/release/migrate-dryrun bash bench/migrate-dryrun-pg.sh
#
# Needs PostgreSQL's programs (Debian `postgresql`; tests/setup.sh installs them) and cargo.
# migrate-dryrun's throw-away server lives in $TMPDIR (as nobody when root, so it must be
# reachable by nobody).
#
# Last numbers (2026-12-01 23:41-23:48 UTC, 2 shared vCPUs, load average 21-23 from other
# sessions' builds and benches, 996 MiB on disk: 4.67M events, 117k users; release build):
#   SIZE_MB=1024 RUNS=2 BIN=<release>/migrate-dryrun bash bench/migrate-dryrun-pg.sh
#   floor                 83.30 s (fresh server 2.91 + pg_dump -Z0 | pg_restore 54.42 +
#                         migration 25.97)
#   migrate-dryrun        97.07 s: 1.17x the floor (per run 1.10x, 1.17x)
#   schema-only floor      3.89 s (fresh server 3.22 + copy 0.53 + migration 0.14)
#   --schema-only          5.21 s: 1.34x its floor
# The difference is the row counts before and after (a scan of every table each), the
# schema reads, the per-migration session and the report. An earlier run with pg_dump's
# default gzip in the floor (load 11-16): floor 137.56 s, migrate-dryrun 84.83 s (0.62x):
# the floor must not compress what only goes through a pipe.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cache="$root/bench/.cache"
size_mb="${SIZE_MB:-1024}"
runs="${RUNS:-2}"
mkdir -p "$cache"
# shellcheck source=bench/pg-server.sh
. "$root/bench/pg-server.sh"

home="$cache/pg-dryrun-${size_mb}m"
work="$(mktemp -d "$cache/dryrun.XXXXXX")"
chmod 0755 "$work"
trap 'pg_stop_all; rm -rf "$work"' EXIT
pg_source "$home"

# Supabase's layout: migrations named <timestamp>_<name>.sql, the applied ones recorded in
# supabase_migrations.schema_migrations. Two applied, one pending that touches the big
# table as real migrations do (a column with a default, an index, an update).
migrations="$work/migrations"
mkdir -p "$migrations"
cat > "$migrations/20240101000000_users.sql" <<'SQL'
CREATE TABLE public.users (id bigint PRIMARY KEY, email text NOT NULL UNIQUE, name text,
  created_at timestamptz NOT NULL);
SQL
cat > "$migrations/20240102000000_events.sql" <<'SQL'
CREATE TABLE public.events (id bigint PRIMARY KEY, user_id bigint NOT NULL REFERENCES public.users (id),
  kind text NOT NULL, payload text NOT NULL, created_at timestamptz NOT NULL);
CREATE INDEX events_user ON public.events (user_id, created_at);
SQL
pending="$migrations/20240301000000_events_processed.sql"
cat > "$pending" <<'SQL'
ALTER TABLE public.events ADD COLUMN processed boolean NOT NULL DEFAULT false;
CREATE INDEX events_kind ON public.events (kind, created_at);
UPDATE public.users SET name = upper(name) WHERE id % 50 = 0;
SQL
history_row() { # version name file
  printf "INSERT INTO supabase_migrations.schema_migrations (version, name, statements) VALUES ('%s', '%s', ARRAY[\$m\$%s\$m\$]);\n" \
    "$1" "$2" "$(cat "$3")"
}

if [ "$fresh" -eq 1 ]; then
  echo "bench: generating a ~${size_mb} MiB database (once)" >&2
  # ~230 bytes an event row with its index share, as in bench/db-backup-pg.sh.
  rows=$(( size_mb * 1024 * 1024 / 230 ))
  users=$(( rows / 40 + 1 ))
  "$pgbin/psql" -X -q -v ON_ERROR_STOP=1 <<SQL
CREATE SCHEMA supabase_migrations;
CREATE TABLE supabase_migrations.schema_migrations (version text NOT NULL PRIMARY KEY,
  statements text[], name text);
$(cat "$migrations/20240101000000_users.sql")
$(cat "$migrations/20240102000000_events.sql")
$(history_row 20240101000000 users "$migrations/20240101000000_users.sql")
$(history_row 20240102000000 events "$migrations/20240102000000_events.sql")
INSERT INTO public.users SELECT g, 'user' || g || '@example.com', 'user ' || g,
  timestamptz '2023-11-14 22:13:20+00' + g * interval '1 second' FROM generate_series(1, $users) g;
INSERT INTO public.events SELECT g, 1 + g % $users, (ARRAY['login','purchase','view','logout'])[1 + g % 4],
  md5(random()::text) || md5(g::text) || '-session-metadata-v1-' || (g % 977),
  timestamptz '2023-11-14 22:13:20+00' + g * interval '1 second'
FROM generate_series(1, $rows) g;
VACUUM ANALYZE;
SQL
fi
bytes=$("$pgbin/psql" -X -A -t -c 'SELECT pg_database_size(current_database())')
history_before=$("$pgbin/psql" -X -A -t -c 'SELECT string_agg(version, $$,$$ ORDER BY version) FROM supabase_migrations.schema_migrations')

bin=$(release_bin migrate-dryrun)

now() { date +%s.%N; }
min() { if [ -z "$1" ] || awk "BEGIN{exit !($2 < $1)}"; then echo "$2"; else echo "$1"; fi; }
elapsed() { awk "BEGIN{print $2 - $1}"; }

# The floor, its three steps timed apart: sets result to "START COPY MIGRATE" seconds.
# $1: pg_dump's extra options (--schema-only).
floor() {
  local dir="$work/floor" t0 t1 t2 t3
  sync
  t0=$(now)
  pg_fresh "$dir"
  t1=$(now)
  # shellcheck disable=SC2086
  "$pgbin/pg_dump" --format=custom --compress=0 $1 | PGHOST="$dir" PGUSER=bulwark \
    "$pgbin/pg_restore" --no-owner --no-acl --exit-on-error -d postgres
  if [ -n "$1" ]; then
    "$pgbin/pg_dump" --format=custom --compress=0 --data-only --table=supabase_migrations.schema_migrations \
      | PGHOST="$dir" PGUSER=bulwark "$pgbin/pg_restore" --no-owner --no-acl --exit-on-error -d postgres
  fi
  t2=$(now)
  { cat "$pending"; history_row 20240301000000 events_processed "$pending"; } \
    | PGHOST="$dir" PGUSER=bulwark "$pgbin/psql" -X -q -v ON_ERROR_STOP=1 -1 -d postgres > /dev/null
  t3=$(now)
  pg_drop "$dir" "$fresh_pid"
  result="$(elapsed "$t0" "$t1") $(elapsed "$t1" "$t2") $(elapsed "$t2" "$t3")"
}

# Sets result to migrate-dryrun's seconds; $1: its extra options. Its report must say ok, with the
# pending migration ok and the two others already applied.
ours() {
  local t0 t1 status=0
  sync
  t0=$(now)
  # shellcheck disable=SC2086
  DATABASE_URL="postgres://bench@/postgres?host=$home" "$bin" --postgres --migrations "$migrations" \
    --format json $1 > "$work/report.json" || status=$?
  t1=$(now)
  if [ "$status" -ne 0 ] || ! grep -q '"verdict": *"ok"' "$work/report.json"; then
    echo "bench: migrate-dryrun $1 exited $status" >&2
    cat "$work/report.json" >&2
    exit 1
  fi
  result=$(elapsed "$t0" "$t1")
}

best_floor=""; best_ours=""; best_sfloor=""; best_sours=""; parts=""; sparts=""
for i in $(seq "$runs"); do
  if [ $((i % 2)) -eq 1 ]; then
    floor ""; f=$result; ours ""; o=$result
  else
    ours ""; o=$result; floor ""; f=$result
  fi
  floor --schema-only; sf=$result; ours --schema-only; so=$result
  ft=$(echo "$f" | awk '{print $1 + $2 + $3}'); sft=$(echo "$sf" | awk '{print $1 + $2 + $3}')
  echo "run $i: floor ${ft}s (start, copy, migrate: $f), migrate-dryrun ${o}s; schema-only floor ${sft}s ($sf), --schema-only ${so}s (load $(cut -d' ' -f1 /proc/loadavg))" >&2
  if [ -z "$best_floor" ] || awk "BEGIN{exit !($ft < $best_floor)}"; then best_floor=$ft; parts=$f; fi
  if [ -z "$best_sfloor" ] || awk "BEGIN{exit !($sft < $best_sfloor)}"; then best_sfloor=$sft; sparts=$sf; fi
  best_ours=$(min "$best_ours" "$o"); best_sours=$(min "$best_sours" "$so")
done

history_after=$("$pgbin/psql" -X -A -t -c 'SELECT string_agg(version, $$,$$ ORDER BY version) FROM supabase_migrations.schema_migrations')
column=$("$pgbin/psql" -X -A -t -c "SELECT count(*) FROM information_schema.columns WHERE table_name = 'events' AND column_name = 'processed'")
if [ "$history_before" != "$history_after" ] || [ "$column" != "0" ]; then
  echo "bench: the source database changed!" >&2
  exit 1
fi

awk -v b="$bytes" -v f="$best_floor" -v p="$parts" -v o="$best_ours" -v sf="$best_sfloor" \
    -v sp="$sparts" -v so="$best_sours" -v cores="$(nproc)" 'BEGIN {
  split(p, part, " "); split(sp, spart, " ")
  printf "database:                       %.0f MiB on disk (%d cores)\n", b / 1048576, cores
  printf "floor:                          %6.2f s  (fresh server %.2f + pg_dump | pg_restore %.2f + migration %.2f)\n", f, part[1], part[2], part[3]
  printf "migrate-dryrun --postgres:      %6.2f s  %.2fx the floor (target <= 1.5x)\n", o, o / f
  printf "schema-only floor:              %6.2f s  (fresh server %.2f + copy %.2f + migration %.2f)\n", sf, spart[1], spart[2], spart[3]
  printf "migrate-dryrun --schema-only:   %6.2f s  %.2fx its floor\n", so, so / sf
  exit (o / f <= 1.5 ? 0 : 1)
}'
