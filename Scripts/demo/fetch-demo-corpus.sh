#!/usr/bin/env bash
# Fetches the demo corpus: real recordings from three Debian 12 packages, and writes its manifest.
#
#   Scripts/demo/fetch-demo-corpus.sh [--work DIR] [--manifest FILE]
#
#   --work DIR       where packages are downloaded and unpacked (default: demo/ at the repo root,
#                    git-ignored; about 65 MB of .deb files, 105 MB unpacked)
#   --manifest FILE  the JSON Lines manifest (default: manifests/demo.jsonl, committed); its paths
#                    are relative to its own folder. Written if absent; if present, the fetched
#                    corpus is checked against it (clips, captions, licences, SHA-256 of the audio)
#   --update-manifest  rewrite FILE instead of checking it (after changing the selection)
#
# What it does (Docs/DemoCorpus.md): `apt-get download` of pinned package versions (running
# `apt-get update` once if apt does not know them yet), `dpkg-deb -x` into DIR/<package>/, then
# Scripts/demo/demo_corpus.py extracts the chosen gcompris clips from their Qt .rcc archives, reads
# each package's DEP-5 copyright file for per-clip licences, derives captions from names and the
# games' texts, and writes or checks the manifest. Same packages → byte-identical manifest.
# Idempotent: packages already downloaded or unpacked at the pinned version are not fetched again.
# Needs apt-get, dpkg-deb and python3 (standard library only); `apt-get update` needs root.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
work="$repo/demo"
manifest="$repo/manifests/demo.jsonl"
update=()

# Pinned so the committed manifest matches what anyone fetches. Bookworm versions.
packages=(
    "sonic-pi-samples=3.2.2~repack-8"
    "alsa-utils=1.2.8-1"
    "gcompris-qt-data=3.1-2"
)

say() { echo "fetch-demo-corpus: $*" >&2; }
die() { echo "fetch-demo-corpus: error: $*" >&2; exit 1; }

while [[ $# -gt 0 ]]; do
    case "$1" in
        --work) [[ $# -ge 2 ]] || die "--work needs a folder"; work="$2"; shift 2 ;;
        --manifest) [[ $# -ge 2 ]] || die "--manifest needs a file name"; manifest="$2"; shift 2 ;;
        --update-manifest) update=(--update); shift ;;
        -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) die "unknown argument '$1' (see --help)" ;;
    esac
done

for tool in apt-get dpkg-deb python3; do
    command -v "$tool" >/dev/null || die "'$tool' is not installed; this script needs a Debian-based system (Debian 12 'bookworm')"
done

start=$(date +%s)
mkdir -p "$work/debs"
work="$(cd "$work" && pwd)"
debs="$work/debs"

# The .deb for name=version already in $debs, if any.
existing_deb() {
    local name="$1" version="$2" f
    for f in "$debs/${name}"_*.deb; do
        [[ -f "$f" ]] || continue
        if [[ "$(dpkg-deb -f "$f" Package 2>/dev/null)" == "$name" && "$(dpkg-deb -f "$f" Version 2>/dev/null)" == "$version" ]]; then
            echo "$f"
            return 0
        fi
    done
    return 1
}

apt_options=()
# As root, apt drops to the _apt user for downloads, which cannot write here; say so up front
# instead of printing its warning.
[[ $EUID -eq 0 ]] && apt_options+=(-o APT::Sandbox::User=root)

# Runs `apt-get download` for the given name=version pairs in $debs; on failure prints apt's
# messages into $apt_log and returns non-zero.
apt_log="$(mktemp)"
trap 'rm -f "$apt_log"' EXIT
download() {
    (cd "$debs" && apt-get "${apt_options[@]}" download "$@") >"$apt_log" 2>&1
}

missing=()
for spec in "${packages[@]}"; do
    name="${spec%%=*}" version="${spec#*=}"
    if existing_deb "$name" "$version" >/dev/null; then
        say "$name $version: already downloaded"
    else
        missing+=("$spec")
    fi
done

if [[ ${#missing[@]} -gt 0 ]]; then
    say "downloading ${missing[*]} with apt-get download"
    if ! download "${missing[@]}"; then
        if grep -qE "Unable to locate package|Can't find a source to download|Version .* was not found|has no installation candidate" "$apt_log"; then
            say "apt does not know these versions yet; running apt-get update"
            [[ $EUID -eq 0 ]] || die "apt-get update needs root: run 'sudo apt-get update' once, then run this script again"
            apt-get update >"$apt_log" 2>&1 || true
            if grep -qE "^(Err|W: Failed to fetch)|Temporary failure resolving|Could not resolve|Unable to connect" "$apt_log"; then
                die "apt cannot reach the Debian mirror (check the network or proxy and /etc/apt/sources.list*): $(grep -m1 -E '^(Err|W:)' "$apt_log" || true)"
            fi
            download "${missing[@]}" || true
        fi
        for spec in "${missing[@]}"; do
            name="${spec%%=*}" version="${spec#*=}"
            if ! existing_deb "$name" "$version" >/dev/null; then
                if grep -qE "Temporary failure resolving|Could not resolve|Could not connect|Unable to connect|Failed to fetch|Connection failed" "$apt_log"; then
                    die "apt cannot reach the Debian mirror to download $name $version; check the network, proxy and /etc/apt/sources.list* (apt said: $(grep -m1 -E '^E: ' "$apt_log" | sed 's/^E: //' || grep -m1 -E 'Could not|Unable|Temporary' "$apt_log"))"
                fi
                die "apt-get could not download $name $version (this corpus is pinned to Debian 12 'bookworm' versions; is bookworm main in /etc/apt/sources.list*?): $(grep -m1 -E '^(E|W):' "$apt_log" || tail -n1 "$apt_log")"
            fi
        done
    fi
fi

# Unpack each package into $work/<name>/; .version marks a finished unpack of that version.
for spec in "${packages[@]}"; do
    name="${spec%%=*}" version="${spec#*=}"
    target="$work/$name"
    if [[ -f "$target/.version" && "$(cat "$target/.version")" == "$version" ]]; then
        say "$name $version: already unpacked"
        continue
    fi
    deb="$(existing_deb "$name" "$version")"
    say "unpacking $(basename "$deb")"
    rm -rf "$target"
    dpkg-deb -x "$deb" "$target" || die "dpkg-deb could not unpack $deb (delete it and run again)"
    echo "$version" >"$target/.version"
done

python3 "$here/demo_corpus.py" --work "$work" --manifest "$manifest" "${update[@]}" || die "the manifest step failed (see above)"
say "done in $(( $(date +%s) - start )) s: $(wc -l <"$manifest") clips in $manifest, audio under $work"
