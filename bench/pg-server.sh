# Sourced by bench/db-backup-pg.sh and bench/migrate-dryrun-pg.sh: local PostgreSQL servers
# for the PostgreSQL benchmarks, on a Unix socket only, run as nobody when we are root (as
# bulwark-pg runs its throw-away servers).
#
#   pg_source DIR        starts the cached source server whose home is DIR (initdb on first
#                        use, then sets fresh=1); exports PGHOST, PGUSER=bench, PGDATABASE
#   pg_fresh DIR         initdb + start of an empty server in DIR (a new directory), with
#                        the settings of bulwark-pg's throw-away server; its pid in
#                        $fresh_pid, its socket directory is DIR (superuser `bulwark`)
#   pg_drop DIR PID      stops that server and removes DIR
#   pg_stop_all          stops every server still running (call it from the EXIT trap)
#   release_bin NAME     prints the path of Bulwark's binary NAME: $BIN when set (an already
#                        built one), else a release build of it (CARGO_TARGET_DIR honoured)
#
# It points Bulwark at the same PostgreSQL programs (BULWARK_PG_DUMP and the others).

pgbin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
[ -x "$pgbin/initdb" ] || { echo "bench: PostgreSQL is missing (apt-get install postgresql)" >&2; exit 2; }
export BULWARK_PG_DUMP="$pgbin/pg_dump" BULWARK_PSQL="$pgbin/psql" \
  BULWARK_PG_RESTORE="$pgbin/pg_restore" BULWARK_INITDB="$pgbin/initdb" BULWARK_POSTGRES="$pgbin/postgres"
as_server=()
if [ "$(id -u)" -eq 0 ]; then
  as_server=(setpriv --reuid=nobody --regid=nogroup --clear-groups --)
fi
pg_pids=()

# A directory the server's user owns, 0700.
pg_own_dir() {
  mkdir -p "$1"
  if [ "$(id -u)" -eq 0 ]; then chown nobody:nogroup "$1"; fi
  chmod 0700 "$1"
}

# Waits until the server whose socket is in $1 answers.
pg_wait() {
  for _ in $(seq 300); do
    PGHOST="$1" "$pgbin/psql" -X -q -d postgres -c 'SELECT 1' > /dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "bench: the server in $1 did not start" >&2
  return 1
}

pg_source() {
  local home="$1"
  fresh=0
  if [ ! -d "$home/data" ]; then
    pg_own_dir "$home"
    "${as_server[@]}" "$pgbin/initdb" -D "$home/data" -U bench --auth=trust --no-sync -E UTF8 \
      --no-locale > /dev/null
    fresh=1
  fi
  "${as_server[@]}" "$pgbin/postgres" -D "$home/data" -k "$home" -c listen_addresses= \
    -c fsync=off -c max_wal_size=4GB > "$home/log" 2>&1 &
  pg_pids+=($!)
  export PGHOST="$home" PGUSER=bench PGDATABASE=postgres
  pg_wait "$home"
}

# The same initdb options and server settings as bulwark-pg's LocalServer.
pg_fresh() {
  local dir="$1"
  pg_own_dir "$dir"
  "${as_server[@]}" "$pgbin/initdb" -D "$dir/data" -U bulwark --auth=trust --no-sync -E UTF8 \
    --no-locale > /dev/null
  "${as_server[@]}" "$pgbin/postgres" -D "$dir/data" -k "$dir" -c listen_addresses= \
    -c unix_socket_permissions=0700 -c fsync=off -c synchronous_commit=off \
    -c full_page_writes=off -c max_wal_size=4GB > "$dir/log" 2>&1 &
  fresh_pid=$!
  pg_pids+=("$fresh_pid")
  PGUSER=bulwark pg_wait "$dir"
}

pg_drop() {
  kill -INT "$2" 2>/dev/null || true
  wait "$2" 2>/dev/null || true
  rm -rf "$1"
}

pg_stop_all() {
  local pid
  for pid in "${pg_pids[@]}"; do kill -INT "$pid" 2>/dev/null || true; done
  for pid in "${pg_pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  pg_pids=()
}

release_bin() {
  if [ -n "${BIN:-}" ]; then
    echo "$BIN"
  else
    echo "bench: building $1 (release)" >&2
    (cd "$root" && cargo build --release --quiet --bin "$1")
    echo "${CARGO_TARGET_DIR:-$root/target}/release/$1"
  fi
}
