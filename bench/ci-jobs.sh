#!/usr/bin/env bash
# The jobs of docs/ci/github-actions.yml, timed step by step on this machine against the
# demo project, to show each would finish well inside the five-minute budget of a CI check.
# What a runner adds and this cannot measure (starting the VM, actions/checkout, the action
# cache, uploads) is left out and said so; what it can, it runs for real:
#
#   install    install.sh from a local release directory (scripts/dist.sh over BIN), as
#              the action does on a cache miss (a download adds the archive's transfer time)
#   npm ci     the project's pinned wrangler from the npm registry (an empty npm cache)
#   tools      deploy-lint, secrets-verify, leak-scan over this repository's whole history
#              (bigger than most projects'), migrate-dryrun --export-remote, each with the
#              demo's config and the recording stand-ins for Cloudflare, Fly and GitHub
#
#   BIN=target/release bash bench/ci-jobs.sh     # default: target/release, built if missing
#
# Needs what tests/setup.sh installs, plus network access to the npm registry.
#
# Last numbers (2026-12-01, 2 shared vCPUs at load 16-20, DEBUG binaries, so upper bounds):
#   deploy-lint 8.0 s, secrets-verify 46.0 s, leak-scan 11.7 s, migrate-dryrun 46.2 s of
#   measured steps. install.sh 7-10 s (a 40 MB debug archive; release archives are
#   smaller); npm ci of wrangler 36-38 s is most of the two jobs that need wrangler; the
#   tools themselves 0.1-4 s (leak-scan over Bulwark's whole history: 4.0 s). With a
#   runner's start and checkout (typically 10-30 s) every job stays under a minute.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bin="${BIN:-$root/target/release}"
if [ ! -x "$bin/leak-scan" ]; then
  echo "== building the release binaries" >&2
  (cd "$root" && cargo build --release --locked --quiet)
  bin="$root/target/release"
fi
eval "$(bash "$root/tests/setup.sh")"
export WRANGLER_SEND_METRICS=false NO_COLOR=1

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

declare -A total=()
step() {
  local job="$1" title="$2"; shift 2
  local start end ms
  start=$(date +%s%N)
  "$@" >"$work/out.txt" 2>&1 || { echo "ci-jobs: step '$title' failed:" >&2; cat "$work/out.txt" >&2; exit 1; }
  end=$(date +%s%N)
  ms=$(((end - start) / 1000000))
  total[$job]=$((${total[$job]:-0} + ms))
  printf '%-16s %-44s %8.2f s\n' "$job" "$title" "$(awk -v ms="$ms" 'BEGIN { print ms / 1000 }')"
}

# A release directory as the release workflow publishes it, and the install as the action
# runs it.
# Packed for the target the binaries were built for (gnu here; a release ships musl).
target="$(rustc -vV | sed -n 's/^host: //p')"
bash "$root/scripts/dist.sh" --bin-dir "$bin" --target "$target" --out "$work/release" >/dev/null
# The demo as a repository, its stand-ins on PATH, production's D1 export for the dry run.
cp -r "$root/examples/demo" "$work/demo"
cp "$root/tests/fixtures/demo-production-export.sql" "$work/demo/standin/d1-export-DB.sql"
cp "$root/tests/fixtures/demo-production-tables.json" "$work/demo/standin/d1-execute-DB.json"
(cd "$work/demo" && git init -q -b main && git add -A &&
  git -c user.name=ci -c user.email=ci@example.invalid commit -q -m demo)
export PATH="$root/tests/standins/bin:$PATH"
# The job's secrets, as its `env:` would hold them.
export API_INGRESS_TOKEN=ci-bench-ingress-0d1c SESSION_SIGNING_KEY=ci-bench-session-7a2b
export SUPABASE_URL=https://ci-bench.supabase.invalid SUPABASE_SERVICE_ROLE_KEY=ci-bench-role-93f4

echo "job              step                                          time"
for job in deploy-lint secrets-verify leak-scan migrate-dryrun; do
  rm -rf "$work/bin-$job"
  step "$job" "install.sh (all tools, local release dir)" \
    sh "$root/install.sh" --from "$work/release" --to "$work/bin-$job" --target "$target"
done
npm_project="$work/npm"
mkdir -p "$npm_project"
(cd "$npm_project" && npm init -y >/dev/null &&
  npm install --package-lock-only --no-audit --no-fund --loglevel=error -E wrangler@4.86.0 >/dev/null)
for job in secrets-verify migrate-dryrun; do
  rm -rf "$npm_project/node_modules"
  step "$job" "npm ci (wrangler 4.86.0, empty npm cache)" \
    bash -c "cd '$npm_project' && npm ci --no-audit --no-fund --loglevel=error --cache '$work/npm-cache-$job'"
done
cd "$work/demo"
step deploy-lint "deploy-lint --env production" "$work/bin-deploy-lint/deploy-lint" --env production
step secrets-verify "secrets-verify --env production --format json" \
  "$work/bin-secrets-verify/secrets-verify" --env production --format json --timeout 120
step leak-scan "leak-scan git (Bulwark's own history)" \
  bash -c "'$work/bin-leak-scan/leak-scan' git '$root' --format sarif --report '$work/leak-scan.sarif'; test \$? -le 1"
step migrate-dryrun "migrate-dryrun --export-remote --strict" \
  "$work/bin-migrate-dryrun/migrate-dryrun" --env production --database DB --export-remote --strict --format json
echo
for job in deploy-lint secrets-verify leak-scan migrate-dryrun; do
  printf 'job %-16s %8.2f s of measured steps (checkout, runner start and uploads not included)\n' \
    "$job" "$(awk -v ms="${total[$job]}" 'BEGIN { print ms / 1000 }')"
done
