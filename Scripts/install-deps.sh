#!/usr/bin/env bash
# Installs the Debian 12 packages audio-index builds against (C libraries + pkg-config).
# Swift 6.x must already be on PATH (https://www.swift.org/install/linux/).
set -euo pipefail
packages=(pkg-config libsndfile1-dev libsoxr-dev libfftw3-dev libopenblas-dev libsqlite3-dev)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
    echo "install-deps: all Debian packages present" >&2
    exit 0
fi
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "install-deps: installing ${missing[*]}" >&2
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
command -v swift >/dev/null || { echo "install-deps: swift is not on PATH; install Swift 6.x first" >&2; exit 1; }
