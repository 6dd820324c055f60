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

# Release build of all five binaries.
build:
    cargo build --release --locked

# Run the main jobs on the shipped demo project.
demo: build
    bash examples/demo/run.sh

# Before a deploy of ENV: secrets, leaks since the last release, migrations. Fails fast.
release-check ENV="production": build
    target/release/secrets-verify --config examples/demo/bulwark.toml --env {{ENV}}
    target/release/leak-scan git .
    target/release/migrate-dryrun --wrangler-config examples/demo/wrangler.jsonc --env {{ENV}}
