#!/usr/bin/env bash
# Benchmark: `secrets-sync apply` of N new secrets (200 by default) to all four kinds of
# target (wrangler, Secrets Store, Fly, GitHub) at once, with the recording stand-ins of
# tests/standins in place of the real CLIs (the APIs are out of reach). Prints, per
# target CLI, the child processes apply started, and the wall time of the whole apply.
#
#   bench/secrets-sync-apply.sh                       # the debug build in $CARGO_TARGET_DIR
#   N=500 bench/secrets-sync-apply.sh
#   BIN=/path/to/secrets-sync bench/secrets-sync-apply.sh   # another build (e.g. main's)
#   RUNS=3 bench/secrets-sync-apply.sh                # best of three
#
# The wall time is mostly the stand-ins' own start-up (each is a bash script), so it
# measures how many processes apply starts more than how fast a real API would answer;
# the process counts are exact. Not a test: nothing here fails on speed.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
target="${CARGO_TARGET_DIR:-$root/target}"
bin="${BIN:-$target/release/secrets-sync}"
[ -x "$bin" ] || bin="$target/debug/secrets-sync"
[ -x "$bin" ] || { echo "no secrets-sync build: cargo build --bin secrets-sync" >&2; exit 2; }
n="${N:-200}"
runs="${RUNS:-1}"
for tool in age age-keygen python3; do
    command -v "$tool" >/dev/null || { echo "missing $tool (tests/setup.sh)" >&2; exit 2; }
done

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# A project: one environment, four targets, a store of N random values.
setup() {
    local dir="$1"
    mkdir -p "$dir/secrets" "$dir/standin"
    age-keygen -o "$dir/key.txt" 2>/dev/null
    local recipient
    recipient="$(age-keygen -y "$dir/key.txt")"
    cat >"$dir/bulwark.toml" <<EOF
[env.production]
store = "secrets/production.env.age"
recipients = ["$recipient"]

[[env.production.targets]]
kind = "wrangler"
environment = "production"

[[env.production.targets]]
kind = "secrets-store"
store_id = "8f2a9c1e4b7d4e0a9c3f5b6d7e8f9a0b"

[[env.production.targets]]
kind = "fly"
app = "bench-app"

[[env.production.targets]]
kind = "github"
repo = "bench-org/bench-app"
EOF
    echo '[]' >"$dir/standin/wrangler-secret-list.production.json"
    echo '[]' >"$dir/standin/fly-bench-app.json"
    echo '[]' >"$dir/standin/gh-secret-list.json"
    python3 - "$n" <<'PY' | age -e -a -r "$recipient" -o "$dir/secrets/production.env.age"
import secrets, sys
for i in range(int(sys.argv[1])):
    print(f"BENCH_SECRET_{i:04d}={secrets.token_urlsafe(32)}")
PY
}

best=""
for run in $(seq "$runs"); do
    dir="$work/run-$run"
    setup "$dir"
    start=$(date +%s%N)
    (
        cd "$dir"
        PATH="$root/tests/standins/bin:$PATH" NO_COLOR=1 \
            "$bin" apply --yes --identity key.txt >"$dir/report.txt" 2>"$dir/stderr.txt"
    ) || { echo "apply failed:" >&2; cat "$dir/stderr.txt" >&2; exit 3; }
    end=$(date +%s%N)
    ms=$(((end - start) / 1000000))
    if [ -z "$best" ] || [ "$ms" -lt "$best" ]; then
        best="$ms"
        cp "$dir/standin/calls.log" "$work/calls.log"
    fi
done

count() { grep -c "$1" "$work/calls.log" || true; }
echo "secrets-sync apply: $n new secrets to 4 targets ($bin)"
printf '  %-28s %s\n' "wrangler secret bulk/list" "$(count '^wrangler secret ')"
printf '  %-28s %s\n' "wrangler secrets-store" "$(count '^wrangler secrets-store ')"
printf '  %-28s %s\n' "fly" "$(count '^fly ')"
printf '  %-28s %s\n' "gh" "$(count '^gh ')"
printf '  %-28s %s\n' "all child processes" "$(wc -l <"$work/calls.log")"
printf '  %-28s %s ms (best of %s)\n' "wall time" "$best" "$runs"
