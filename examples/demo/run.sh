#!/usr/bin/env bash
# Runs Bulwark's main jobs on the demo project, the way a release runbook would, and
# checks each one ends with the exit code it should. Builds the tools first.
#
# Cloudflare, Fly.io and GitHub are out of reach here, so their CLIs are replaced by the
# recording stand-ins of the test suite (tests/standins), answering from
# examples/demo/standin/. Everything else is real: the demo's bulwark.toml and
# wrangler.jsonc, its migrations, and its age-encrypted store.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
echo "== installing the tools the demo runs (age, sqlite3, zstd) if missing"
eval "$(bash tests/setup.sh)"
echo "== building the tools (release)"
cargo build --release --locked --quiet
bin="$root/target/release"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cp -r examples/demo "$work/demo"
demo="$work/demo"

step() {
  local expected="$1" title="$2"; shift 2
  echo
  echo "== $title"
  echo "\$ ${*/#$bin\//}"
  set +e
  "$@"
  local code=$?
  set -e
  if [ "$code" -ne "$expected" ]; then
    echo "demo: expected exit $expected from the step above, got $code" >&2
    exit 1
  fi
  echo "(exit $code, as expected)"
}

# The demo store's key. DEMO ONLY: the identity is public and protects made-up values.
identity=(--identity secrets/demo-identity.txt)

(
  cd "$demo"
  export PATH="$root/tests/standins/bin:$PATH"
  step 0 "deploy-lint: the wrangler config meets the team's [standards] (offline)" \
    "$bin/deploy-lint" --env production
  step 0 "secrets-sync: the names in the encrypted store (values are never shown)" \
    "$bin/secrets-sync" names "${identity[@]}"
  step 0 "secrets-sync: what apply would change in each target (stand-in CLIs)" \
    "$bin/secrets-sync" plan "${identity[@]}"
  step 0 "secrets-sync: apply it; every value travels on the CLI's stdin" \
    "$bin/secrets-sync" apply --yes "${identity[@]}"
  step 0 "secrets-sync: plan again; keyed digests of what was sent say 'unchanged'" \
    "$bin/secrets-sync" plan --target wrangler "${identity[@]}"
  step 0 "secrets-verify: every required secret in every target, the CI job's env fed by secrets-sync exec" \
    "$bin/secrets-sync" exec "${identity[@]}" -- "$bin/secrets-verify" --env production
  step 1 "secrets-verify: a secret the release needs but no target has yet" \
    "$bin/secrets-verify" --env production --target wrangler --target fly --require STRIPE_WEBHOOK_SECRET
)

# A "production" database as it stands today: the first two migrations applied (made by
# migrate-dryrun itself with --keep), plus some rows.
mkdir -p "$work/applied"
cp "$demo"/migrations/0001_*.sql "$demo"/migrations/0002_*.sql "$work/applied/"
"$bin/migrate-dryrun" --migrations "$work/applied" --keep "$work/production.sqlite" --quiet >/dev/null
sqlite3 "$work/production.sqlite" \
  "INSERT INTO users (id, email) VALUES (1, 'ada@demo.invalid'), (2, 'alan@demo.invalid');
   INSERT INTO notes (user_id, body) VALUES (1, 'first note'), (1, 'second'), (2, 'third');"

(
  cd "$demo"
  step 0 "migrate-dryrun: the pending migration, tried on a copy of production first" \
    "$bin/migrate-dryrun" --env production --snapshot "$work/production.sqlite"
)
