#!/bin/sh
# Installs Bulwark's prebuilt binaries for this machine from a release.
#
#   install.sh [--version V] [--from URL|DIR] [--to DIR] [--tools a,b] [--target TRIPLE]
#
# --from is where the release's files are: an https:// or file:// URL or a directory
# (default: the GitHub release of --version, or the latest one; BULWARK_RELEASES_URL
# overrides the releases' base URL). The archive bulwark-<target>.tar.gz is checked
# against the release's SHA256SUMS before anything is unpacked: a missing entry or a
# mismatch exits 1 with nothing installed. --to defaults to ~/.local/bin; --tools
# installs only the named binaries (default: all of them). BULWARK_TARGET stands for --target.
set -eu

repo_url="${BULWARK_RELEASES_URL:-https://github.com/your-org/bulwark/releases}"
version="" from="" to="${HOME}/.local/bin" tools="" target="${BULWARK_TARGET:-}"
while [ $# -gt 0 ]; do
  case "$1" in
    --version) version="$2"; shift 2 ;;
    --from) from="$2"; shift 2 ;;
    --to) to="$2"; shift 2 ;;
    --tools) tools="$2"; shift 2 ;;
    --target) target="$2"; shift 2 ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) echo "install.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done

fail() { echo "install.sh: $*" >&2; exit 1; }

if [ -z "$target" ]; then
  case "$(uname -s)-$(uname -m)" in
    Linux-x86_64) target=x86_64-unknown-linux-musl ;;
    Linux-aarch64|Linux-arm64) target=aarch64-unknown-linux-musl ;;
    Darwin-x86_64) target=x86_64-apple-darwin ;;
    Darwin-arm64|Darwin-aarch64) target=aarch64-apple-darwin ;;
    *) fail "no prebuilt binaries for $(uname -s) $(uname -m); build from source with cargo" ;;
  esac
fi
if [ -z "$from" ]; then
  case "$version" in
    ""|latest) from="$repo_url/latest/download" ;;
    v*) from="$repo_url/download/$version" ;;
    *) from="$repo_url/download/v$version" ;;
  esac
fi

archive="bulwark-$target.tar.gz"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

fetch() { # fetch NAME: copies $from/NAME to $work/NAME
  case "$from" in
    file://*) cp "${from#file://}/$1" "$work/$1" || fail "cannot read ${from}/$1" ;;
    http://*|https://*)
      curl --proto '=https,http' -fsSL --retry 3 -o "$work/$1" "$from/$1" || fail "cannot download $from/$1" ;;
    *) [ -d "$from" ] || fail "--from $from is neither a URL nor a directory"
       cp "$from/$1" "$work/$1" || fail "cannot read $from/$1" ;;
  esac
}

fetch SHA256SUMS
fetch "$archive"

expected="$(awk -v f="$archive" '$2 == f || $2 == "*" f { print $1 }' "$work/SHA256SUMS")"
[ -n "$expected" ] || fail "$archive is not listed in SHA256SUMS: refusing it"
if command -v sha256sum >/dev/null 2>&1; then
  actual="$(sha256sum "$work/$archive" | awk '{print $1}')"
else
  actual="$(shasum -a 256 "$work/$archive" | awk '{print $1}')"
fi
[ "$actual" = "$expected" ] || fail "$archive does not match SHA256SUMS (expected $expected, got $actual): refusing it"

mkdir "$work/unpacked"
tar -xzf "$work/$archive" -C "$work/unpacked" || fail "cannot unpack $archive"
dir="$work/unpacked/bulwark-$target"
[ -d "$dir" ] || fail "$archive has no bulwark-$target/ folder"

# The binaries are the executable files at the top of the archive's folder.
names=""
for f in "$dir"/*; do
  [ -f "$f" ] && [ -x "$f" ] && names="$names ${f##*/}"
done
if [ -n "$tools" ]; then
  wanted="$(echo "$tools" | tr ',' ' ')"
  for t in $wanted; do
    case " $names " in *" $t "*) ;; *) fail "$t is not in $archive (it has:$names)" ;; esac
  done
  names="$wanted"
fi
[ -n "$names" ] || fail "$archive holds no binary"

mkdir -p "$to"
for n in $names; do
  # Copy next to the destination, then rename: a running copy is never half-written.
  cp "$dir/$n" "$to/.$n.install-tmp"
  chmod 0755 "$to/.$n.install-tmp"
  mv -f "$to/.$n.install-tmp" "$to/$n"
  echo "installed $to/$n" >&2
done
