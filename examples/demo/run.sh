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

# The CI job's own environment, as a deploy pipeline would set it from its secret store.
# Demo values only: decrypted from the demo store with the public demo identity.
while IFS='=' read -r name value; do
  case "$name" in ''|\#*) continue ;; esac
  value="${value%\"}"; value="${value#\"}"; value="${value%\'}"; value="${value#\'}"
  export "$name=$value"
done < <(age -d -i "$demo/secrets/demo-identity.txt" "$demo/secrets/production.env.age")

(
  cd "$demo"
  export PATH="$root/tests/standins/bin:$PATH"
  step 0 "secrets-verify: every required secret in every target (stand-in CLIs)" \
    "$bin/secrets-verify" --env production
)

(
  cd "$demo"
  export PATH="$root/tests/standins/bin:$PATH"
  step 1 "secrets-verify: a secret the release needs but no target has yet" \
    "$bin/secrets-verify" --env production --target wrangler --target fly --require STRIPE_WEBHOOK_SECRET
)
