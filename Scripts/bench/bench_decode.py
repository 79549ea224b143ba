#!/usr/bin/env python3
"""Decode and resample throughput: audio-index (Swift) vs python-soundfile + python-soxr, same files,
same run, one thread.

Runs `audio-index bench decode --folder DIR --format json` (which writes the inputs and times its
own decoder and resampler), then times the Python reference on the very same files:
  decode:   soundfile.read(path, dtype="float32")      (what librosa.load does first)
  resample: soxr.resample(x, sr, 48000, quality="HQ")  (librosa's default res_type="soxr_hq")
and prints both throughputs (input samples per second, median of --runs) and the ratio Swift/Python.

Usage (from the package root, after `swift build -c release`):
    source /work/refenv/bin/activate
    OMP_NUM_THREADS=1 python Scripts/bench/bench_decode.py [--binary .build/release/audio-index] [--runs 7]
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

from timing import median_seconds

import soundfile as sf
import soxr


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", default=".build/release/audio-index")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--seconds", type=int, default=10)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-decode-") as folder:
        out = subprocess.run(
            [args.binary, "bench", "decode", "--folder", folder, "--runs", str(args.runs),
             "--seconds", str(args.seconds), "--format", "json"],
            check=True, capture_output=True, text=True)
        sys.stderr.write(out.stderr)
        swift = [json.loads(line) for line in out.stdout.splitlines() if line.strip()]

        print(f"python-soundfile {sf.__version__} (libsndfile {sf.__libsndfile_version__}), "
              f"python-soxr {soxr.__version__} (libsoxr {soxr.__libsoxr_version__}); "
              f"{args.seconds} s signal, median of {args.runs} runs, 1 thread")
        print(f"{'case':<22}{'Swift Ms/s':>12}{'Python Ms/s':>13}{'Swift/Python':>14}")
        for row in swift:
            path = row["file"]
            if row["case"].startswith("resample"):
                x, rate = sf.read(path, dtype="float32")
                seconds = median_seconds(args.runs, lambda: soxr.resample(x, rate, 48000, quality="HQ"))
                samples = x.size
            else:
                seconds = median_seconds(args.runs, lambda: sf.read(path, dtype="float32"))
                samples = sf.read(path, dtype="float32")[0].size
            py_rate = samples / seconds
            print(f"{row['case']:<22}{row['samples_per_s'] / 1e6:>12.1f}{py_rate / 1e6:>13.1f}"
                  f"{row['samples_per_s'] / py_rate:>13.2f}x")


if __name__ == "__main__":
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    main()
