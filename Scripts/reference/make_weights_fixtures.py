#!/usr/bin/env python3
"""Tiny safetensors fixtures for the `Weights` module (SafetensorsFile, WeightBinder).

Every file is written by the reference `safetensors` library (safetensors.torch.save_file); every expected
value is numpy's own widening of the stored half-precision bits to float32. Nothing here re-implements
the format.

Writes Tests/Fixtures/weights/ (deleted and rewritten on every run):

  mixed.safetensors   f32 matrix `encoder.w` [2,3], f16 vector `encoder.h` (normals, subnormals, ±0, ±inf,
                      nan, max), bf16 vector `encoder.b` (same kinds), 0-d f32 scalar `scale`, buffers
                      `encoder.relative_position_index` and `bn.num_batches_tracked` stored as F32 (the
                      binder accepts and never requires them), and __metadata__ {"format": "pt", "note": ...}.
  expected_<key>.npy  the float32 values each tensor must decode to (numpy's widening of the stored bits,
                      see expected_float32).
  MANIFEST.json       sha256 + size of every other file, versions, the regenerate command.

Run from the repository root:
    /work/refenv/bin/python Scripts/reference/make_weights_fixtures.py
"""
from __future__ import annotations

import hashlib
import importlib.metadata
import json
import pathlib
import platform
import shutil

import numpy as np
import torch
from safetensors.torch import save_file

OUT = pathlib.Path("Tests/Fixtures/weights")


def expected_float32(t: torch.Tensor) -> np.ndarray:
    """numpy's widening of the stored bits. F16: numpy's float16 -> float32 cast (keeps NaN payloads, e.g.
    0x7E00 -> 0x7FC00000; torch's .float() would give 0x7FFFFFFF). BF16 (numpy has no bfloat16): the 16 bits
    placed in the high half of a float32, the definition ml_dtypes and torch use."""
    if t.dtype == torch.float16:
        values = t.view(torch.int16).numpy().view(np.float16).astype(np.float32)
    elif t.dtype == torch.bfloat16:
        bits = t.view(torch.int16).numpy().view(np.uint16).astype(np.uint32) << np.uint32(16)
        values = bits.view(np.float32)
    else:
        values = t.numpy().astype(np.float32)
    return values.astype("<f4").copy(order="C")  # keeps 0-d arrays 0-d (ascontiguousarray would not)


def main() -> None:
    if OUT.exists():
        shutil.rmtree(OUT)
    OUT.mkdir(parents=True)

    special = [1.0, -2.5, 0.333, 65504.0, 6.0e-8, -3.0e-6, 0.0, -0.0, float("inf"), float("-inf"), float("nan")]
    bf_special = [1.0, -2.5, 0.333, 3.0e38, 1.0e-39, -5.0e-40, 0.0, -0.0, float("inf"), float("-inf"), float("nan")]
    tensors = {
        "encoder.w": torch.tensor([[0.5, -1.25, 3.0], [1e-3, -7.0, 123456.789]], dtype=torch.float32),
        "encoder.h": torch.tensor(special, dtype=torch.float32).to(torch.float16),
        "encoder.b": torch.tensor(bf_special, dtype=torch.float32).to(torch.bfloat16),
        "scale": torch.tensor(0.125, dtype=torch.float32),
        "encoder.relative_position_index": torch.tensor([[0.0, 1.0], [2.0, 3.0]], dtype=torch.float32),
        "bn.num_batches_tracked": torch.tensor([42.0], dtype=torch.float32),
    }
    metadata = {"format": "pt", "note": "audio-index weights fixture"}
    save_file(tensors, str(OUT / "mixed.safetensors"), metadata=metadata)
    (OUT / "mixed.safetensors").chmod(0o644)

    for key, t in tensors.items():
        np.save(OUT / f"expected_{key}.npy", expected_float32(t))

    files = {}
    for path in sorted(OUT.iterdir()):
        data = path.read_bytes()
        files[path.name] = {"sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}
    manifest = {
        "generator": "Scripts/reference/make_weights_fixtures.py",
        "regenerate": "/work/refenv/bin/python Scripts/reference/make_weights_fixtures.py",
        "versions": {
            "python": platform.python_version(),
            "numpy": np.__version__,
            "torch": torch.__version__,
            "safetensors": importlib.metadata.version("safetensors"),
        },
        "reference_call": "safetensors.torch.save_file(tensors, path, metadata); expected = numpy float16->float32 cast (F16), bits<<16 (BF16)",
        "files": files,
    }
    (OUT / "MANIFEST.json").write_text(json.dumps(manifest, indent=2) + "\n")


if __name__ == "__main__":
    main()
