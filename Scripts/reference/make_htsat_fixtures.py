#!/usr/bin/env python3
"""Golden fixtures for the Swift CLAP audio encoder (module `CLAPAudio`, HTSAT).

Runs the REAL reference code -- laion_clap 1.1.7 (`HTSAT_Swin_Transformer`, `CLAP`, `get_audio_features`,
`get_audio_embedding_from_data`) and transformers 5.24 (`ClapModel`) -- on small, seeded, random-weight models and
records what they compute. Nothing here re-implements the reference: every recorded tensor is read off the
reference modules with forward hooks.

Three architectures, each built twice (once by laion_clap, once by transformers, with independent weights):

  tiny   embed 6,  depths 2-2-4-2, heads 1-2-4-8  (HTSAT-tiny's shape: head dim constant, 2 blocks/stage)
  base   embed 8,  depths 2-2-6-2, heads 1-2-4-8  (HTSAT-base's ratios: 4/3 wider than tiny, deeper stage 3)
  fused  embed 8,  depths 2-2-2-2, heads 1-2-4-8, enable_fusion (mel_conv2d + AFF, fusion_type aff_2d)

spec size 256, window 8, patch 4, 64 mel bins, projection 16 (the real models: 512). Every stage has 2 blocks
or more, so the shifted-window path (roll + the -100 mask) runs in stages 0-2.

Weights are perturbed away from their init (LayerNorm/BatchNorm affine 1 +- 0.1, biases N(0, 0.05), linear and conv
weights N(0, 1/fan_in), relative position tables N(0, 0.5), bn0 running statistics in the dB range) and rounded to
float16-representable values, so the float16 files below hold them exactly and the references run in float32.

Writes Tests/Fixtures/htsat/ (deleted and rewritten):

  hf-<arch>/config.json, model.safetensors     ClapModel.save_pretrained (float16; the text tower is tiny); base and
                                               fused rewritten without relative_position_index/num_batches_tracked,
                                               as hub files converted by older transformers versions are; tiny
                                               without stages 0-1's relative_position_index (size)
  laion-<arch>.pt                              torch.save({'epoch', 'name', 'optimizer', 'best_metric' (a NumPy
                                               float64 scalar), 'state_dict' with 'module.'-prefixed keys}) as the
                                               released 630k-*.pt files are; fused stores float32 (stages 2-3
                                               float16: a mixed file), tiny and base float16; base and fused lack the attn_mask and
                                               relative_position_index buffers (recomputed by loaders), tiny
                                               has them in stages 2-3 only (size). The two frozen STFT bases
                                               (spectrogram_extractor.stft.conv_{real,imag}, 2 x 2 MiB) are left out
                                               for size; logmel_extractor.melW is kept.
  golden.safetensors                           every recorded tensor (below), float32 except `*.features` (float16)
  e2e.json                                     end-to-end references: waveform -> embedding, laion_clap
                                               (get_audio_embedding_from_data, laion-*.pt models) and transformers
                                               (ClapFeatureExtractor from frontend/hf-<profile> + ClapModel
                                               .get_audio_features, hf-* folders); random draws logged
  MANIFEST.json                                sha256 + size of every file, versions, configs, seeds, crop offsets

golden.safetensors keys, per <case> = <source>-<arch>.<clip> (source laion or hf):
  <clip>.<trunc>.features  [C,1001,64] the model input as laion_clap's get_audio_features made it (C=1 rand_trunc,
                           C=4 fusion), rounded to float16; both references were fed exactly these values (a fusion
                           clip with longer=False is stored as its one distinct channel: the reference got 4 copies)
  <case>.longer            [1]   the `longer` flag fed (1 or 0)
  <case>.bn0               [C,1001,64]   after bn0 (only laion-tiny.chirp_noise_7s, for size)
  <case>.image             [C,256,256]   after the bicubic resize and 4x256 fold (same)
  <case>.patch_embed       [4096,E]      after patch embedding + norm (laion fused long clip, where AFF acts)
  <case>.stage{0..3}       [N,C]         output of layers[i] (after its patch merging for i < 3); the fused
                                         model's short-clip cases record stages 2-3 only (size)
  stft.rows                [7]           row indices k of torchlibrosa's STFT bases recorded below
  stft.conv_{real,imag}.rows [7,1024]    spectrogram_extractor.stft.conv_{real,imag}.weight[k, 0, :] (float32)
  <case>.pooled            [F]           mean of the final-LayerNorm tokens ('embedding' / pooler_output)
  <case>.projected         [16]          audio_projection output
  <case>.embedding         [16]          L2-normalised final embedding

Run from the repository root (about a minute on 2 cores):
    HF_HUB_OFFLINE=1 /work/refenv/bin/python Scripts/reference/make_htsat_fixtures.py
"""
from __future__ import annotations

import argparse
import copy
import json
import os
import shutil
import sys
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
import make_frontend_fixtures as fe  # noqa: E402  (shims, hub patches, RandomLog, hashing helpers)

DEFAULT_OUT = Path("Tests/Fixtures/htsat")
REGENERATE_COMMAND = "HF_HUB_OFFLINE=1 /work/refenv/bin/python Scripts/reference/make_htsat_fixtures.py"
CLIPS = Path("Tests/Fixtures/frontend/clips")
TORCH_THREADS = 1
JOINT = 16

ARCHS = {
    "tiny": dict(embed_dim=6, depths=[2, 2, 4, 2], num_heads=[1, 2, 4, 8], fusion=False, seed=11),
    "base": dict(embed_dim=8, depths=[2, 2, 6, 2], num_heads=[1, 2, 4, 8], fusion=False, seed=12),
    "fused": dict(embed_dim=8, depths=[2, 2, 2, 2], num_heads=[1, 2, 4, 8], fusion=True, seed=13),
}
# (arch, clip) pairs recorded stage by stage, from both references.
STAGE_CASES = [("tiny", "chirp_noise_7s"), ("base", "long25s"), ("fused", "long25s"), ("fused", "chirp_noise_7s")]
FULL_IMAGE_CASES = {("laion", "tiny", "chirp_noise_7s")}
# End to end (waveform -> embedding) through laion_clap's whole inference path, tiny model (and fused for two).
E2E = [("tiny", c) for c in ["chirp_noise_7s", "bandnoise_5s", "long25s", "stereo_6s", "tone440_3s", "click37"]] + [
    ("fused", "long25s"), ("fused", "chirp_noise_7s")]
# The same through transformers: ClapFeatureExtractor (configured as Tests/Fixtures/frontend/hf-<profile>) + ClapModel.
E2E_HF = [("tiny", c, "hf-rand_trunc") for _, c in E2E[:6]] + [
    ("fused", "long25s", "hf-fusion"), ("fused", "chirp_noise_7s", "hf-fusion")]
CLIP_FILES = {"chirp_noise_7s": "chirp_noise_7s.flac", "bandnoise_5s": "bandnoise_5s.flac", "long25s": "long25s.flac",
              "stereo_6s": "stereo_6s.flac", "tone440_3s": "tone440_3s.flac", "click37": "click37.wav"}

TINY_ROBERTA = dict(vocab_size=64, hidden_size=8, num_hidden_layers=1, num_attention_heads=1, intermediate_size=16,
                    hidden_act="gelu", max_position_embeddings=80, type_vocab_size=1, layer_norm_eps=1e-5,
                    pad_token_id=1, bos_token_id=0, eos_token_id=2)


STFT_ROWS = [0, 1, 2, 171, 256, 511, 512]


def f16_round_(t: torch.Tensor) -> None:
    t.copy_(t.half().float())


@torch.no_grad()
def perturb(model: torch.nn.Module, seed: int, bn0_names: tuple[str, ...]) -> None:
    """Move every parameter/buffer away from its init (so a wrong binding shows), then round to float16 values."""
    g = torch.Generator().manual_seed(seed)

    def randn(*shape):
        return torch.randn(*shape, generator=g)

    for name, m in model.named_modules():
        if isinstance(m, (torch.nn.LayerNorm, torch.nn.BatchNorm2d)):
            m.weight.copy_(1 + 0.1 * randn(m.weight.shape))
            m.bias.copy_(0.05 * randn(m.bias.shape))
            if isinstance(m, torch.nn.BatchNorm2d):
                if name in bn0_names:  # log-mel dB statistics per mel bin
                    m.running_mean.copy_(-45 + 8 * randn(m.running_mean.shape))
                    m.running_var.copy_(150 + 60 * torch.rand(m.running_var.shape, generator=g))
                else:
                    m.running_mean.copy_(0.1 * randn(m.running_mean.shape))
                    m.running_var.copy_(0.8 + 0.4 * torch.rand(m.running_var.shape, generator=g))
        elif isinstance(m, (torch.nn.Linear, torch.nn.Conv2d)):
            fan_in = m.weight[0].numel()
            m.weight.copy_(randn(m.weight.shape) / fan_in ** 0.5)
            if m.bias is not None:
                m.bias.copy_(0.05 * randn(m.bias.shape))
        if hasattr(m, "relative_position_bias_table") and isinstance(m.relative_position_bias_table, torch.Tensor):
            m.relative_position_bias_table.copy_(0.5 * randn(m.relative_position_bias_table.shape))
    # The frozen STFT/mel modules are the front end's, not learned weights: left exact.
    fixed = ("spectrogram_extractor.", "logmel_extractor.")
    for n, p in model.named_parameters():
        if not any(f in n for f in fixed):
            f16_round_(p)
    for n, b in model.named_buffers():
        if b.is_floating_point() and "attn_mask" not in n and not any(f in n for f in fixed):
            f16_round_(b)


class Recorder:
    """Forward hooks that copy the named reference modules' outputs into `self.out`."""

    def __init__(self):
        self.out: dict[str, torch.Tensor] = {}
        self.handles = []

    def post(self, module, key, pick=lambda o: o):
        self.handles.append(module.register_forward_hook(
            lambda m, i, o: self.out.__setitem__(key, pick(o).detach().clone())))

    def pre(self, module, key, pick=lambda i: i[0]):
        self.handles.append(module.register_forward_pre_hook(
            lambda m, i: self.out.__setitem__(key, pick(i).detach().clone())))

    def close(self):
        for h in self.handles:
            h.remove()


def hook_encoder(rec: Recorder, enc, bn, layers, projection):
    """Common hooks. bn0 runs on x.transpose(1,3) = (B,F,T,C); transpose back to (B,C,T,F)."""
    rec.post(bn, "bn0", lambda o: o.transpose(1, 3))
    rec.pre(enc.patch_embed, "image")
    rec.post(enc.patch_embed, "patch_embed")
    for i, layer in enumerate(layers):
        rec.post(layer, f"stage{i}", lambda o: o[0])
    rec.post(projection, "projected")


def build_laion(arch: str):
    import laion_clap
    from clap_module import factory, model as clap_model_mod
    from clap_module.htsat import HTSAT_Swin_Transformer

    a = ARCHS[arch]
    final = a["embed_dim"] * 2 ** (len(a["depths"]) - 1)

    def create_small_htsat(audio_cfg, enable_fusion=False, fusion_type="None"):
        # create_htsat_model (htsat.py:981) with the small widths; every other argument as the reference passes it.
        return HTSAT_Swin_Transformer(spec_size=256, patch_size=4, patch_stride=(4, 4), num_classes=audio_cfg.class_num,
                                      embed_dim=a["embed_dim"], depths=a["depths"], num_heads=a["num_heads"],
                                      window_size=8, config=audio_cfg, enable_fusion=enable_fusion,
                                      fusion_type=fusion_type)

    clap_model_mod.create_htsat_model = create_small_htsat
    cfg = copy.deepcopy(factory._MODEL_CONFIGS["HTSAT-tiny"])
    cfg["embed_dim"] = final
    cfg["joint_embed_shape"] = JOINT
    cfg["audio_cfg"]["class_num"] = 8  # tscam_conv/head (unused for embeddings) kept small
    factory._MODEL_CONFIGS["HTSAT-small-fixture"] = cfg
    torch.manual_seed(a["seed"])
    clap = laion_clap.CLAP_Module(enable_fusion=a["fusion"], amodel="HTSAT-small-fixture", device="cpu")
    clap.model.eval()
    perturb(clap.model, a["seed"] + 100, ("audio_branch.bn0",))
    return clap, cfg


def build_hf(arch: str):
    from transformers import ClapConfig, ClapModel

    a = ARCHS[arch]
    final = a["embed_dim"] * 2 ** (len(a["depths"]) - 1)
    config = ClapConfig(
        text_config=dict(vocab_size=64, hidden_size=8, num_hidden_layers=1, num_attention_heads=1,
                         intermediate_size=16, max_position_embeddings=80, projection_dim=JOINT),
        audio_config=dict(patch_embeds_hidden_size=a["embed_dim"], depths=a["depths"],
                          num_attention_heads=a["num_heads"], hidden_size=final, projection_dim=JOINT,
                          enable_fusion=a["fusion"], fusion_type="aff_2d" if a["fusion"] else None),
        projection_dim=JOINT)
    torch.manual_seed(a["seed"] + 50)
    model = ClapModel(config).eval()
    perturb(model, a["seed"] + 200, ("audio_model.audio_encoder.batch_norm",))
    return model


def load_clip(name: str) -> np.ndarray:
    import librosa
    # hook.py:121-156 get_audio_embedding_from_filelist: librosa.load(f, sr=48000) (mono mean, float32)
    y, _ = librosa.load(str(CLIPS / CLIP_FILES[name]), sr=48000)
    return y


def features_for(clap, clip: str, fusion: bool, laion_data) -> tuple[torch.Tensor, bool, dict]:
    """laion_clap's own preprocessing (hook.py:171-182), with the RNG seeded and logged; features rounded to f16."""
    x = load_clip(clip)
    x = laion_data.int16_to_float32(laion_data.float32_to_int16(x))
    seed = fe.profile_seed(clip, "htsat-fusion" if fusion else "htsat")
    np.random.seed(seed)
    with fe.RandomLog() as log:
        d = laion_data.get_audio_features({}, torch.from_numpy(x).float(), 480000,
                                          data_truncating="fusion" if fusion else "rand_trunc",
                                          data_filling="repeatpad", audio_cfg=clap.model_cfg["audio_cfg"])
    longer = bool(d["longer"].item())
    if fusion:
        feats = d["mel_fusion"]  # (4, 1001, 64)
    else:
        with torch.no_grad():
            ab = clap.model.audio_branch
            feats = ab.logmel_extractor(ab.spectrogram_extractor(d["waveform"][None]))[0]  # (1, 1001, 64)
    feats = feats.half().float()
    return feats, longer, {"np_random_seed": seed, "rng_calls": log.calls, "n_samples": int(x.shape[0])}


def run_laion(clap, feats: torch.Tensor, longer: bool, fusion: bool) -> dict[str, torch.Tensor]:
    ab = clap.model.audio_branch
    rec = Recorder()
    hook_encoder(rec, ab, ab.bn0, ab.layers, clap.model.audio_projection)
    rec.post(ab, "pooled", lambda o: o["embedding"])
    try:
        with torch.no_grad():
            if fusion:
                data = [{"mel_fusion": feats, "longer": torch.tensor([longer])}]
                emb = clap.model.get_audio_embedding(data)
            else:
                # Feed the recorded features through the reference forward: the logmel module's output is replaced
                # by them (the waveform path is otherwise unchanged).
                h = ab.logmel_extractor.register_forward_hook(lambda m, i, o: feats[None].clone())
                try:
                    emb = clap.model.get_audio_embedding([{"waveform": torch.zeros(480000), "longer": torch.tensor([longer])}])
                finally:
                    h.remove()
    finally:
        rec.close()
    out = {k: v[0] for k, v in rec.out.items()}
    out["embedding"] = emb[0].detach().clone()
    return out


def run_hf(model, feats: torch.Tensor, longer: bool) -> dict[str, torch.Tensor]:
    enc = model.audio_model.audio_encoder
    rec = Recorder()
    hook_encoder(rec, enc, enc.batch_norm, enc.layers, model.audio_projection)
    rec.post(enc, "pooled", lambda o: o.pooler_output)
    try:
        with torch.no_grad():
            out = model.get_audio_features(input_features=feats[None], is_longer=torch.tensor([[longer]]))
    finally:
        rec.close()
    res = {k: v[0] for k, v in rec.out.items()}
    res["embedding"] = out.pooler_output[0].detach().clone()
    return res


def save_pt(clap, arch: str, path: Path) -> None:
    a = ARCHS[arch]
    dtype = torch.float32 if arch == "fused" else torch.float16
    # fused: float32 as released files are, except stages 2-3 (the widest, most of the bytes) in float16, so the
    # reader also meets a file mixing both storage types; the values are float16-representable either way.
    half_too = ("audio_branch.layers.2.", "audio_branch.layers.3.") if arch == "fused" else ()
    sd = {}
    for k, v in clap.model.state_dict().items():
        if k.startswith("audio_branch.spectrogram_extractor."):
            continue  # 2 x 2 MiB of frozen DFT bases, left out for size (see the docstring)
        if (k.endswith(".attn_mask") or k.endswith(".relative_position_index")) and \
                (arch != "tiny" or k.startswith(("audio_branch.layers.0.", "audio_branch.layers.1."))):
            continue  # buffers the loader must recompute; laion-tiny.pt keeps them in stages 2-3 (as released
            #           files do everywhere), leaving out stages 0-1's 64- and 16-window masks for size
        v = v.detach().clone()
        exact = k.startswith("audio_branch.logmel_extractor.")  # melW stays float32, as the front end uses it
        as_dtype = torch.float16 if k.startswith(half_too) else dtype
        sd["module." + k] = v.to(as_dtype) if v.is_floating_point() and not exact else v
    ckpt = {
        "epoch": 7,
        "name": f"htsat-{arch}-fixture-{'fusion' if a['fusion'] else 'unfused'}",
        "state_dict": sd,
        "optimizer": {"state": {}, "param_groups": [{"lr": 1e-4, "betas": (0.9, 0.999), "eps": 1e-8,
                                                     "weight_decay": 0.0, "params": [0, 1]}]},
        "best_metric": np.float64(0.9014),
    }
    torch.save(ckpt, path)


def drop_buffers(path: Path, names: tuple[str, ...], prefixes: tuple[str, ...] = ("",)) -> None:
    """Rewrite a save_pretrained file without the given buffers (under the given key prefixes), as hub files
    converted by older transformers versions lack them (clap-reference-facts.md section 9); the loader must
    recompute them."""
    from safetensors import safe_open
    from safetensors.torch import save_file
    with safe_open(str(path), "pt") as f:
        meta = f.metadata()
        kept = {k: f.get_tensor(k) for k in f.keys()
                if not (k.rsplit(".", 1)[-1] in names and k.startswith(prefixes))}
    save_file(kept, str(path), metadata=meta)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    ap.add_argument("--full-size", action="store_true",
                    help="full-size HTSAT-tiny (96, 2-2-6-2, heads 4-8-16-32, projection 512), one stage case and the "
                         "e2e clips, into --out (required; ~250 MiB, not for committing); the Swift test reads it "
                         "from CLAP_HTSAT_FULL_SIZE_DIR")
    args = ap.parse_args()
    if args.full_size:
        global JOINT, ARCHS, STAGE_CASES, E2E, E2E_HF
        if args.out == DEFAULT_OUT:
            raise SystemExit("--full-size needs --out DIR (outside Tests/Fixtures)")
        JOINT = 512
        ARCHS = {"tiny": dict(embed_dim=96, depths=[2, 2, 6, 2], num_heads=[4, 8, 16, 32], fusion=False, seed=11)}
        STAGE_CASES = [("tiny", "chirp_noise_7s")]
        E2E = [e for e in E2E if e[0] == "tiny"]
        E2E_HF = [e for e in E2E_HF if e[0] == "tiny"]
    out: Path = args.out.resolve()
    torch.set_num_threads(TORCH_THREADS)
    fe._install_environment_shims()
    fe._patch_hub_loaders()
    from transformers import RobertaConfig, RobertaModel
    RobertaModel.from_pretrained = classmethod(lambda c, *a, **k: c(RobertaConfig(**TINY_ROBERTA)))

    import laion_clap  # noqa: F401
    import transformers
    from safetensors.torch import save_file
    from laion_clap.training import data as laion_data

    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)

    golden: dict[str, torch.Tensor] = {}
    cases_meta: dict[str, dict] = {}
    feature_cache: dict[tuple[str, bool], tuple] = {}
    laion_models, hf_models, laion_cfgs = {}, {}, {}
    for arch in ARCHS:
        laion_models[arch], laion_cfgs[arch] = build_laion(arch)
        hf_models[arch] = build_hf(arch)
        save_pt(laion_models[arch], arch, out / f"laion-{arch}.pt")
        copy.deepcopy(hf_models[arch]).half().save_pretrained(out / f"hf-{arch}")
        if arch != "tiny":
            drop_buffers(out / f"hf-{arch}" / "model.safetensors", ("relative_position_index", "num_batches_tracked"))
        elif not args.full_size:  # hf-tiny keeps the index buffers of stages 2-3 only (size); both cases are loaded
            drop_buffers(out / f"hf-{arch}" / "model.safetensors", ("relative_position_index",),
                         prefixes=("audio_model.audio_encoder.layers.0.", "audio_model.audio_encoder.layers.1."))

    for arch, clip in STAGE_CASES:
        fusion = ARCHS[arch]["fusion"]
        key = (clip, fusion)
        if key not in feature_cache:
            feature_cache[key] = features_for(laion_models[arch], clip, fusion, laion_data)
        feats, longer, meta = feature_cache[key]
        fkey = f"{clip}.{'fusion' if fusion else 'rand_trunc'}.features"
        stored = feats if (not fusion or longer) else feats[:1]
        golden[fkey] = stored.half()
        for source in ("laion", "hf"):
            res = run_laion(laion_models[arch], feats, longer, fusion) if source == "laion" else \
                run_hf(hf_models[arch], feats, longer)
            case = f"{source}-{arch}.{clip}"
            keep = ["stage0", "stage1", "stage2", "stage3", "pooled", "projected", "embedding"]
            if fusion and not longer:
                keep = keep[2:]  # the fused model on a short clip: stages 0-1 are the plain path tiny/base record
            if fusion and longer and source == "laion":
                keep.append("patch_embed")  # where the AFF acts; the hf case checks it through stage0 onwards
            if (source, arch, clip) in FULL_IMAGE_CASES:
                keep += ["bn0", "image"]
            for k in keep:
                golden[f"{case}.{k}"] = res[k].float().contiguous()
            golden[f"{case}.longer"] = torch.tensor([1.0 if longer else 0.0])
            cases_meta[case] = {"features": fkey, "longer": longer, "features_channels_fed": int(feats.shape[0]),
                                **meta, "recorded": sorted(keep)}
    # torchlibrosa's frozen STFT bases (left out of the .pt files for size): a few rows, for the Swift check
    # that a checkpoint's spectrogram_extractor equals the periodic-Hann DFT the laion front end computes.
    stft = laion_models["tiny"].model.audio_branch.spectrogram_extractor.stft
    golden["stft.rows"] = torch.tensor([float(r) for r in STFT_ROWS])
    golden["stft.conv_real.rows"] = stft.conv_real.weight.detach()[STFT_ROWS, 0, :].float().contiguous()
    golden["stft.conv_imag.rows"] = stft.conv_imag.weight.detach()[STFT_ROWS, 0, :].float().contiguous()
    save_file({k: v.contiguous() for k, v in sorted(golden.items())}, str(out / "golden.safetensors"))

    e2e = {}
    for arch, clip in E2E:
        clap = laion_models[arch]
        x = load_clip(clip)
        seed = fe.profile_seed(clip, f"htsat-e2e-{arch}")
        np.random.seed(seed)
        with fe.RandomLog() as log:
            emb = clap.get_audio_embedding_from_data(x[None], use_tensor=False)[0]
        e2e[f"laion-{arch}.{clip}"] = {
            "model": f"laion-{arch}.pt", "clip": f"frontend/clips/{CLIP_FILES[clip]}", "n_samples": int(x.shape[0]),
            "profile": "laion-fusion" if ARCHS[arch]["fusion"] else "laion",
            "np_random_seed": seed, "rng_calls": log.calls,
            "embedding": [float(v) for v in emb.astype(np.float32)]}
    from transformers import ClapFeatureExtractor
    for arch, clip, profile in E2E_HF:
        extractor = ClapFeatureExtractor.from_pretrained(str(CLIPS.parent / profile))
        x = load_clip(clip)
        seed = fe.profile_seed(clip, f"htsat-e2e-hf-{arch}")
        np.random.seed(seed)
        with fe.RandomLog() as log:
            inputs = extractor(x, sampling_rate=48000, return_tensors="pt")
        is_longer = inputs.get("is_longer")
        with torch.no_grad():
            emb = hf_models[arch].get_audio_features(**inputs).pooler_output[0].numpy()
        e2e[f"hf-{arch}.{clip}"] = {
            "model": f"hf-{arch}", "clip": f"frontend/clips/{CLIP_FILES[clip]}", "n_samples": int(x.shape[0]),
            "profile": profile, "np_random_seed": seed, "rng_calls": log.calls,
            "is_longer": None if is_longer is None else bool(is_longer.reshape(-1)[0].item()),
            "embedding": [float(v) for v in emb.astype(np.float32)]}
    fe.write_json(out / "e2e.json", e2e)

    versions = {"python": sys.version.split()[0], "numpy": np.__version__, "torch": torch.__version__,
                "transformers": transformers.__version__, "laion_clap": fe._dist_version("laion_clap"),
                "torchlibrosa": fe._dist_version("torchlibrosa"), "librosa": fe._dist_version("librosa")}
    files = {}
    for p in sorted(out.rglob("*")):
        if p.is_file() and p.name != "MANIFEST.json":
            files[p.relative_to(out).as_posix()] = {"sha256": fe.sha256_file(p), "size": p.stat().st_size}
    manifest = {
        "description": "HTSAT (CLAP audio encoder) parity fixtures from laion_clap and transformers ClapModel with "
                       "small seeded random weights; see Scripts/reference/make_htsat_fixtures.py",
        "command": REGENERATE_COMMAND, "command_cwd": "repository root", "versions": versions,
        "torch_num_threads": TORCH_THREADS, "environment_shims": fe.ENV_SHIMS,
        "architectures": {k: {kk: vv for kk, vv in v.items()} | {
            "final_dim": v["embed_dim"] * 2 ** (len(v["depths"]) - 1), "projection_dim": JOINT, "spec_size": 256, "window_size": 8,
            "patch_size": 4, "mel_bins": 64} for k, v in ARCHS.items()},
        "laion_model_cfg": {k: v for k, v in laion_cfgs.items()},
        "stage_cases": cases_meta,
        "files": files, "total_bytes": sum(f["size"] for f in files.values()),
    }
    fe.write_json(out / "MANIFEST.json", manifest)
    print(f"{len(files)} files, {manifest['total_bytes']} bytes -> {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
