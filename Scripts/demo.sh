#!/usr/bin/env bash
# The README's first command: set up a fresh Debian 12 machine (Swift 6.x already installed) and run the
# main job on the bundled demo corpus.
#
#   1. install the Debian packages audio-index links against (Scripts/install-deps.sh)
#   2. build the release binary (.build/release/audio-index)
#   3. fetch real recordings from Debian packages and check them against manifests/demo.jsonl
#   4. decode every clip (audio-index probe), then compute the CLAP `laion` log-mel of every clip in the
#      manifest into index/demo-features/ (one .npy per clip + summary.jsonl)
#
# Until the encoder and the vector index land, step 4 is the main job: the front end over the corpus.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/opt/swift/usr/bin:$PATH"

step() { echo "demo: $*" >&2; }

step "1/4 installing Debian packages"
Scripts/install-deps.sh

step "2/4 building audio-index (release)"
swift build -c release --product audio-index 2>&1 | grep -Ev '^\[[0-9]+/[0-9]+\]' >&2 || true
bin=.build/release/audio-index
[ -x "$bin" ] || { echo "demo: error: the build did not produce $bin (see the compiler output above)" >&2; exit 1; }

step "3/4 fetching the demo corpus"
Scripts/demo/fetch-demo-corpus.sh

step "4/4 running the front end over manifests/demo.jsonl"
"$bin" probe --manifest manifests/demo.jsonl --format text
"$bin" features --manifest manifests/demo.jsonl --profile laion --out-dir index/demo-features
step "done: log-mels in index/demo-features/ (summary: index/demo-features/summary.jsonl)"
