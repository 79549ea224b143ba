#!/usr/bin/env python3
"""CLAP audio encoder, whole path waveform -> embedding: audio-index (Swift) vs laion_clap (PyTorch), same
full-size random HTSAT-tiny weights, same 10 s clips, same invocation, one thread by default.

The script builds laion_clap 1.1.7's HTSAT-tiny CLAP with seeded random weights (no download; the hub
loaders are patched exactly as Scripts/reference/make_frontend_fixtures.py does), writes its state dict as a
release-shaped `.pt` (`module.`-prefixed `state_dict`, `epoch`, `name`) that the Swift side loads with its
native reader, and then, in --rounds alternating rounds, times for each batch size B:
  audio-index  `audio-index bench encoder --model PT --batch B --runs R --threads T --format json`
               (decode-free: the same float32 waveforms written to a .npy; front end + HTSAT + projection)
  PyTorch      CLAP_Module.get_audio_embedding_from_data(x, use_tensor=False) under torch.inference_mode(),
               torch.set_num_threads(T) -- the reference's whole path (int16 round trip, STFT, mel, HTSAT,
               projection, normalisation)
Each side is warmed up once and timed --runs times; the median is reported as clips/s with the ratio, and the
CPU utilisation of the timed runs (process CPU time / wall time: 2.0 = two cores busy; the machine is shared).
Peak memory is the process's VmHWM reset before each batch (/proc/self/clear_refs).

Usage (package root, after `swift build -c release`):
    /work/refenv/bin/python Scripts/bench/bench_encoder.py [--threads 1] [--batches 1 8] [--runs 3] [--rounds 2]
        [--binary .build/release/audio-index] [--work /tmp/audio-index-bench-encoder] [--torch-only]
"""
import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "reference"))


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--batches", type=int, nargs="+", default=[1, 8])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--binary", default=".build/release/audio-index")
    ap.add_argument("--work", type=Path, default=Path("/tmp/audio-index-bench-encoder"))
    ap.add_argument("--torch-only", action="store_true", help="time PyTorch only (no Swift binary needed)")
    return ap.parse_args()


ARGS = parse_args()
for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = str(ARGS.threads)
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import numpy as np  # noqa: E402
import torch  # noqa: E402

from timing import median_seconds_and_cpu  # noqa: E402
import make_frontend_fixtures as reference  # noqa: E402  (environment shims and hub patches, reused)


def clips(count: int) -> np.ndarray:
    """`count` distinct 10 s, 48 kHz float32 clips: a log chirp with seeded noise, different per clip."""
    sr, n = 48000, 480000
    t = np.arange(n) / sr
    rng = np.random.default_rng(7)
    rows = []
    for i in range(count):
        f0 = 80.0 * (1 + i)
        chirp = 0.4 * np.sin(2 * np.pi * f0 * (np.power(100.0, t / 10) - 1) * 10 / np.log(100))
        rows.append(np.clip(chirp + 0.05 * rng.standard_normal(n), -1, 1))
    return np.asarray(rows, dtype=np.float32)


def reset_peak_rss():
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass


def peak_rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def build_model(work: Path):
    torch.set_num_threads(ARGS.threads)
    reference._install_environment_shims()
    reference._patch_hub_loaders()
    import laion_clap

    torch.manual_seed(0)
    clap = laion_clap.CLAP_Module(enable_fusion=False, amodel="HTSAT-tiny", device="cpu")
    clap.model.eval()
    pt = work / "htsat-tiny-random.pt"
    if not pt.exists():
        state = {"module." + k: v for k, v in clap.model.state_dict().items()}
        torch.save({"epoch": 0, "name": "bench-random-htsat-tiny", "state_dict": state}, pt)
    return clap, pt


def time_torch(clap, x: np.ndarray) -> dict:
    reset_peak_rss()
    with torch.inference_mode():
        seconds, utilisation = median_seconds_and_cpu(
            ARGS.runs, lambda: clap.get_audio_embedding_from_data(x=x, use_tensor=False))
    return {"median_seconds": seconds, "clips_per_second": len(x) / seconds, "cpu_utilisation": utilisation,
            "peak_rss_mib": peak_rss_mib()}


def time_swift(pt: Path, waveforms: Path, batch: int) -> dict:
    cmd = [ARGS.binary, "bench", "encoder", "--model", str(pt), "--input", str(waveforms), "--batch", str(batch),
           "--runs", str(ARGS.runs), "--threads", str(ARGS.threads), "--format", "json"]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> int:
    ARGS.work.mkdir(parents=True, exist_ok=True)
    clap, pt = build_model(ARGS.work)
    print(f"torch {torch.__version__}, {ARGS.threads} thread(s); model {pt}", file=sys.stderr)
    rows = []
    for round_index in range(ARGS.rounds):
        for batch in ARGS.batches:
            x = clips(batch)
            waveforms = ARGS.work / f"clips-{batch}.npy"
            np.save(waveforms, x)
            swift = None if ARGS.torch_only else time_swift(pt, waveforms, batch)
            torch_result = time_torch(clap, x)
            row = {"round": round_index, "batch": batch, "threads": ARGS.threads, "pytorch": torch_result,
                   "audio_index": swift}
            if swift:
                row["speedup"] = swift["clips_per_second"] / torch_result["clips_per_second"]
            rows.append(row)
            print(json.dumps(row), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
