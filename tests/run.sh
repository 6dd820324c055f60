#!/usr/bin/env bash
# The test command: installs what the tests need (tests/setup.sh), then runs every test
# of the workspace against the real tools. Extra arguments go to `cargo test`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
eval "$(bash tests/setup.sh)"
# Telemetry off and no update checks: the suite runs offline.
export WRANGLER_SEND_METRICS=false
exec cargo test --workspace --locked "$@"
