#!/usr/bin/env bash
# Recall of leak-scan's built-in rules on a corpus of generated canary tokens, against an
# older leak-scan and gitleaks (both optional).
#
# The corpus comes from crates/bulwark-scan/tests/scan/rules.rs: every built-in rule's
# example expanded with four seeds (positive/), the same texts base64-encoded behind a
# variable (encoded/), and known placeholders and public sample keys (negative/). Each
# file holds one secret (or one placeholder); a tool "finds" a file when it reports at
# least one finding in it.
#
#   bash bench/leak-scan-recall.sh                  # this tree's leak-scan only
#   OLD=/path/to/old/leak-scan GITLEAKS=/path/to/gitleaks bash bench/leak-scan-recall.sh
set -euo pipefail
cd "$(dirname "$0")/.."
corpus=$(mktemp -d)
trap 'rm -rf "$corpus"' EXIT
BULWARK_RECALL_CORPUS="$corpus" cargo test -q -p bulwark-scan --test scan \
    the_recall_corpus_is_found_whole >/dev/null
cargo build -q --bin leak-scan
target=${CARGO_TARGET_DIR:-target}
new="$target/debug/leak-scan"

# Files with at least one finding, per subdirectory, from a JSON report on stdin.
count_leak_scan() {
    python3 -c '
import json, sys
paths = {f["path"] for f in json.load(sys.stdin)["findings"]}
for part in ("positive", "encoded", "negative"):
    print(part, sum(1 for p in paths if p.startswith(part + "/")))'
}
count_gitleaks() {
    python3 -c '
import json, sys, os
root = sys.argv[1]
paths = {os.path.relpath(f["File"], root) for f in json.load(sys.stdin)}
for part in ("positive", "encoded", "negative"):
    print(part, sum(1 for p in paths if p.startswith(part + "/")))' "$corpus"
}

total() { find "$corpus/$1" -type f | wc -l; }
echo "corpus: positive $(total positive), encoded $(total encoded), negative $(total negative) files"
run() { (cd "$corpus" && "$1" dir . --format json --exit-code 0); }
echo "== leak-scan (this tree)"; run "$new" | count_leak_scan
if [[ -n ${OLD:-} ]]; then echo "== leak-scan ($OLD)"; run "$OLD" | count_leak_scan; fi
if [[ -n ${GITLEAKS:-} ]]; then
    echo "== $("$GITLEAKS" version 2>/dev/null | head -1 | sed 's/^/gitleaks /')"
    "$GITLEAKS" dir "$corpus" --no-banner --exit-code 0 -f json -r - 2>/dev/null | count_gitleaks
fi
