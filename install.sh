#!/bin/sh
# Install a prebuilt nexus: picks this machine's target, downloads the
# release archive and its SHA256SUMS, verifies the checksum and installs
# the binary into a directory. Refuses (and installs nothing) when the
# checksum does not match.
#
#   curl -fsSL https://raw.githubusercontent.com/acme/nexus/main/install.sh | sh -s -- --to ~/.local/bin
#
# Options:
#   --to DIR        where to put `nexus` (default: $HOME/.local/bin)
#   --tag vX.Y.Z    the release (default: the latest)
#   --target T      the target triple (default: this machine's)
#   --base-url URL  where the release's files are (a URL, file:// URL or a
#                   directory holding nexus-<version>-<target>.tar.gz and
#                   SHA256SUMS); default: the GitHub release of --tag
#   --repo O/R      GitHub repository (default: acme/nexus)
#   --force         replace an existing nexus in DIR
#   -h, --help
#
# The environment variables NEXUS_INSTALL_BASE_URL and NEXUS_REPO_SLUG set
# the defaults of --base-url and --repo.
set -eu

repo="${NEXUS_REPO_SLUG:-acme/nexus}"
base="${NEXUS_INSTALL_BASE_URL:-}"
to="${HOME:-}/.local/bin"
tag=""
target=""
force=0

say() { printf 'install.sh: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

usage() {
    sed -n '2,/^set -eu/p' "$0" 2>/dev/null | sed -e '/^set -eu/d' -e 's/^# \{0,1\}//' >&2 ||
        say "usage: install.sh [--to DIR] [--tag vX.Y.Z] [--target T] [--base-url URL] [--force]"
}

need_arg() { [ $# -ge 2 ] && [ -n "$2" ] || die "$1 needs a value"; }

while [ $# -gt 0 ]; do
    case "$1" in
        --to) need_arg "$@"; to="$2"; shift 2 ;;
        --tag) need_arg "$@"; tag="$2"; shift 2 ;;
        --target) need_arg "$@"; target="$2"; shift 2 ;;
        --base-url) need_arg "$@"; base="$2"; shift 2 ;;
        --repo) need_arg "$@"; repo="$2"; shift 2 ;;
        --force) force=1; shift ;;
        -h | --help) usage; exit 0 ;;
        *) die "unknown option \`$1\` (see --help)" ;;
    esac
done

case "$tag" in
    "" | v[0-9]*) ;;
    [0-9]*) tag="v$tag" ;;
    *) die "--tag must look like v1.2.3, got \`$tag\`" ;;
esac
[ -n "$to" ] || die "no install directory: pass --to DIR"

if [ -z "$target" ]; then
    os=$(uname -s)
    arch=$(uname -m)
    case "$arch" in
        x86_64 | amd64) arch=x86_64 ;;
        aarch64 | arm64) arch=aarch64 ;;
        *) die "no prebuilt nexus for the $arch architecture; build it with \`cargo install --locked --git https://github.com/$repo\`" ;;
    esac
    case "$os" in
        Linux) target="$arch-unknown-linux-musl" ;;
        Darwin) target="$arch-apple-darwin" ;;
        MINGW* | MSYS* | CYGWIN* | Windows_NT)
            [ "$arch" = x86_64 ] || die "no prebuilt nexus for Windows on $arch"
            target="x86_64-pc-windows-msvc" ;;
        *) die "no prebuilt nexus for $os; build it with \`cargo install --locked --git https://github.com/$repo\`" ;;
    esac
fi
case "$target" in
    *windows*) ext=zip; exe=nexus.exe ;;
    *) ext=tar.gz; exe=nexus ;;
esac

if [ -z "$base" ]; then
    if [ -n "$tag" ]; then
        base="https://github.com/$repo/releases/download/$tag"
    else
        base="https://github.com/$repo/releases/latest/download"
    fi
fi
base="${base%/}"

tmp=$(mktemp -d 2>/dev/null || mktemp -d -t nexus-install)
trap 'rm -rf "$tmp"' EXIT INT TERM

# fetch URL FILE: a URL (curl or wget), a file:// URL or a local path.
fetch() {
    case "$1" in
        file://*) cp "${1#file://}" "$2" 2>/dev/null || return 1 ;;
        /* | ./* | ../*) cp "$1" "$2" 2>/dev/null || return 1 ;;
        *)
            if command -v curl > /dev/null 2>&1; then
                curl --proto '=https,http' -fsSL --retry 3 -o "$2" "$1" || return 1
            elif command -v wget > /dev/null 2>&1; then
                wget -q -O "$2" "$1" || return 1
            else
                die "neither curl nor wget is installed"
            fi ;;
    esac
}

sha256() {
    if command -v sha256sum > /dev/null 2>&1; then
        sha256sum "$1" | cut -d' ' -f1
    elif command -v shasum > /dev/null 2>&1; then
        shasum -a 256 "$1" | cut -d' ' -f1
    elif command -v openssl > /dev/null 2>&1; then
        openssl dgst -sha256 "$1" | sed 's/.*= *//'
    else
        die "no sha256sum, shasum or openssl to verify the download with"
    fi
}

fetch "$base/SHA256SUMS" "$tmp/SHA256SUMS" || die "cannot download $base/SHA256SUMS"

# The archive of this target: exactly nexus-<version>-<target>.<ext> when
# the tag is known, else the one SHA256SUMS lists for the target.
if [ -n "$tag" ]; then
    asset="nexus-${tag#v}-$target.$ext"
    line=$(awk -v f="$asset" '{ n = $2; sub(/^\*/, "", n); if (n == f) print }' "$tmp/SHA256SUMS")
else
    line=$(awk -v t="-$target.$ext" '{ n = $2; sub(/^\*/, "", n); if (substr(n, 1, 6) == "nexus-" && length(n) > length(t) && substr(n, length(n) - length(t) + 1) == t) print }' "$tmp/SHA256SUMS")
fi
[ -n "$line" ] || die "SHA256SUMS at $base lists no archive for $target${tag:+ at $tag}"
[ "$(printf '%s\n' "$line" | wc -l | tr -d ' ')" = 1 ] || die "SHA256SUMS at $base lists several archives for $target; pass --tag"
expected=$(printf '%s\n' "$line" | awk '{ print $1 }')
asset=$(printf '%s\n' "$line" | awk '{ n = $2; sub(/^\*/, "", n); print n }')
case "$asset" in
    */* | *..*) die "SHA256SUMS names an unexpected file \`$asset\`" ;;
esac

say "downloading $asset"
fetch "$base/$asset" "$tmp/$asset" || die "cannot download $base/$asset"
actual=$(sha256 "$tmp/$asset")
if [ "$actual" != "$expected" ]; then
    die "checksum mismatch for $asset: expected $expected, got $actual; nothing was installed"
fi

mkdir "$tmp/x"
case "$ext" in
    zip) command -v unzip > /dev/null 2>&1 || die "unzip is needed for $asset"
         unzip -q "$tmp/$asset" -d "$tmp/x" || die "cannot unpack $asset" ;;
    *) tar xzf "$tmp/$asset" -C "$tmp/x" || die "cannot unpack $asset" ;;
esac
bin=$(find "$tmp/x" -type f -name "$exe" | head -n 1)
[ -n "$bin" ] || die "$asset holds no $exe"

mkdir -p "$to" || die "cannot create $to"
if [ -e "$to/$exe" ] && [ "$force" != 1 ]; then
    if cmp -s "$bin" "$to/$exe"; then
        say "$to/$exe is already $asset"
        exit 0
    fi
    die "$to/$exe already exists; pass --force to replace it"
fi
# Copy beside the destination, then rename: never a half-written binary.
cp "$bin" "$to/.$exe.install.$$" || die "cannot write to $to"
chmod 755 "$to/.$exe.install.$$"
mv -f "$to/.$exe.install.$$" "$to/$exe" || { rm -f "$to/.$exe.install.$$"; die "cannot write $to/$exe"; }
say "installed $to/$exe ($asset)"
case ":${PATH:-}:" in
    *":$to:"*) ;;
    *) say "note: $to is not on PATH" ;;
esac
