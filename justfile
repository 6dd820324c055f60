# Bulwark's recipes. `just` alone runs exactly what CI runs.

# What CI runs (.ci/run does the same): formatting, lints, then every test.
ci: lint test

# Formatting and clippy, as CI checks them.
lint:
    cargo fmt --all --check
    cargo clippy --workspace --all-targets --locked -- -D warnings

# Every test (installs age, zstd, sqlite3, keyutils and wrangler first if missing).
test *ARGS:
    bash tests/run.sh {{ARGS}}

# Rewrite the expected output of the trycmd cases after a deliberate change.
snap:
    TRYCMD=overwrite cargo test --test cli

# Regenerate the man pages (docs/man) and shell completions (completions/) from the
# binaries' clap definitions; the test suite fails while they are stale.
gen:
    BULWARK_REGENERATE=1 cargo test --test cli generated

# Release build of every binary.
build:
    cargo build --release --locked

# The host target's release archive and SHA256SUMS in target/dist/, built as the release
# workflow builds each target's (scripts/dist.sh).
dist *ARGS:
    bash scripts/dist.sh {{ARGS}}

# Run the main jobs on the shipped demo project.
demo: build
    bash examples/demo/run.sh

# The benchmarks against their peers (gitleaks and Kingfisher from PyPI, sqlite3, zstd, age).
bench:
    bash bench/leak-scan.sh
    bash bench/migrate-dryrun.sh
    bash bench/db-backup.sh
    bash bench/db-backup-pg.sh
    bash bench/migrate-dryrun-pg.sh
    bash bench/secrets-sync-apply.sh

# Fuzz the rule engine and the gitleaks config loader (nightly and cargo-fuzz).
fuzz TARGET="rules_scan":
    cd fuzz && cargo +nightly fuzz run {{TARGET}} -- -max_total_time=60

# The demo's runbook release-check (examples/demo/justfile), run in a scratch copy with
# the stand-in CLIs for Cloudflare, Fly and GitHub, since those are out of reach here.
release-check ENV="production": build
    #!/usr/bin/env bash
    set -euo pipefail
    work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT
    cp -r examples/demo "$work/demo" && cp tests/fixtures/demo-production-export.sql "$work/demo/standin/d1-export-DB.sql"
    cd "$work/demo" && git init -q && git add -A && git -c user.name=demo -c user.email=demo@demo.invalid commit -qm demo
    export PATH="{{justfile_directory()}}/tests/standins/bin:{{justfile_directory()}}/target/release:$PATH"
    eval "$(age -d -i secrets/demo-identity.txt secrets/production.env.age | grep -v '^#' | sed "s/^/export /")"
    just release-check {{ENV}}
