#!/usr/bin/env bash
# Builds one release archive and SHA256SUMS: the same script runs in
# .github/workflows/release.yml (one job per target) and in `just dist` (the host target).
#
#   scripts/dist.sh [--target TRIPLE] [--profile release] [--bin-dir DIR] [--out DIR]
#   scripts/dist.sh --sums DIR          # (re)write DIR/SHA256SUMS over DIR/*.tar.gz
#
# The archive bulwark-<target>.tar.gz holds one folder bulwark-<target>/ with every binary
# the root Cargo.toml declares ([[bin]]), README.md, the man pages (man/) and the shell
# completions (completions/). --bin-dir packs binaries already built there (the tests
# pack the debug build) instead of running cargo.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
target="" profile="release" bin_dir="" out="$root/target/dist" sums_only=""
while (($#)); do
  case "$1" in
    --target) target="$2"; shift 2 ;;
    --profile) profile="$2"; shift 2 ;;
    --bin-dir) bin_dir="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    --sums) sums_only="$2"; shift 2 ;;
    *) echo "dist: unknown argument $1" >&2; exit 2 ;;
  esac
done

sha256() { if command -v sha256sum >/dev/null; then sha256sum "$@"; else shasum -a 256 "$@"; fi; }

write_sums() {
  local dir="$1"
  (cd "$dir" && shopt -s nullglob && files=(bulwark-*.tar.gz) &&
    { ((${#files[@]})) || { echo "dist: no archive in $dir" >&2; exit 1; }; } &&
    sha256 "${files[@]}" >SHA256SUMS.tmp && mv SHA256SUMS.tmp SHA256SUMS)
}

if [ -n "$sums_only" ]; then
  write_sums "$sums_only"
  exit 0
fi

# The [[bin]] names of the root manifest, so a new binary ships without touching this.
mapfile -t bins < <(awk '/^\[/{inbin=($0=="[[bin]]")} inbin && /^name *=/{gsub(/.*= *"|".*/,""); print}' "$root/Cargo.toml")
((${#bins[@]})) || { echo "dist: no [[bin]] in Cargo.toml" >&2; exit 1; }

# Without --target: the host, built where a plain `cargo build` puts it (target/<profile>),
# so `just dist` reuses the usual build instead of a second one under target/<triple>.
subdir=""
if [ -n "$target" ]; then subdir="$target/"; else target="$(rustc -vV | sed -n 's/^host: //p')"; fi
if [ -z "$bin_dir" ]; then
  args=(build --locked --profile "$profile")
  [ -z "$subdir" ] || args+=(--target "$target")
  for b in "${bins[@]}"; do args+=(--bin "$b"); done
  (cd "$root" && cargo "${args[@]}")
  dir="$profile"; [ "$profile" = dev ] && dir=debug
  bin_dir="${CARGO_TARGET_DIR:-$root/target}/$subdir$dir"
fi

name="bulwark-$target"
mkdir -p "$out"
stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/$name/man" "$stage/$name/completions"
for b in "${bins[@]}"; do
  exe="$bin_dir/$b"; [ -f "$exe" ] || exe="$bin_dir/$b.exe"
  [ -f "$exe" ] || { echo "dist: $b was not built in $bin_dir" >&2; exit 1; }
  install -m 0755 "$exe" "$stage/$name/"
done
cp "$root/README.md" "$stage/$name/"
cp "$root"/docs/man/*.1 "$stage/$name/man/"
cp "$root"/completions/* "$stage/$name/completions/"
tar -C "$stage" -czf "$stage/$name.tar.gz" "$name"
mv "$stage/$name.tar.gz" "$out/$name.tar.gz"
write_sums "$out"
echo "$out/$name.tar.gz"
