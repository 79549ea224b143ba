#!/usr/bin/env bash
# The README's first command: set up a fresh Debian 12 machine (Swift 6.x already installed) and run the
# main job on the bundled demo corpus.
#
#   1. install the Debian packages audio-index links against (Scripts/install-deps.sh)
#   2. build the release binary (.build/release/audio-index)
#   3. fetch real recordings from Debian packages and check them against manifests/demo.jsonl
#   4. decode every clip (audio-index probe), then build an index of the corpus (index/demo: vectors +
#      catalog.sqlite) with the bundled small test model, and query it with one of the corpus clips
#
# The bundled model (Tests/Fixtures/htsat/hf-tiny) has small random weights: it makes the whole pipeline
# run in seconds, but it ranks nothing by meaning. Point MODEL at a real checkpoint for real retrieval:
#   MODEL=models/clap-htsat-unfused Scripts/demo.sh          (a Hugging Face laion/clap-htsat-unfused folder)
#   MODEL=630k-audioset-best.pt Scripts/demo.sh               (a laion_clap checkpoint)
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

MODEL="${MODEL:-Tests/Fixtures/htsat/hf-tiny}"
QUERY_CLIP=demo/alsa-utils/usr/share/sounds/alsa/Noise.wav
step "4/4 indexing manifests/demo.jsonl with $MODEL into index/demo, then querying with $QUERY_CLIP"
"$bin" probe --manifest manifests/demo.jsonl --format text
"$bin" build --model "$MODEL" --manifest manifests/demo.jsonl --index index/demo --threads 2
"$bin" info --index index/demo
"$bin" query --index index/demo --audio "$QUERY_CLIP" -k 5
# The clip must come back first, as itself (score >= 0.9999), with its byte-identical copy
# (duplicate/alsa/Noise in the manifest, see Docs/DemoCorpus.md) listed in the same hit's ids:
# identical decoded audio is embedded once and shared.
"$bin" query --index index/demo --audio "$QUERY_CLIP" -k 1 --format json | python3 -c '
import json, sys
hit = json.loads(sys.stdin.readline())
want = {"alsa/Noise", "duplicate/alsa/Noise"}
if hit["rank"] != 1 or hit["score"] < 0.9999 or not want <= set(hit["ids"]):
    sys.exit("demo: error: expected the first hit to be %s with score >= 0.9999, got %r" % (sorted(want), hit))
print("demo: check passed: first hit %s, score %.4f (the query clip and its byte-identical duplicate share one vector)"
      % (",".join(hit["ids"]), hit["score"]), file=sys.stderr)
'
if [ "$MODEL" = Tests/Fixtures/htsat/hf-tiny ]; then
  step "note: the bundled test model has small random weights and ranks nothing by meaning; the clip comes back"
  step "      first (score 1.0000, with its duplicate's id) because identical audio gives an identical embedding,"
  step "      and the other hits are in no meaningful order. Set MODEL=... to a real"
  step "      CLAP checkpoint (a Hugging Face laion/clap-htsat-unfused folder or a laion_clap .pt) for real retrieval."
fi
step "done: index in index/demo (audio-index query --index index/demo --audio FILE | --text \"...\" --model ...)"
