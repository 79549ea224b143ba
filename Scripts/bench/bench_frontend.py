#!/usr/bin/env python3
"""Log-mel front end: audio-index (Swift) vs librosa, torchlibrosa and transformers, same 48 kHz array,
same invocation, one thread.

Writes one 10 s, 48 kHz float32 array (a log chirp 100 Hz -> 12 kHz plus low-passed noise, seed 0) to a
temporary .npy, then, in --rounds alternating rounds, times on that same array:
  audio-index   `audio-index bench mel --input ARRAY --format json` (log-mel with the laion profile's
                librosa Slaney bank: double-precision STFT, float32 mel and dB; OpenBLAS 1 thread)
  librosa       librosa.feature.melspectrogram(y, sr=48000, n_fft=1024, hop_length=480, win_length=1024,
                window="hann", center=True, pad_mode="reflect", power=2.0, n_mels=64, fmin=50, fmax=14000)
                + librosa.power_to_db(ref=1.0, amin=1e-10, top_db=None)
  torchlibrosa  Spectrogram + LogmelFilterBank exactly as laion_clap's HTSAT builds them (torch, 1 thread)
  transformers  ClapFeatureExtractor._np_extract_fbank_features (NumPy float64, the HF reference)
Each is warmed up once, then timed --runs times; the median wall time and the median CPU time of the
timing thread are reported, each with its ratio to audio-index (CPU time is less affected by other
processes sharing the machine).

Usage (from the package root, after `swift build -c release`):
    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 /work/refenv/bin/python Scripts/bench/bench_frontend.py
        [--binary .build/release/audio-index] [--runs 21] [--rounds 3]
"""
import os

for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(var, "1")

import argparse  # noqa: E402
import json  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402

from timing import median_wall_and_cpu  # noqa: E402

import numpy as np  # noqa: E402
import librosa  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures"))


def median_ms(runs, fn):
    wall, cpu = median_wall_and_cpu(runs, fn)
    return wall * 1e3, cpu * 1e3


def signal():
    sr = 48000
    t = np.arange(10 * sr) / sr
    rng = np.random.default_rng(0)
    chirp = 0.4 * np.sin(2 * np.pi * 100 * (np.power(120.0, t / 10) - 1) * 10 / np.log(120))
    noise = np.convolve(rng.standard_normal(t.size), np.ones(10) / 10, mode="same") * 0.2
    return np.clip(chirp + noise, -1, 1).astype(np.float32)


def references(x):
    cases = {}
    cases["librosa"] = lambda: librosa.power_to_db(
        librosa.feature.melspectrogram(y=x, sr=48000, n_fft=1024, hop_length=480, win_length=1024, window="hann",
                                       center=True, pad_mode="reflect", power=2.0, n_mels=64, fmin=50, fmax=14000),
        ref=1.0, amin=1e-10, top_db=None)
    try:
        import torch
        from torchlibrosa.stft import Spectrogram, LogmelFilterBank
        torch.set_num_threads(1)
        spec = Spectrogram(n_fft=1024, hop_length=480, win_length=1024, window="hann", center=True,
                           pad_mode="reflect", freeze_parameters=True)
        logmel = LogmelFilterBank(sr=48000, n_fft=1024, n_mels=64, fmin=50, fmax=14000, ref=1.0, amin=1e-10,
                                  top_db=None, freeze_parameters=True)
        xt = torch.from_numpy(x)[None]

        def tl():
            with torch.no_grad():
                logmel(spec(xt))
        cases["torchlibrosa"] = tl
    except ImportError as error:
        print(f"torchlibrosa skipped: {error}", file=sys.stderr)
    try:
        from reference_env import import_torchaudio
        import_torchaudio()  # transformers.audio_utils imports torchaudio
        from transformers import ClapFeatureExtractor
        fe = ClapFeatureExtractor(frequency_min=50, frequency_max=14000, truncation="fusion")
        cases["transformers"] = lambda: fe._np_extract_fbank_features(x.astype(np.float64), fe.mel_filters)
    except ImportError as error:
        print(f"transformers skipped: {error}", file=sys.stderr)
    return cases


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", default=".build/release/audio-index")
    parser.add_argument("--runs", type=int, default=21)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    x = signal()
    cases = references(x)
    print(f"librosa {librosa.__version__}, numpy {np.__version__}; 10 s at 48 kHz, median of {args.runs} runs, "
          f"1 thread, {args.rounds} alternating rounds")
    with tempfile.TemporaryDirectory(prefix="bench-frontend-") as folder:
        array = os.path.join(folder, "signal.npy")
        np.save(array, x)
        for round_index in range(args.rounds):
            out = subprocess.run([args.binary, "bench", "mel", "--input", array, "--runs", str(args.runs),
                                  "--format", "json"], check=True, capture_output=True, text=True)
            if round_index == 0:
                sys.stderr.write(out.stderr)
            swift = {row["case"]: row for row in map(json.loads, out.stdout.splitlines())}
            ours, ours_cpu = swift["logmel"]["median_ms"], swift["logmel"]["cpu_median_ms"]
            line = (f"round {round_index + 1}: audio-index logmel {ours:7.3f} ms, cpu {ours_cpu:.3f} ms "
                    f"(front end {swift['front-end']['median_ms']:.3f} ms)")
            for name, fn in cases.items():
                ms, cpu = median_ms(args.runs if name != "transformers" else max(3, args.runs // 5), fn)
                line += f" | {name} {ms:8.2f} ms = {ms / ours:5.1f}x, cpu {cpu:.2f} ms = {cpu / ours_cpu:5.1f}x"
            print(line, flush=True)


if __name__ == "__main__":
    main()
