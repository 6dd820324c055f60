#!/usr/bin/env bash
# db-backup's PostgreSQL export and verify against the tools they replace, on the same
# ~1 GiB database, in one run:
#
#   pg_dump -Fc:   pg_dump --format=custom > OUT            (its own gzip, no encryption)
#   pipeline:      pg_dump | zstd -3 -T0 | age -r KEY > OUT (plain SQL, as hand-written cron scripts do)
#   ours:          db-backup export --postgres --out DIR --recipient KEY
#                  (custom format through zstd + age, snapshot row counts, manifest, fsync)
#   verify:        db-backup verify DIR (throw-away server, pg_restore, row counts)
#
# Target: ours >= 0.8x the pipeline's throughput. Each side runs RUNS times (default 3),
# alternating which goes first; the best time counts. The source is a local server this
# script starts (initdb once into bench/.cache/pg-SIZE, Unix socket only, as nobody when
# root), stopped when the script exits.
#
#   bash bench/db-backup-pg.sh
#   SIZE_MB=256 RUNS=1 bash bench/db-backup-pg.sh
#   BIN=/path/to/release/db-backup bash bench/db-backup-pg.sh
#
# Needs PostgreSQL's programs (Debian `postgresql`), zstd, age, age-keygen (tests/setup.sh
# installs them) and cargo. verify's throw-away server lives in $TMPDIR (as nobody when
# root, so it must be reachable by nobody).
#
# Last numbers (2026-12-01, 2 shared vCPUs, load ~4 from other sessions, RUNS=1, 1047 MiB
# on disk; release build without LTO): pg_dump -Fc 21.1 s (49.5 MiB/s), pipeline 6.97 s
# (150 MiB/s), db-backup export 8.64 s (121 MiB/s): 0.81x the pipeline, 2.45x pg_dump -Fc;
# verify 16.8 s. An earlier run under the same load: 0.78x.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cache="$root/bench/.cache"
size_mb="${SIZE_MB:-1024}"
runs="${RUNS:-3}"
mkdir -p "$cache"
key="$cache/db-backup-bench-key.txt"
pgbin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
[ -x "$pgbin/initdb" ] || { echo "bench: PostgreSQL is missing (apt-get install postgresql)" >&2; exit 2; }
for tool in zstd age age-keygen; do
  command -v "$tool" >/dev/null || { echo "bench: $tool is missing (run tests/setup.sh)" >&2; exit 2; }
done

# The server's home: the data directory is kept between runs, the socket is not.
home="$cache/pg-${size_mb}m"
as_server=()
if [ "$(id -u)" -eq 0 ]; then
  as_server=(setpriv --reuid=nobody --regid=nogroup --clear-groups --)
fi
fresh=0
if [ ! -d "$home/data" ]; then
  mkdir -p "$home"
  [ "$(id -u)" -eq 0 ] && chown nobody:nogroup "$home" && chmod 0700 "$home"
  "${as_server[@]}" "$pgbin/initdb" -D "$home/data" -U bench --auth=trust --no-sync -E UTF8 --no-locale > /dev/null
  fresh=1
fi
"${as_server[@]}" "$pgbin/postgres" -D "$home/data" -k "$home" -c listen_addresses= \
  -c fsync=off -c max_wal_size=4GB > "$home/log" 2>&1 &
server=$!
work="$(mktemp -d "$cache/run.XXXXXX")"
trap 'kill -INT $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$work"' EXIT
export PGHOST="$home" PGUSER=bench PGDATABASE=postgres
for _ in $(seq 100); do "$pgbin/psql" -X -q -c 'SELECT 1' > /dev/null 2>&1 && break; sleep 0.1; done

if [ "$fresh" -eq 1 ]; then
  echo "bench: generating a ~${size_mb} MiB database (once)" >&2
  # ~200 bytes a row with its index share: ints, a repetitive kind, half-random hex payload
  # (compresses ~2x, like real rows), a timestamp; an index on (user_id, created_at).
  rows=$(( size_mb * 1024 * 1024 / 200 ))
  "$pgbin/psql" -X -q -v ON_ERROR_STOP=1 <<SQL
CREATE TABLE events (id bigserial PRIMARY KEY, user_id int NOT NULL, kind text NOT NULL,
  payload text NOT NULL, created_at timestamptz NOT NULL);
INSERT INTO events (user_id, kind, payload, created_at)
SELECT g % 50000, (ARRAY['login','purchase','view','logout'])[1 + g % 4],
       md5(random()::text) || md5(g::text) || '-session-metadata-v1-' || (g % 977),
       timestamptz '2023-11-14 22:13:20+00' + g * interval '1 second'
FROM generate_series(1, $rows) g;
CREATE INDEX events_user ON events (user_id, created_at);
VACUUM ANALYZE events;
SQL
fi
bytes=$("$pgbin/psql" -X -A -t -c 'SELECT pg_database_size(current_database())')
[ -f "$key" ] || age-keygen -o "$key" 2>/dev/null
recipient="$(age-keygen -y "$key")"

if [ -n "${BIN:-}" ]; then
  bin="$BIN" # an already built release binary
else
  echo "bench: building db-backup (release)" >&2
  (cd "$root" && cargo build --release --quiet --bin db-backup)
  bin="${CARGO_TARGET_DIR:-$root/target}/release/db-backup"
fi
export BULWARK_PG_DUMP="$pgbin/pg_dump" BULWARK_PSQL="$pgbin/psql" BULWARK_PG_RESTORE="$pgbin/pg_restore"

now() { date +%s.%N; }
min() { if [ -z "$1" ] || awk "BEGIN{exit !($2 < $1)}"; then echo "$2"; else echo "$1"; fi; }
timed() {
  sync
  local t0 t1
  t0=$(now); "$@"; t1=$(now)
  awk "BEGIN{print $t1 - $t0}"
}
fc() { "$pgbin/pg_dump" --format=custom > "$work/alone.pgdump"; }
pipeline() { "$pgbin/pg_dump" | zstd -q -3 -T0 | age -r "$recipient" > "$work/pipe.sql.zst.age"; }
ours() {
  rm -rf "$work/out"
  DATABASE_URL="postgres://bench@/postgres?host=$home" \
    "$bin" export -q --postgres --out "$work/out" --name bench --recipient "$recipient" > /dev/null
}
verify_out() { "$bin" verify -q "$work/out" --identity "$key" > /dev/null; }

best_fc=""; best_pipe=""; best_ours=""; best_verify=""
for i in $(seq "$runs"); do
  if [ $((i % 2)) -eq 1 ]; then
    pipe=$(timed pipeline); ours_s=$(timed ours)
  else
    ours_s=$(timed ours); pipe=$(timed pipeline)
  fi
  alone=$(timed fc)
  verify=$(timed verify_out)
  best_fc=$(min "$best_fc" "$alone"); best_pipe=$(min "$best_pipe" "$pipe")
  best_ours=$(min "$best_ours" "$ours_s"); best_verify=$(min "$best_verify" "$verify")
  echo "run $i: pg_dump -Fc ${alone}s, pipeline ${pipe}s, db-backup export ${ours_s}s, verify ${verify}s (load $(cut -d' ' -f1 /proc/loadavg))" >&2
done

awk -v b="$bytes" -v f="$best_fc" -v p="$best_pipe" -v o="$best_ours" -v v="$best_verify" \
    -v fs="$(stat -c %s "$work/alone.pgdump")" -v ps="$(stat -c %s "$work/pipe.sql.zst.age")" \
    -v os="$(stat -c %s "$work"/out/bench-*.age)" -v cores="$(nproc)" 'BEGIN {
  mib = b / 1048576
  printf "database:                               %.0f MiB on disk (%d cores)\n", mib, cores
  printf "pg_dump -Fc alone:                      %6.2f s  %7.1f MiB/s  -> %.1f MiB\n", f, mib / f, fs / 1048576
  printf "pipeline (pg_dump | zstd -T0 | age):    %6.2f s  %7.1f MiB/s  -> %.1f MiB\n", p, mib / p, ps / 1048576
  printf "db-backup export --postgres:            %6.2f s  %7.1f MiB/s  -> %.1f MiB\n", o, mib / o, os / 1048576
  printf "db-backup verify (restore + counts):    %6.2f s  %7.1f MiB/s\n", v, mib / v
  ratio = p / o
  printf "export throughput vs pipeline: %.2fx (target >= 0.80x): %s\n", ratio, (ratio >= 0.8 ? "PASS" : "FAIL")
  printf "export throughput vs pg_dump -Fc alone: %.2fx\n", f / o
  exit (ratio >= 0.8 ? 0 : 1)
}'
