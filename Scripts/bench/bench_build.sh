#!/usr/bin/env bash
# End-to-end build benchmark (issue 6 item 8), rerunnable:
#
#   A. the demo corpus (manifests/demo.jsonl, fetched by Scripts/demo/fetch-demo-corpus.sh) with the bundled
#      tiny test model;
#   B. the demo corpus with a full-size random HTSAT-tiny (release-shaped laion_clap .pt);
#   C. N synthetic 10 s clips (default 500; 44.1 kHz mono PCM16 WAV, seeded noise + tones, so every clip
#      is decoded, resampled to 48 kHz, featurised and encoded) with the same full-size model.
#
# For each: clips/s (wall), thread-seconds per stage (decode, hash, resample, features, encoder, index,
# catalog: `audio-index build` prints them), and for C the projected wall time for 633,526 clips (the
# LAION-Audio-630K count) on this machine with --threads T, and per cluster node of the same speed when
# the job is split N ways (build --shard i/N; merge time not included).
#
# Usage: Scripts/bench/bench_build.sh [--clips 500] [--threads 2] [--work DIR] [--model-full FILE.pt]
#   --model-full: a full-size laion_clap .pt (default: written once into WORK by
#                 Scripts/reference/make_htsat_fixtures.py --full-size with /work/refenv's Python).
# Needs: .build/release/audio-index (swift build -c release), python3, and a Python with NumPy for the
# synthetic clips ($PYTHON, default /work/refenv/bin/python).
set -euo pipefail
cd "$(dirname "$0")/../.."
clips=500 threads=2 work=/tmp/audio-index-bench-build model_full="" python="${PYTHON:-/work/refenv/bin/python}"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --clips) clips="$2"; shift 2 ;;
    --threads) threads="$2"; shift 2 ;;
    --work) work="$2"; shift 2 ;;
    --model-full) model_full="$2"; shift 2 ;;
    -h|--help) sed -n '2,21p' "$0"; exit 0 ;;
    *) echo "bench_build: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
bin=.build/release/audio-index
[[ -x "$bin" ]] || { echo "bench_build: $bin is missing: run swift build -c release --product audio-index" >&2; exit 1; }
mkdir -p "$work"
if [[ -z "$model_full" ]]; then
  model_full="$work/htsat-fullsize/laion-tiny.pt"
  if [[ ! -f "$model_full" ]]; then
    echo "bench_build: writing a full-size random HTSAT-tiny into $work/htsat-fullsize (once)" >&2
    /work/refenv/bin/python Scripts/reference/make_htsat_fixtures.py --full-size --out "$work/htsat-fullsize" >&2
  fi
fi

# Synthetic clips: 10 s, 44.1 kHz, mono PCM16, seeded (identical on every run).
synth="$work/synthetic-$clips"
if [[ ! -f "$synth/clips.jsonl" ]]; then
  "$python" - "$synth" "$clips" <<'EOF'
import os, sys, wave, json
import numpy as np
out, n = sys.argv[1], int(sys.argv[2])
os.makedirs(out, exist_ok=True)
rate, seconds = 44100, 10
t = np.arange(rate * seconds) / rate
with open(os.path.join(out, "clips.jsonl.tmp"), "w") as m:
    for i in range(n):
        rng = np.random.default_rng(i)
        f1, f2, amp = rng.uniform(100, 4000), rng.uniform(100, 4000), rng.uniform(0.05, 0.3)
        x = amp * (np.sin(2 * np.pi * f1 * t) + 0.5 * np.sin(2 * np.pi * f2 * t)) + rng.normal(0, 0.02, t.size)
        pcm = np.clip(np.round(x * 32767), -32768, 32767).astype("<i2")
        name = "clip%04d.wav" % i
        with wave.open(os.path.join(out, name), "wb") as w:
            w.setnchannels(1); w.setsampwidth(2); w.setframerate(rate); w.writeframes(pcm.tobytes())
        m.write(json.dumps({"id": "synthetic/%04d" % i, "path": name, "captions": ["tones %d Hz and %d Hz in noise" % (f1, f2)]}) + "\n")
os.replace(os.path.join(out, "clips.jsonl.tmp"), os.path.join(out, "clips.jsonl"))
EOF
fi

run() {  # label model manifest
  local label="$1" model="$2" manifest="$3" idx="$work/index-$1"
  rm -rf "$idx"
  local out err
  err="$work/$label.stderr"
  out=$("$bin" build --model "$model" --manifest "$manifest" --index "$idx" --threads "$threads" --format json 2>"$err") || true
  python3 - "$label" "$out" "$threads" <<'EOF'
import json, sys
label, line, threads = sys.argv[1], sys.argv[2], int(sys.argv[3])
s = json.loads(line.strip().splitlines()[-1])
n = s["embedded"] + s["duplicates"]
stages = ["decode", "hash", "resample", "features", "encoder", "index", "catalog"]
secs = {k: s.get("seconds_" + k, 0.0) for k in stages}
total = sum(secs.values()) or 1.0
rate = n / s["seconds"]
print("%-10s %5d clips (%d embedded, %d duplicates, %d failed) in %.1f s: %.2f clips/s with --threads %d"
      % (label, n, s["embedded"], s["duplicates"], s["failed"], s["seconds"], rate, threads))
print("           thread-seconds per stage: " + ", ".join("%s %.1f s (%.1f%%)" % (k, secs[k], 100 * secs[k] / total) for k in stages))
if label == "synthetic":
    laion = 633526
    wall = laion / rate
    print("           projected for 633,526 clips on this machine (--threads %d): %.1f h (%.1f days)" % (threads, wall / 3600, wall / 86400))
    for nodes in (8, 32, 128):
        print("           split over %3d nodes like this one (build --shard i/%d): %.1f h per node" % (nodes, nodes, wall / nodes / 3600))
EOF
}

echo "bench_build: $(date -u '+%Y-%m-%d %H:%M UTC'), load: $(uptime | sed 's/.*load average: //'), $(nproc) cores, --threads $threads"
if [[ -f manifests/demo.jsonl && -d demo/alsa-utils ]]; then
  run demo-tiny Tests/Fixtures/htsat/hf-tiny manifests/demo.jsonl
  run demo-full "$model_full" manifests/demo.jsonl
else
  echo "bench_build: demo corpus not fetched (Scripts/demo/fetch-demo-corpus.sh); skipping A and B" >&2
fi
run synthetic "$model_full" "$synth/clips.jsonl"
