#!/usr/bin/env python3
"""Golden fixtures for the audio-index CLAP text encoder (RoBERTa tower + text projection).

Runs the REAL reference code with small random seeded weights:

  laion   laion_clap 1.1.7 `CLAP_Module.get_text_embedding(texts)` (its own tokenizer call: padding to 77,
          truncation) on a CLAP whose RoBERTa is built from a small local RobertaConfig (layer_norm_eps 1e-5,
          the value laion_clap's roberta-base config has) and whose `text_projection` is the same
          Sequential(Linear, ReLU, Linear) at the small width.
  hf      transformers `ClapModel.get_text_features` on a `ClapModel` with a small ClapTextConfig
          (layer_norm_eps 1e-12 as every HF CLAP config has), tokenised as AudioBERT does: padding to 64.

Both towers carry the SAME text weights (laion names mapped to HF names), so the Swift side can also check
that one set of weights loaded from either layout differs only by the layer-norm epsilon.

Writes Tests/Fixtures/text/ (deleted and rewritten on every run):

  hf-model/        ClapModel.save_pretrained (config.json + model.safetensors, small audio tower included)
                   plus the tokenizer files (vocab.json, merges.txt, tokenizer_config.json) of the trained BPE
                   vocabulary from Tests/Fixtures/tokenizer/trained-bpe
  laion.pt         torch.save({'epoch', 'name', 'optimizer', 'best_score' (a NumPy scalar), 'state_dict'}) with
                   `module.`-prefixed keys, shaped like the released 630k-*.pt files (see MANIFEST.json for what
                   of the audio tower is kept)
  queries.json     the texts, in order
  <ref>.input_ids.npy, <ref>.attention_mask.npy     int64 [N, L] (L = 77 laion, 64 hf), what the model got
  <ref>.embeddings.npy, <ref>.layer<i>.npy          float32 [T, H]: the stage outputs at the REAL tokens only
                                                    (rows of all queries concatenated in order; T = sum of masks)
  <ref>.pooler.npy, <ref>.projection.npy, <ref>.embedding.npy   float32 [N, H] / [N, D] / [N, D]
  MANIFEST.json    sha256 + size of every other file, versions, configs, the command

Stage outputs come from forward hooks on the reference modules (embeddings, encoder.layer[i], pooler,
text_projection); `embedding` is the library call's own return value.

Run from the repository root:
    HF_HUB_OFFLINE=1 /work/refenv/bin/python Scripts/reference/make_text_fixtures.py
"""
from __future__ import annotations

import os

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import argparse
import hashlib
import json
import platform
import shutil
import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_frontend_fixtures import ENV_SHIMS, _dist_version, _install_environment_shims  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_OUT = REPO_ROOT / "Tests" / "Fixtures" / "text"
TOKENIZER_DIR = REPO_ROOT / "Tests" / "Fixtures" / "tokenizer" / "trained-bpe"
REGENERATE_COMMAND = "HF_HUB_OFFLINE=1 /work/refenv/bin/python Scripts/reference/make_text_fixtures.py"
SEED = 20261127
TORCH_THREADS = 1

TEXT = dict(
    vocab_size=3261, hidden_size=48, num_hidden_layers=2, num_attention_heads=4, intermediate_size=128,
    hidden_act="gelu", max_position_embeddings=80, type_vocab_size=1, pad_token_id=1, bos_token_id=0,
    eos_token_id=2,
)
JOINT = 32            # joint embedding width (512 in the released models)
LAION_EPS = 1e-5      # roberta-base's config, which laion_clap's RobertaModel.from_pretrained reads
HF_EPS = 1e-12        # ClapTextConfig default, the value in every HF CLAP config.json
HF_MAX_LENGTH = 64    # AudioBERT: processor(text=..., padding="max_length", max_length=64, truncation=True)

SPANS = [
    "dog barking", "a man speaking", "rain on a tin roof", "church bells", "applause", "car horn",
    "thunder", "birds chirping in the morning", "typing on a keyboard", "siren", "glass breaking",
    "footsteps on gravel", "a baby crying", "water dripping", "engine idling", "violin", "crowd cheering",
    "wind", "helicopter flying overhead", "cat meowing", "door slamming", "frying food", "electric guitar",
    "clock ticking", "sheep bleating", "",
    "CAPITALS and digits 1234 and punctuation!?", "café naïve façade — ünïcödé",
    # longer than 64 and 77 tokens: both truncations happen
    " ".join(["a very long description of a noisy busy street with cars buses and people"] * 8),
    "multiple   spaces\nand a newline",
]
TEMPLATE = "{} sound"


def sha256_file(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


def save_npy(path: Path, a, dtype: str) -> None:
    if isinstance(a, torch.Tensor):
        a = a.detach().cpu().numpy()
    a = np.ascontiguousarray(a)
    if a.dtype != np.dtype(dtype):
        raise AssertionError(f"{path.name}: expected {dtype}, got {a.dtype}")
    with open(path, "wb") as f:
        np.lib.format.write_array(f, a, version=(1, 0), allow_pickle=False)


def randomise(module: torch.nn.Module, gen: torch.Generator) -> None:
    """Seeded weights with enough spread that a wrong index, transpose or epsilon shows: LayerNorm weights 1±0.1,
    biases N(0, 0.05), matrices N(0, 1/sqrt(fan_in)), embeddings N(0, 0.5)."""
    with torch.no_grad():
        for name, p in sorted(module.named_parameters()):
            if "LayerNorm.weight" in name:
                p.copy_(1 + 0.1 * (2 * torch.rand(p.shape, generator=gen) - 1))
            elif name.endswith("bias"):
                p.copy_(0.05 * torch.randn(p.shape, generator=gen))
            elif "embeddings" in name:
                p.copy_(0.5 * torch.randn(p.shape, generator=gen))
            else:
                p.copy_(torch.randn(p.shape, generator=gen) / np.sqrt(p.shape[-1]))


class StageHooks:
    """Forward hooks on the reference modules; each records its output tensor (first element of a tuple)."""

    def __init__(self, modules: dict[str, torch.nn.Module]):
        self.out: dict[str, torch.Tensor] = {}
        self.handles = [m.register_forward_hook(self._hook(k)) for k, m in modules.items()]

    def _hook(self, key):
        def hook(_m, _i, o):
            t = o[0] if isinstance(o, (tuple, list)) else o
            if hasattr(t, "last_hidden_state"):
                t = t.last_hidden_state
            self.out[key] = t.detach().clone()
        return hook

    def remove(self):
        for h in self.handles:
            h.remove()


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = ap.parse_args()
    out: Path = args.out
    torch.set_num_threads(TORCH_THREADS)
    _install_environment_shims()

    import transformers
    from transformers import (BartTokenizer, BertTokenizer, ClapConfig, ClapModel, RobertaConfig, RobertaModel,
                              RobertaTokenizer)

    vocab_path, merges_path = str(TOKENIZER_DIR / "vocab.json"), str(TOKENIZER_DIR / "merges.txt")

    def make_tokenizer():
        # transformers 5.x: keyword vocab_file=/merges_file= are silently ignored (5-token vocab); positional works.
        t = RobertaTokenizer(vocab_path, merges_path)
        assert t.vocab_size == TEXT["vocab_size"] and t.pad_token_id == 1, (t.vocab_size, t.pad_token_id)
        return t

    for cls in (BertTokenizer, BartTokenizer):
        cls.from_pretrained = classmethod(lambda c, *a, **k: None)
    RobertaTokenizer.from_pretrained = classmethod(lambda c, *a, **k: make_tokenizer())
    RobertaModel.from_pretrained = classmethod(
        lambda c, *a, **k: c(RobertaConfig(**TEXT, layer_norm_eps=LAION_EPS)))

    import laion_clap

    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)

    # ---- laion_clap model with the small text tower ----
    torch.manual_seed(SEED)
    # laion_clap is importable twice (`clap_module.*`, which hook.py uses, and `laion_clap.clap_module.*`).
    for factory in [m for n, m in list(sys.modules.items()) if n.endswith("clap_module.factory")]:
        for cfg in factory._MODEL_CONFIGS.values():
            cfg["joint_embed_shape"] = JOINT
    clap = laion_clap.CLAP_Module(enable_fusion=False, amodel="HTSAT-tiny", tmodel="roberta", device="cpu")
    model = clap.model
    act = model.text_projection[1]
    model.text_projection = torch.nn.Sequential(
        torch.nn.Linear(TEXT["hidden_size"], JOINT), act, torch.nn.Linear(JOINT, JOINT))
    gen = torch.Generator().manual_seed(SEED)
    randomise(model.text_branch, gen)
    randomise(model.text_projection, gen)
    model.eval()

    texts = [TEMPLATE.format(s) for s in SPANS]
    (out / "queries.json").write_text(json.dumps({"template": TEMPLATE, "spans": SPANS, "texts": texts},
                                                 indent=1, ensure_ascii=False) + "\n")

    def run(ref: str, tower, projection, call, tokens):
        stages = {"embeddings": tower.embeddings, "pooler": tower.pooler, "projection": projection}
        for i, layer in enumerate(tower.encoder.layer):
            stages[f"layer{i}"] = layer
        hooks = StageHooks(stages)
        with torch.no_grad():
            emb = call()
        hooks.remove()
        mask = tokens["attention_mask"].bool()
        save_npy(out / f"{ref}.input_ids.npy", tokens["input_ids"].to(torch.int64), "<i8")
        save_npy(out / f"{ref}.attention_mask.npy", tokens["attention_mask"].to(torch.int64), "<i8")
        for key, t in hooks.out.items():
            if t.dim() == 3:
                t = t[mask]  # real tokens only, queries concatenated in order
            save_npy(out / f"{ref}.{key}.npy", t.float(), "<f4")
        emb = torch.as_tensor(emb)
        save_npy(out / f"{ref}.embedding.npy", emb.float(), "<f4")
        return emb

    laion_tokens = clap.tokenizer(texts)
    laion_emb = run("laion", model.text_branch, model.text_projection,
                    lambda: clap.get_text_embedding(texts, use_tensor=True), laion_tokens)

    # ---- transformers ClapModel with the same text weights ----
    hf_cfg = ClapConfig(
        text_config=dict(TEXT, layer_norm_eps=HF_EPS),
        audio_config=dict(patch_embeds_hidden_size=8, depths=[1, 1, 1, 1], num_attention_heads=[1, 1, 1, 1],
                          hidden_size=64, num_classes=8),
        projection_dim=JOINT,
    )
    torch.manual_seed(SEED + 1)
    hf = ClapModel(hf_cfg).eval()
    laion_sd = model.state_dict()
    mapped = {}
    for k, v in laion_sd.items():
        if k.startswith("text_branch."):
            mapped["text_model." + k[len("text_branch."):]] = v
        elif k.startswith("text_projection."):
            mapped["text_projection." + {"0": "linear1", "2": "linear2"}[k.split(".")[1]] + "." + k.split(".")[2]] = v
    missing, unexpected = hf.load_state_dict(mapped, strict=False)
    text_missing = [k for k in missing if k.startswith(("text_model.", "text_projection."))
                    and not k.endswith(("position_ids", "token_type_ids"))]
    assert not text_missing and not unexpected, (text_missing, unexpected)
    tok = make_tokenizer()
    hf_tokens = tok(texts, padding="max_length", truncation=True, max_length=HF_MAX_LENGTH, return_tensors="pt")
    hf_emb = run("hf", hf.text_model, hf.text_projection,
                 lambda: hf.get_text_features(input_ids=hf_tokens["input_ids"],
                                              attention_mask=hf_tokens["attention_mask"]).pooler_output,
                 hf_tokens)

    hf_dir = out / "hf-model"
    hf.save_pretrained(str(hf_dir), safe_serialization=True)
    for name in ("vocab.json", "merges.txt", "tokenizer_config.json"):
        shutil.copyfile(TOKENIZER_DIR / name, hf_dir / name)

    # Self-check: the saved folder reloads and reproduces the embedding exactly.
    with torch.no_grad():
        again = ClapModel.from_pretrained(str(hf_dir)).eval().get_text_features(
            input_ids=hf_tokens["input_ids"], attention_mask=hf_tokens["attention_mask"]).pooler_output
    assert torch.equal(again, hf_emb), "reloaded HF folder differs"

    # ---- laion .pt shaped like the released checkpoints ----
    # Released 630k-*.pt: {'epoch', 'name', 'state_dict', 'optimizer', ...} with DataParallel `module.` keys and a
    # NumPy scalar among the metadata. The full HTSAT-tiny audio tower is 121 MiB; only its tensors of at most
    # AUDIO_KEEP elements are kept, which is enough to prove the loader ignores audio keys by rule.
    AUDIO_KEEP = 512
    state = {}
    for k, v in laion_sd.items():
        if k.startswith("audio_branch.") and v.numel() > AUDIO_KEEP:
            continue
        if k.startswith(("audio_transform.", "text_transform.")):
            continue
        state["module." + k] = v.detach().clone().contiguous()
    # transformers < 4.31 saved this buffer and the released files hold it (int64 [1, max_positions]); laion_clap
    # 1.1.7 deletes it before load_state_dict (factory.py:63-65). transformers 5 no longer has it in state_dict().
    state["module.text_branch.embeddings.position_ids"] = torch.arange(TEXT["max_position_embeddings"])[None]
    ckpt = {"epoch": 45, "name": "text-fixture", "best_score": np.float64(0.25),
            "optimizer": {"state": {}, "param_groups": [{"lr": 1e-4, "params": []}]}, "state_dict": state}
    torch.save(ckpt, out / "laion.pt")

    # Self-check: laion_clap's own loader reads the file back into an equal text tower.
    from laion_clap.clap_module.factory import load_state_dict as laion_load_state_dict
    back = laion_load_state_dict(str(out / "laion.pt"), skip_params=True)
    for k, v in laion_sd.items():
        if k.startswith(("text_branch.", "text_projection.")) and not k.endswith("position_ids"):
            assert torch.equal(back[k], v), k

    # ---- manifest ----
    files = {}
    for p in sorted(out.rglob("*")):
        if p.is_file():
            rel = p.relative_to(out).as_posix()
            files[rel] = {"sha256": sha256_file(p), "size": p.stat().st_size}
    manifest = {
        "description": "CLAP text-tower goldens from laion_clap get_text_embedding and transformers "
                       "ClapModel.get_text_features with shared random text weights. See the generator's docstring.",
        "command": REGENERATE_COMMAND,
        "command_cwd": "repository root",
        "versions": {
            "python": platform.python_version(), "numpy": np.__version__, "torch": torch.__version__,
            "transformers": transformers.__version__, "tokenizers": _dist_version("tokenizers"),
            "laion_clap": _dist_version("laion_clap"),
        },
        "seed": SEED, "torch_num_threads": TORCH_THREADS, "environment_shims": ENV_SHIMS,
        "text_config": TEXT, "joint_embed_shape": JOINT,
        "layer_norm_eps": {"laion": LAION_EPS, "hf": HF_EPS},
        "max_length": {"laion": 77, "hf": HF_MAX_LENGTH},
        "tokenizer": "Tests/Fixtures/tokenizer/trained-bpe (RobertaTokenizer(vocab.json, merges.txt))",
        "laion_pt_audio_branch": f"only audio_branch tensors with <= {AUDIO_KEEP} elements kept; "
                                 "audio_transform/text_transform left out",
        "stage_rows": "3-D stages keep the rows whose attention_mask is 1, queries concatenated in order",
        "token_counts": {"laion": laion_tokens["attention_mask"].sum(1).tolist(),
                         "hf": hf_tokens["attention_mask"].sum(1).tolist()},
        "self_checks": ["HF folder reloads with from_pretrained to an identical embedding",
                        "laion_clap load_state_dict reads laion.pt back to an equal text tower"],
        "files": files,
        "total_bytes": sum(f["size"] for f in files.values()),
    }
    (out / "MANIFEST.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
    print(f"laion vs hf embedding max|d| = {float((laion_emb - hf_emb).abs().max()):.3g}")
    print(f"{len(files)} files, {manifest['total_bytes']} bytes -> {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
