#!/usr/bin/env python3
"""Golden fixtures for the audio-index CLAP front end (log-mel).

Generates seeded test clips and runs the REAL reference code on them:

  laion          laion_clap 1.1.7, non-fusion: int16 round trip, get_audio_features(rand_trunc, repeatpad),
                 then the constructed model's audio_branch.spectrogram_extractor + logmel_extractor (torchlibrosa)
  laion-fusion   laion_clap 1.1.7, fusion: int16 round trip, get_audio_features(fusion, repeatpad)
                 (torchaudio HTK mel + torchvision Resize for the shrink)
  hf-rand_trunc  transformers ClapFeatureExtractor._get_input_mel, truncation rand_trunc
  hf-fusion      transformers ClapFeatureExtractor._get_input_mel, truncation fusion

Nothing here re-implements the references: every expected array comes out of laion_clap, torchlibrosa,
torchaudio, torchvision or transformers. The only local code replays recorded crop offsets as a self-check.

Run from the repository root (see Scripts/reference/README.md):
    HF_HUB_OFFLINE=1 /work/refenv/bin/python Scripts/reference/make_frontend_fixtures.py

Output: Tests/Fixtures/frontend/ (deleted and rewritten on every run).
"""
from __future__ import annotations

import os

# Never touch a model hub. Set before transformers / huggingface_hub are imported.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import argparse
import glob
import hashlib
import importlib.util
import json
import platform
import shutil
import sys
import tempfile
import types
import zlib
from pathlib import Path

import numpy as np
import torch

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_OUT = REPO_ROOT / "Tests" / "Fixtures" / "frontend"
REGENERATE_COMMAND = "HF_HUB_OFFLINE=1 /work/refenv/bin/python Scripts/reference/make_frontend_fixtures.py"

MAX_LEN = 480000  # 10 s at 48 kHz, laion_clap's and HF's max length
FLAC_COMPRESSION_LEVEL = 1.0  # soundfile scale 0..1 (libsndfile -> FLAC level 8)
TORCH_THREADS = 1  # fixed so results do not depend on the machine's core count

# ---------------------------------------------------------------------------------------------------------------
# Environment shims (recorded in MANIFEST.json under "environment_shims")
#
# PyPI's Linux wheels of torchvision and torchaudio are CUDA builds: their native extensions need libtorch_cuda.so,
# which torch 2.13.0+cpu does not have, so `torch.ops.load_library` fails. Neither native extension is used by the
# code paths called here (torchvision Resize on tensors -> torch.nn.functional.interpolate; torchaudio
# MelSpectrogram/AmplitudeToDB -> torch.stft and Python). But:
#   * torchvision 0.28 registers fake kernels for torchvision::nms/qnms unconditionally at import, which raises when
#     the extension did not load. We define just those two op schemas (no kernels) so the import goes through.
#   * torchaudio 2.11 lets the load error propagate. We pre-register a stand-in for `torchaudio._extension` that
#     reports "no native extension", the state torchaudio itself handles when the library file is absent.
# Both shims are applied only when the native library really cannot be loaded.
# ---------------------------------------------------------------------------------------------------------------
ENV_SHIMS: dict[str, str] = {}
_KEEP_ALIVE = []


def _try_load_native(pkg: str, pattern: str):
    spec = importlib.util.find_spec(pkg)
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit(f"{pkg} is not installed in this environment")
    paths = sorted(glob.glob(os.path.join(spec.submodule_search_locations[0], pattern)))
    if not paths:
        return None
    try:
        torch.ops.load_library(paths[0])
        return None
    except OSError as e:
        return f"{os.path.basename(paths[0])}: {e}"


def _install_environment_shims() -> None:
    err = _try_load_native("torchvision", "_C*.so")
    if err:
        lib = torch.library.Library("torchvision", "DEF")
        lib.define("nms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor")
        lib.define("qnms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor")
        _KEEP_ALIVE.append(lib)
        ENV_SHIMS["torchvision"] = (
            "native extension not loadable with this torch (" + err.split(":")[0] + ", CUDA build); "
            "defined op schemas torchvision::nms/qnms only so that `import torchvision` succeeds; "
            "Resize on tensors is pure torch (F.interpolate)"
        )
    err = _try_load_native("torchaudio", "lib/_torchaudio*.so")
    if err:
        stub = types.ModuleType("torchaudio._extension")
        stub._IS_TORCHAUDIO_EXT_AVAILABLE = False
        stub._IS_ALIGN_AVAILABLE = False

        def fail_if_no_align(func):
            def wrapped(*a, **k):
                raise RuntimeError("torchaudio native extension unavailable")
            return wrapped

        stub.fail_if_no_align = fail_if_no_align
        stub._load_lib = lambda lib: False
        stub._check_cuda_version = lambda: None
        sys.modules["torchaudio._extension"] = stub
        ENV_SHIMS["torchaudio"] = (
            "native extension not loadable with this torch (" + err.split(":")[0] + ", CUDA build); "
            "torchaudio._extension replaced by a 'no native extension' stand-in; "
            "MelSpectrogram/AmplitudeToDB are pure Python over torch.stft"
        )


# laion_clap builds RoBERTa (and three tokenizers) from the hub. The text side is not used here: build RoBERTa from a
# local roberta-base-shaped config and make the tokenizers' from_pretrained return None.
ROBERTA_BASE = dict(
    vocab_size=50265, hidden_size=768, num_hidden_layers=12, num_attention_heads=12, intermediate_size=3072,
    hidden_act="gelu", max_position_embeddings=514, type_vocab_size=1, layer_norm_eps=1e-5,
    pad_token_id=1, bos_token_id=0, eos_token_id=2,
)


def _patch_hub_loaders() -> None:
    from transformers import BartTokenizer, BertTokenizer, RobertaConfig, RobertaModel, RobertaTokenizer

    for cls in (BertTokenizer, RobertaTokenizer, BartTokenizer):
        cls.from_pretrained = classmethod(lambda c, *a, **k: None)
    RobertaModel.from_pretrained = classmethod(lambda c, *a, **k: c(RobertaConfig(**ROBERTA_BASE)))


# ---------------------------------------------------------------------------------------------------------------
# Clip recipes. Every clip is generated with numpy's legacy RandomState(seed) (a frozen stream) and written as
# 16-bit PCM: q = clip(round(x * 32768), -32768, 32767). libsndfile decodes it to q / 32768 on both sides.
# ---------------------------------------------------------------------------------------------------------------
RECIPES: dict[str, dict] = {
    "chirp_noise_7s": dict(
        seed=1001, sr=48000, channels=1, n_frames=7 * 48000, format="FLAC",
        description="log chirp 100 Hz -> 12 kHz, amplitude 0.5, slow AM (0.7 Hz, depth 0.4), "
                    "plus Gaussian white noise std 0.05",
    ),
    "tone440_3s": dict(
        seed=1002, sr=48000, channels=1, n_frames=3 * 48000, format="FLAC",
        description="pure 440 Hz sine, amplitude 0.5, phase 0",
    ),
    "bandnoise_5s": dict(
        seed=1003, sr=48000, channels=1, n_frames=5 * 48000, format="FLAC",
        description="Gaussian noise band-limited to 1-4 kHz (rfft brick-wall mask), scaled to RMS 0.1",
    ),
    "click37": dict(
        seed=1004, sr=48000, channels=1, n_frames=37, format="WAV",
        description="37-sample click: 0.8*exp(-n/5)*cos(2*pi*3000*n/48000) plus Gaussian noise std 0.01",
    ),
    "exact10s": dict(
        seed=1005, sr=48000, channels=1, n_frames=480000, format="FLAC",
        description="exactly 480000 samples: log chirp 200 Hz -> 16 kHz amplitude 0.4 with AM (0.3 Hz), "
                    "plus Gaussian noise std 1e-4 (kept quiet so the FLAC stays small)",
    ),
    "plus1": dict(
        seed=1006, sr=48000, channels=1, n_frames=480001, format="FLAC",
        description="exactly 480001 samples: log chirp 12 kHz -> 150 Hz (downward) amplitude 0.4 with AM (0.5 Hz), "
                    "plus Gaussian noise std 1e-4",
    ),
    "long25s": dict(
        seed=1007, sr=48000, channels=1, n_frames=25 * 48000, format="FLAC",
        description="25 s of ten 2.5 s segments, each a different chord of 1-3 sines (random freqs 80-9000 Hz, "
                    "random amplitudes), some gliding, 20 ms raised-cosine crossfades, overall loudness ramp; "
                    "plus quiet Gaussian noise std 5e-5",
    ),
    "stereo_6s": dict(
        seed=1008, sr=48000, channels=2, n_frames=6 * 48000, format="FLAC",
        description="L: log chirp 200 Hz -> 8 kHz amplitude 0.45 + noise std 1e-4; "
                    "R: 330+660 Hz sines (0.3, 0.15) with 2 Hz AM + noise std 1e-4 (independent)",
    ),
    "sr44k_2s": dict(
        seed=1009, sr=44100, channels=1, n_frames=2 * 44100, format="FLAC",
        description="44.1 kHz, 2 s: log chirp 100 Hz -> 12 kHz amplitude 0.5 with slow AM plus noise std 0.05",
    ),
}

PROFILES_BY_CLIP: dict[str, list[str]] = {
    "chirp_noise_7s": ["laion", "laion-fusion", "hf-rand_trunc", "hf-fusion"],
    "tone440_3s": ["laion", "hf-rand_trunc"],
    "bandnoise_5s": ["laion"],
    "click37": ["laion", "laion-fusion", "hf-rand_trunc", "hf-fusion"],
    "exact10s": ["laion", "laion-fusion", "hf-rand_trunc"],
    "plus1": ["laion", "laion-fusion", "hf-rand_trunc", "hf-fusion"],
    "long25s": ["laion", "laion-fusion", "hf-rand_trunc", "hf-fusion"],
    "stereo_6s": ["laion", "laion-fusion"],
    "sr44k_2s": ["laion", "hf-fusion"],
}
PROFILES = ["laion", "laion-fusion", "hf-rand_trunc", "hf-fusion"]


def _log_chirp(t: np.ndarray, f0: float, f1: float, dur: float) -> np.ndarray:
    k = np.log(f1 / f0)
    phase = 2 * np.pi * f0 * dur / k * (np.exp(k * t / dur) - 1.0)
    return np.sin(phase)


def synthesize(name: str) -> np.ndarray:
    """Float64 signal, shape (n_frames,) or (n_frames, channels), before 16-bit quantisation."""
    r = RECIPES[name]
    rs = np.random.RandomState(r["seed"])
    sr, n = r["sr"], r["n_frames"]
    t = np.arange(n, dtype=np.float64) / sr
    dur = n / sr
    if name in ("chirp_noise_7s", "sr44k_2s"):
        am = 1.0 - 0.4 * (0.5 - 0.5 * np.cos(2 * np.pi * 0.7 * t))
        return 0.5 * am * _log_chirp(t, 100.0, 12000.0, dur) + 0.05 * rs.standard_normal(n)
    if name == "tone440_3s":
        return 0.5 * np.sin(2 * np.pi * 440.0 * t)
    if name == "bandnoise_5s":
        spec = np.fft.rfft(rs.standard_normal(n))
        f = np.fft.rfftfreq(n, 1.0 / sr)
        spec[(f < 1000.0) | (f > 4000.0)] = 0.0
        x = np.fft.irfft(spec, n)
        return 0.1 * x / np.sqrt(np.mean(x * x))
    if name == "click37":
        k = np.arange(n, dtype=np.float64)
        return 0.8 * np.exp(-k / 5.0) * np.cos(2 * np.pi * 3000.0 * k / sr) + 0.01 * rs.standard_normal(n)
    if name == "exact10s":
        am = 0.75 + 0.25 * np.sin(2 * np.pi * 0.3 * t)
        return 0.4 * am * _log_chirp(t, 200.0, 16000.0, dur) + 1e-4 * rs.standard_normal(n)
    if name == "plus1":
        am = 0.75 + 0.25 * np.sin(2 * np.pi * 0.5 * t)
        return 0.4 * am * _log_chirp(t, 12000.0, 150.0, dur) + 1e-4 * rs.standard_normal(n)
    if name == "long25s":
        seg = n // 10
        fade = int(0.02 * sr)
        x = np.zeros(n)
        for s in range(10):
            lo, hi = max(0, s * seg - fade), min(n, (s + 1) * seg + fade)
            tt = t[lo:hi] - t[lo]
            y = np.zeros(hi - lo)
            for _ in range(1 + rs.randint(0, 3)):
                f0 = float(np.exp(rs.uniform(np.log(80.0), np.log(9000.0))))
                glide = float(rs.choice([1.0, 1.0, rs.uniform(0.5, 2.0)]))
                a = float(rs.uniform(0.05, 0.25))
                finst = f0 * glide ** (tt / tt[-1])
                y += a * np.sin(2 * np.pi * np.cumsum(finst) / sr + rs.uniform(0, 2 * np.pi))
            w = np.ones(hi - lo)
            if lo > 0:
                w[: 2 * fade] = 0.5 - 0.5 * np.cos(np.pi * np.arange(2 * fade) / (2 * fade))
            if hi < n:
                w[-2 * fade:] = 0.5 + 0.5 * np.cos(np.pi * np.arange(2 * fade) / (2 * fade))
            x[lo:hi] += w * y
        x *= 0.6 + 0.4 * t / dur
        return x + 5e-5 * rs.standard_normal(n)
    if name == "stereo_6s":
        left = 0.45 * _log_chirp(t, 200.0, 8000.0, dur) + 1e-4 * rs.standard_normal(n)
        am = 0.7 + 0.3 * np.sin(2 * np.pi * 2.0 * t)
        right = am * (0.3 * np.sin(2 * np.pi * 330.0 * t) + 0.15 * np.sin(2 * np.pi * 660.0 * t))
        right = right + 1e-4 * rs.standard_normal(n)
        return np.stack([left, right], axis=1)
    raise KeyError(name)


def quantize_pcm16(x: np.ndarray) -> np.ndarray:
    return np.clip(np.round(x * 32768.0), -32768, 32767).astype(np.int16)


# ---------------------------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------------------------
def sha256_f32(a) -> str:
    if isinstance(a, torch.Tensor):
        a = a.detach().cpu().numpy()
    return hashlib.sha256(np.ascontiguousarray(a, dtype="<f4").tobytes()).hexdigest()


def floats(a) -> list[float]:
    if isinstance(a, torch.Tensor):
        a = a.detach().cpu().numpy()
    return [float(v) for v in np.asarray(a).ravel()]


def sha256_file(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


def save_npy(path: Path, a) -> None:
    if isinstance(a, torch.Tensor):
        a = a.detach().cpu().numpy()
    a = np.ascontiguousarray(a)
    if a.dtype != np.dtype("<f4"):
        raise AssertionError(f"{path.name}: expected float32, got {a.dtype}")
    with open(path, "wb") as f:
        np.lib.format.write_array(f, a, version=(1, 0), allow_pickle=False)


def write_json(path: Path, obj) -> None:
    path.write_text(json.dumps(obj, indent=2, sort_keys=False, allow_nan=False) + "\n")


def signal_stats(a) -> dict:
    if isinstance(a, torch.Tensor):
        a = a.detach().cpu().numpy()
    a = np.asarray(a, dtype=np.float64)
    return {"min": float(a.min()), "max": float(a.max()), "mean": float(a.mean())}


def profile_seed(clip: str, profile: str) -> int:
    """Seed passed to np.random.seed right before each reference call (legacy global MT19937)."""
    return zlib.crc32(f"{clip}/{profile}".encode()) & 0x7FFFFFFF


class RandomLog:
    """Wrap np.random.randint / np.random.choice (module attributes, as the references call them) and log results."""

    def __init__(self):
        self.calls: list[dict] = []

    def __enter__(self):
        self._orig = (np.random.randint, np.random.choice)
        o_randint, o_choice = self._orig

        def randint(*args, **kwargs):
            r = o_randint(*args, **kwargs)
            self.calls.append({"fn": "np.random.randint", "args": [int(a) for a in args], "result": int(r)})
            return r

        def choice(a, *args, **kwargs):
            r = o_choice(a, *args, **kwargs)
            arr = np.asarray(a)
            self.calls.append({
                "fn": "np.random.choice",
                "population": {"first": int(arr[0]), "last": int(arr[-1]), "len": int(arr.size)},
                "result": int(r),
            })
            return r

        np.random.randint, np.random.choice = randint, choice
        return self

    def __exit__(self, *exc):
        np.random.randint, np.random.choice = self._orig
        return False


def model_input_record(w, prefix: str = "model_input") -> dict:
    if isinstance(w, torch.Tensor):
        w = w.detach().cpu().numpy()
    w = np.asarray(w)
    return {
        f"{prefix}_n_samples": int(w.shape[-1]),
        f"{prefix}_dtype": str(w.dtype),
        f"{prefix}_sha256": sha256_f32(w),
        f"{prefix}_first16": floats(w.ravel()[:16]),
        f"{prefix}_last16": floats(w.ravel()[-16:]),
    }


# ---------------------------------------------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------------------------------------------
def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output directory (deleted and rewritten)")
    args = ap.parse_args()
    out: Path = args.out.resolve()

    torch.set_num_threads(TORCH_THREADS)
    _install_environment_shims()
    _patch_hub_loaders()

    import librosa
    import soundfile as sf
    import soxr
    import torchaudio
    import torchlibrosa
    import torchvision
    import transformers
    import laion_clap
    from laion_clap.training import data as laion_data
    from transformers import ClapFeatureExtractor

    get_audio_features = laion_data.get_audio_features
    int16_to_float32, float32_to_int16 = laion_data.int16_to_float32, laion_data.float32_to_int16

    if out.exists():
        shutil.rmtree(out)
    clips_dir, exp_dir = out / "clips", out / "expected"
    clips_dir.mkdir(parents=True)
    exp_dir.mkdir()

    # ---- the reference models (random init; only the fixed STFT/mel modules and audio_cfg are used) ----
    torch.manual_seed(0)
    clap = laion_clap.CLAP_Module(enable_fusion=False, amodel="HTSAT-tiny", device="cpu")
    clap.model.eval()
    torch.manual_seed(0)
    clap_fusion = laion_clap.CLAP_Module(enable_fusion=True, amodel="HTSAT-tiny", device="cpu")
    clap_fusion.model.eval()
    audio_cfg = clap.model_cfg["audio_cfg"]
    audio_cfg_fusion = clap_fusion.model_cfg["audio_cfg"]
    spec_ex = clap.model.audio_branch.spectrogram_extractor
    logmel_ex = clap.model.audio_branch.logmel_extractor
    melW = logmel_ex.melW.detach().cpu().numpy()
    assert melW.shape == (513, 64) and melW.dtype == np.float32, melW.shape
    save_npy(exp_dir / "laion.melW.npy", melW)

    def laion_logmel(waveform: torch.Tensor) -> torch.Tensor:
        with torch.no_grad():
            return logmel_ex(spec_ex(waveform[None]))  # (1, 1, T, 64)

    # The fusion mel: record what laion_clap's get_mel is fed, by wrapping the module global that
    # get_audio_features resolves at call time.
    orig_get_mel = get_audio_features.__globals__["get_mel"]
    mel_inputs: list[torch.Tensor] = []

    def logging_get_mel(audio_data, cfg):
        mel_inputs.append(audio_data.detach().clone())
        return orig_get_mel(audio_data, cfg)

    # ---- HF feature extractors, configured like the hub preprocessor configs, round-tripped via save_pretrained ----
    hf_common = dict(
        feature_size=64, sampling_rate=48000, hop_length=480, max_length_s=10, fft_window_size=1024,
        padding_value=0.0, return_attention_mask=False, frequency_min=50, frequency_max=14000, top_db=None,
        padding="repeatpad",
    )
    hf_fe = {}
    for prof, trunc in (("hf-rand_trunc", "rand_trunc"), ("hf-fusion", "fusion")):
        d = out / prof
        ClapFeatureExtractor(truncation=trunc, **hf_common).save_pretrained(str(d))
        fe = ClapFeatureExtractor.from_pretrained(str(d), local_files_only=True)
        assert fe.truncation == trunc and fe.padding == "repeatpad" and fe.nb_max_samples == MAX_LEN
        assert fe.frequency_min == 50 and fe.frequency_max == 14000 and fe.top_db is None
        hf_fe[prof] = fe

    resize_antialias = torchvision.transforms.Resize(size=[1001, 64]).antialias

    # ---- clips ----
    clip_files: dict[str, Path] = {}
    for name, r in RECIPES.items():
        q = quantize_pcm16(synthesize(name))
        assert q.shape[0] == r["n_frames"]
        ext = {"FLAC": "flac", "WAV": "wav"}[r["format"]]
        p = clips_dir / f"{name}.{ext}"
        extra = {"compression_level": FLAC_COMPRESSION_LEVEL} if r["format"] == "FLAC" else {}
        sf.write(str(p), q, r["sr"], subtype="PCM_16", format=r["format"], **extra)
        back, sr_back = sf.read(str(p), dtype="int16", always_2d=True)
        assert sr_back == r["sr"] and np.array_equal(back, q.reshape(back.shape)), name
        clip_files[name] = p

    summary_rows = []
    self_checks = []
    for name, r in RECIPES.items():
        path = clip_files[name]
        # Reference input waveform, exactly as laion_clap's get_audio_embedding_from_filelist loads it.
        y, sr_y = librosa.load(str(path), sr=48000)
        assert sr_y == 48000 and y.dtype == np.float32 and y.ndim == 1
        # Decode sanity: 16-bit PCM decodes to k/32768 (mono), channel mean in float32 (stereo).
        raw, _ = sf.read(str(path), dtype="float32", always_2d=True)
        if r["sr"] == 48000:
            expect = raw[:, 0] if raw.shape[1] == 1 else np.mean(raw.T, axis=0)
            assert np.array_equal(y, expect), name
        in_rec = {
            "clip": name,
            "file": f"clips/{path.name}",
            "file_sample_rate": r["sr"],
            "file_channels": r["channels"],
            "file_frames": r["n_frames"],
            "loader": "librosa.load(path, sr=48000) (mono=True: channel mean in float32; res_type soxr_hq)",
            **model_input_record(y, "waveform48k"),
            "waveform48k_stats": signal_stats(y),
        }
        if r["sr"] != 48000:
            # Independent check that librosa used python-soxr HQ.
            direct = soxr.resample(np.ascontiguousarray(raw[:, 0]), r["sr"], 48000, quality="HQ")
            # librosa.resample then calls fix_length(size=ceil(n * (48000.0 / sr))), computed in that order in
            # float64: for 88200 samples at 44.1 kHz, 88200 * 1.0884353741496597 = 96000.00000000001 -> 96001.
            librosa_len = int(np.ceil(r["n_frames"] * (float(48000) / r["sr"])))
            assert y.shape[0] == librosa_len, (y.shape, librosa_len)
            k = min(direct.shape[0], librosa_len)
            assert direct.dtype == np.float32 and np.array_equal(direct[:k], y[:k]), "librosa.load != soxr HQ"
            assert not np.any(y[k:]), "librosa fix_length should zero-pad"
            in_rec["soxr_output_n_samples"] = int(direct.shape[0])
            in_rec["librosa_fix_length"] = (
                f"librosa.resample pads/trims the soxr output ({direct.shape[0]} samples) to "
                f"ceil(n_in * (48000.0 / {r['sr']})) = {librosa_len} samples (float64, multiply last), "
                "zero-padding at the end"
            )
            rp = exp_dir / f"{name}.resampled48k.npy"
            save_npy(rp, y)
            in_rec["resampled48k_file"] = f"expected/{rp.name}"
            in_rec["resampler"] = "python-soxr soxr.resample(..., quality='HQ') via librosa res_type='soxr_hq'"
        write_json(exp_dir / f"{name}.input.json", in_rec)

        for prof in PROFILES_BY_CLIP[name]:
            seed = profile_seed(name, prof)
            rec: dict = {"clip": name, "profile": prof, "n_samples": int(y.shape[0]), "np_random_seed": seed}
            if prof in ("laion", "laion-fusion"):
                fusion = prof == "laion-fusion"
                mel_inputs.clear()
                get_audio_features.__globals__["get_mel"] = logging_get_mel
                try:
                    np.random.seed(seed)
                    with RandomLog() as log:
                        w = int16_to_float32(float32_to_int16(y))
                        w = torch.from_numpy(w).float()
                        sample = get_audio_features(
                            {}, w, MAX_LEN,
                            data_truncating="fusion" if fusion else "rand_trunc",
                            data_filling="repeatpad",
                            audio_cfg=audio_cfg_fusion if fusion else audio_cfg,
                            require_grad=w.requires_grad,
                        )
                finally:
                    get_audio_features.__globals__["get_mel"] = orig_get_mel
                longer = bool(sample["longer"].item())
                rec["reference"] = (
                    "laion_clap 1.1.7: int16_to_float32(float32_to_int16(x)); get_audio_features(max_len=480000, "
                    + ("data_truncating='fusion'" if fusion else "data_truncating='rand_trunc'")
                    + ", data_filling='repeatpad', audio_cfg=model_cfg['audio_cfg'])"
                    + ("; sample['mel_fusion'] (torchaudio MelSpectrogram HTK + AmplitudeToDB, torchvision Resize)"
                       if fusion else "; audio_branch.logmel_extractor(audio_branch.spectrogram_extractor("
                                      "sample['waveform'][None])) (torchlibrosa)")
                )
                rec["longer"] = longer
                rec["rng_calls"] = log.calls
                rec["quantized_sha256"] = sha256_f32(w)
                rec["quantized_n_samples"] = int(w.shape[0])
                if not fusion:
                    wf = sample["waveform"]
                    assert wf.shape == (MAX_LEN,) and wf.dtype == torch.float32
                    out_t = laion_logmel(wf)
                    assert out_t.shape == (1, 1, 1001, 64) and out_t.dtype == torch.float32
                    ref_shape = list(out_t.shape)
                    mel = out_t[0, 0].numpy()
                    crop = None
                    if log.calls:
                        assert len(log.calls) == 1 and log.calls[0]["fn"] == "np.random.randint"
                        crop = {"waveform_start": log.calls[0]["result"]}
                    rec["crop_offsets"] = crop
                    rec.update(model_input_record(wf))
                    stored = mel
                    rec["channels_identical"] = None
                    # self-check: replay from the recorded offset without get_audio_features
                    replay_in = replay_waveform(w.numpy(), crop["waveform_start"] if crop else None)
                    assert sha256_f32(replay_in) == rec["model_input_sha256"], (name, prof, "replay input")
                    replay = laion_logmel(torch.from_numpy(replay_in))[0, 0].numpy()
                    assert np.array_equal(replay, mel), (name, prof, "replay mel")
                    self_checks.append(f"{name}.{prof}: replayed crop {crop} -> model input and log-mel identical")
                else:
                    mf = sample["mel_fusion"]
                    assert mf.shape == (4, 1001, 64) and mf.dtype == torch.float32, mf.shape
                    ref_shape = list(mf.shape)
                    mf = mf.numpy()
                    assert len(mel_inputs) == 1
                    mel_in = mel_inputs[0]
                    rec.update(model_input_record(mel_in))
                    rec["model_input_note"] = (
                        "waveform passed to laion_clap get_mel (repeat-padded when shorter than 480000, "
                        "the full clip when longer)"
                    )
                    identical = all(np.array_equal(mf[0], mf[c]) for c in (1, 2, 3))
                    rec["channels_identical"] = identical
                    chooses = [c for c in log.calls if c["fn"] == "np.random.choice"]
                    randints = [c for c in log.calls if c["fn"] == "np.random.randint"]
                    crop = {}
                    if chooses:
                        assert longer and len(chooses) == 3
                        crop.update(idx_front=chooses[0]["result"], idx_middle=chooses[1]["result"],
                                    idx_back=chooses[2]["result"])
                    if randints:
                        assert len(randints) == 1
                        crop["waveform_crop_start_unused"] = randints[0]["result"]
                    rec["crop_offsets"] = crop or None
                    if longer:
                        assert not identical
                    else:
                        assert identical, f"{name}: fusion channels expected identical"
                    # self-check: replay with laion_clap's own get_mel and torchvision Resize
                    mel_full = orig_get_mel(torch.from_numpy(replay_waveform(w.numpy(), None, allow_long=True)),
                                            audio_cfg_fusion)
                    if longer:
                        idx = [crop["idx_front"], crop["idx_middle"], crop["idx_back"]]
                        shrink = torchvision.transforms.Resize(size=[1001, 64])(mel_full[None])[0]
                        rebuilt = torch.stack([shrink] + [mel_full[i:i + 1001] for i in idx]).numpy()
                        # What Resize is (documented in the JSON): bilinear, align_corners=False, antialias=True.
                        interp = torch.nn.functional.interpolate(
                            mel_full[None, None], size=[1001, 64], mode="bilinear", align_corners=False,
                            antialias=True)[0, 0]
                        rec["shrink_equals_F_interpolate_bilinear_antialias_true"] = bool(
                            torch.equal(interp, shrink))
                        interp_noaa = torch.nn.functional.interpolate(
                            mel_full[None, None], size=[1001, 64], mode="bilinear", align_corners=False,
                            antialias=False)[0, 0]
                        rec["shrink_max_abs_diff_vs_no_antialias"] = float((interp_noaa - shrink).abs().max())
                        rec["full_mel_frames"] = int(mel_full.shape[0])
                    else:
                        assert mel_full.shape[0] == 1001
                        rebuilt = torch.stack([mel_full] * 4).numpy()
                    assert np.array_equal(rebuilt, mf), (name, prof, "replay")
                    self_checks.append(f"{name}.{prof}: replayed crops {crop or None} -> mel_fusion identical")
                    stored = mf[0] if identical else mf
                    mel = mf
            else:  # HF
                fe = hf_fe[prof]
                fed: list[np.ndarray] = []
                orig_extract = fe._np_extract_fbank_features

                def logging_extract(waveform, mel_filters=None, _o=orig_extract, _fed=fed):
                    _fed.append(np.array(waveform, copy=True))
                    return _o(waveform, mel_filters)

                fe._np_extract_fbank_features = logging_extract
                try:
                    np.random.seed(seed)
                    with RandomLog() as log:
                        input_mel, is_longer = fe._get_input_mel(y, fe.nb_max_samples, fe.truncation, fe.padding)
                finally:
                    del fe._np_extract_fbank_features
                rec["reference"] = (
                    f"transformers {transformers.__version__} ClapFeatureExtractor._get_input_mel(waveform, "
                    f"480000, truncation='{fe.truncation}', padding='repeatpad') on the librosa.load float32 "
                    "waveform (no int16 round trip); config in " + prof + "/preprocessor_config.json"
                )
                rec["is_longer"] = bool(is_longer)
                rec["rng_calls"] = log.calls
                rec["hf_output_dtype"] = str(input_mel.dtype)
                ref_shape = list(input_mel.shape)
                assert input_mel.dtype == np.float32, input_mel.dtype
                assert len(fed) == 1
                rec.update(model_input_record(fed[0]))
                if prof == "hf-rand_trunc":
                    assert input_mel.shape == (1, 1001, 64)
                    mel = input_mel[0]
                    crop = None
                    if log.calls:
                        assert len(log.calls) == 1 and log.calls[0]["fn"] == "np.random.randint"
                        crop = {"waveform_start": log.calls[0]["result"]}
                    rec["crop_offsets"] = crop
                    rec["channels_identical"] = None
                    stored = mel
                    replay_in = replay_waveform(y, crop["waveform_start"] if crop else None)
                    assert sha256_f32(replay_in) == rec["model_input_sha256"]
                    replay = orig_extract(replay_in, fe.mel_filters_slaney)
                    assert np.array_equal(replay, mel), (name, prof, "replay")
                    self_checks.append(f"{name}.{prof}: replayed crop {crop} -> model input and log-mel identical")
                else:
                    assert input_mel.shape == (4, 1001, 64)
                    mel = input_mel
                    identical = all(np.array_equal(mel[0], mel[c]) for c in (1, 2, 3))
                    rec["channels_identical"] = identical
                    crop = None
                    if log.calls:
                        assert len(log.calls) == 3 and all(c["fn"] == "np.random.choice" for c in log.calls)
                        crop = dict(idx_front=log.calls[0]["result"], idx_middle=log.calls[1]["result"],
                                    idx_back=log.calls[2]["result"])
                    rec["crop_offsets"] = crop
                    if is_longer:
                        assert not identical
                    else:
                        assert identical
                    full = orig_extract(replay_waveform(y, None, allow_long=True), fe.mel_filters)
                    if crop:
                        idx = [crop["idx_front"], crop["idx_middle"], crop["idx_back"]]
                        shrink = torch.nn.functional.interpolate(
                            torch.tensor(full[None, None]), size=[1001, 64], mode="bilinear",
                            align_corners=False)[0, 0].numpy()
                        rebuilt = np.stack([shrink] + [full[i:i + 1001] for i in idx])
                        rec["full_mel_frames"] = int(full.shape[0])
                    else:
                        rebuilt = np.stack([full] * 4)
                    assert np.array_equal(rebuilt, mel), (name, prof, "replay")
                    self_checks.append(f"{name}.{prof}: replayed crops {crop} -> input_mel identical")
                    stored = mel[0] if identical else mel

            # common bookkeeping
            if log.calls:
                # the offsets must also follow from the seed alone (legacy MT19937)
                rs = np.random.RandomState(seed)
                for c in log.calls:
                    if c["fn"] == "np.random.randint":
                        assert int(rs.randint(*c["args"])) == c["result"]
                    else:
                        p = c["population"]
                        assert int(rs.choice(np.arange(p["first"], p["last"] + 1))) == c["result"]
            rec["output_shape"] = ref_shape
            rec["stored_shape"] = list(stored.shape)
            rec["output_dtype"] = "float32"
            rec["logmel_file"] = f"expected/{name}.{prof}.logmel.npy"
            rec["logmel_stats"] = signal_stats(mel)
            save_npy(exp_dir / f"{name}.{prof}.logmel.npy", stored)
            write_json(exp_dir / f"{name}.{prof}.json", rec)
            summary_rows.append((name, prof, rec.get("longer", rec.get("is_longer")), rec["crop_offsets"],
                                 rec["output_shape"], rec["stored_shape"], rec["logmel_stats"]))

    # ---- manifest ----
    versions = {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "scipy": __import__("scipy").__version__,
        "torch": torch.__version__,
        "torchaudio": torchaudio.__version__,
        "torchvision": torchvision.__version__,
        "librosa": librosa.__version__,
        "soxr": soxr.__version__,
        "libsoxr": getattr(soxr, "__libsoxr_version__", None),
        "soundfile": sf.__version__,
        "libsndfile": sf.__libsndfile_version__,
        "torchlibrosa": _dist_version("torchlibrosa"),
        "laion_clap": _dist_version("laion_clap"),
        "transformers": transformers.__version__,
    }
    files = {}
    for p in sorted(out.rglob("*")):
        if p.is_file() and p.name != "MANIFEST.json":
            rel = p.relative_to(out).as_posix()
            files[rel] = {"sha256": sha256_file(p), "size": p.stat().st_size}
    manifest = {
        "description": "Golden log-mel fixtures for the CLAP audio front end, computed by the reference libraries. "
                       "Per-profile JSON: expected/<clip>.<profile>.json; per-clip decode/resample facts: "
                       "expected/<clip>.input.json.",
        "command": REGENERATE_COMMAND,
        "command_cwd": "repository root",
        "versions": versions,
        "torch_num_threads": TORCH_THREADS,
        "environment_shims": ENV_SHIMS,
        "torchvision_Resize_antialias_default": resize_antialias,
        "laion_audio_cfg": audio_cfg,
        "laion_fusion_audio_cfg": audio_cfg_fusion,
        "rng": "np.random.seed(np_random_seed) (legacy global MT19937) immediately before each reference call; "
               "np_random_seed = crc32('<clip>/<profile>') & 0x7fffffff; every np.random.randint/choice call the "
               "reference made is logged in rng_calls",
        "flac_compression_level_soundfile": FLAC_COMPRESSION_LEVEL,
        "pcm16_quantisation": "q = clip(round(x * 32768), -32768, 32767) as int16; decodes to q / 32768",
        "recipes": {k: {kk: vv for kk, vv in v.items()} | {"file": f"clips/{clip_files[k].name}"}
                    for k, v in RECIPES.items()},
        "profiles_by_clip": PROFILES_BY_CLIP,
        "self_checks": self_checks,
        "files": files,
        "total_bytes": sum(f["size"] for f in files.values()),
    }
    write_json(out / "MANIFEST.json", manifest)

    for row in summary_rows:
        print(*row, sep="  ")
    print(f"{len(files)} files, {manifest['total_bytes']} bytes -> {out}")
    return 0


def replay_waveform(x: np.ndarray, start: int | None, allow_long: bool = False) -> np.ndarray:
    """Self-check only: rebuild the 480000-sample model input from a recorded crop start (or repeatpad)."""
    n = x.shape[0]
    if n > MAX_LEN and not allow_long:
        assert start is not None
        return np.ascontiguousarray(x[start:start + MAX_LEN])
    if n >= MAX_LEN:
        return np.ascontiguousarray(x)
    reps = MAX_LEN // n
    out = np.zeros(MAX_LEN, dtype=x.dtype)
    out[: reps * n] = np.tile(x, reps)
    return out


def _dist_version(dist: str) -> str:
    from importlib.metadata import version
    return version(dist)


if __name__ == "__main__":
    sys.exit(main())
