#!/usr/bin/env python3
"""Small PyTorch checkpoints for the `Weights` module's native `.pt` / `pytorch_model.bin` reader.

Every checkpoint is written by the real `torch.save` (torch 2.13, default zip format, pickle protocol 2);
every expected value is numpy's own conversion of the stored tensor. Nothing here re-implements the format,
except `zip64_copy`, which rewrites one archive's zip records into their zip64 form (what torch's miniz writer
emits past 4 GiB) and is then checked by loading it back with `torch.load` and `zipfile`.

Writes Tests/Fixtures/pytorch/ (deleted and rewritten on every run):

  laion_release.pt   shaped like laion_clap's released checkpoints: {'epoch': 45, 'name': ..., 'optimizer':
                     {'state': {0: {'step', 'exp_avg', 'exp_avg_sq'}}, 'param_groups': [...]}, 'best_score':
                     numpy.float64, 'lr': numpy.float32, 'state_dict': OrderedDict of `module.`-prefixed keys}.
                     The state dict holds f32/f16/bf16/f64 tensors, a 0-d scalar, a zero-element tensor, a
                     transposed (non-contiguous) view, a row and a column view sharing one storage at offsets,
                     and int64 buffers (num_batches_tracked, relative_position_index).
  hf_model.bin       a bare state dict as transformers saves pytorch_model.bin: a tiny nn.Module tree with
                     Linear, LayerNorm, BatchNorm1d (running stats, int64 num_batches_tracked) and Embedding
                     under ClapModel-style names (audio_model..., text_model..., audio_projection...).
  zip64.pt           hf_model.bin with every zip record rewritten in zip64 form (central directory sizes and
                     offsets 0xFFFFFFFF + zip64 extra fields, zip64 end record and locator).
  legacy.pt          the same state dict saved with _use_new_zipfile_serialization=False (pre-1.6 format).
  torchscript.pt     torch.jit.save of a scripted Linear (a TorchScript archive, not a checkpoint).
  expected/<file>/<key>.npy   the values each tensor must read as: float32 (numpy's widening of the stored
                     bits, f64 rounded by astype) for floating tensors, int64 for integer buffers.
  MANIFEST.json      sha256 + size of every other file, versions, the regenerate command.

Run from the repository root:
    /work/refenv/bin/python Scripts/reference/make_pt_fixtures.py
"""
from __future__ import annotations

import collections
import hashlib
import io
import json
import pathlib
import platform
import shutil
import struct
import zipfile

import numpy as np
import torch

OUT = pathlib.Path("Tests/Fixtures/pytorch")


def expected(t: torch.Tensor) -> np.ndarray:
    """What the Swift reader must return. F16: numpy's float16 -> float32 cast (keeps NaN payloads).
    BF16 (numpy has none): the 16 bits in the high half of a float32. F64: astype(float32). Integers: int64."""
    t = t.contiguous()
    if t.dtype == torch.float16:
        v = t.view(torch.int16).numpy().view(np.float16).astype(np.float32)
    elif t.dtype == torch.bfloat16:
        v = (t.view(torch.int16).numpy().view(np.uint16).astype(np.uint32) << np.uint32(16)).view(np.float32)
    elif t.dtype.is_floating_point:
        v = t.numpy().astype(np.float32)
    else:
        return t.numpy().astype("<i8").copy(order="C")
    return v.astype("<f4").copy(order="C")


def laion_release() -> dict:
    g = torch.Generator().manual_seed(20261127)
    base = torch.randn(3, 4, generator=g)  # one storage, viewed four ways below
    special16 = [1.0, -2.5, 0.333, 65504.0, 6.0e-8, -3.0e-6, 0.0, -0.0, float("inf"), float("-inf"), float("nan")]
    special_bf = [1.0, -2.5, 0.333, 3.0e38, 1.0e-39, -5.0e-40, 0.0, -0.0, float("inf"), float("-inf"), float("nan")]
    sd = collections.OrderedDict()
    sd["module.audio_branch.patch_embed.proj.weight"] = torch.randn(2, 1, 2, 3, generator=g)
    sd["module.audio_branch.base"] = base
    sd["module.audio_branch.transposed"] = base.t()  # stride (1, 4): non-contiguous
    sd["module.audio_branch.row1"] = base[1]  # storage offset 4
    sd["module.audio_branch.col2"] = base[:, 2]  # offset 2, stride (4,)
    sd["module.audio_branch.block"] = base[1:, 1:3]  # offset 5, size (2, 2), stride (4, 1)
    sd["module.audio_branch.half"] = torch.tensor(special16).to(torch.float16)
    sd["module.audio_branch.brain"] = torch.tensor(special_bf).to(torch.bfloat16)
    sd["module.audio_branch.half_t"] = torch.randn(2, 3, generator=g).to(torch.float16).t()
    sd["module.audio_branch.bn0.num_batches_tracked"] = torch.tensor(1234567, dtype=torch.int64)
    sd["module.audio_branch.layers.0.blocks.0.attn.relative_position_index"] = torch.arange(16, dtype=torch.int64).reshape(4, 4).flip(0)
    sd["module.text_branch.double"] = torch.tensor([1.0 / 3.0, 1e-40, 3e38, -2.0], dtype=torch.float64)
    sd["module.text_branch.empty"] = torch.zeros(0, 5)
    sd["module.logit_scale_a"] = torch.tensor(2.6592)
    optimizer = {
        "state": {0: {"step": torch.tensor(10.0), "exp_avg": torch.randn(2, 3, generator=g),
                      "exp_avg_sq": torch.rand(2, 3, generator=g)}},
        "param_groups": [{"lr": 1e-4, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0.0,
                          "amsgrad": False, "params": [0]}],
    }
    return {"epoch": 45, "name": "2022_11_20-audioset-HTSAT-tiny", "optimizer": optimizer,
            "best_score": np.float64(0.9014), "lr": np.float32(1e-4), "state_dict": sd}


class Tiny(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.audio_model = torch.nn.Module()
        self.audio_model.proj = torch.nn.Linear(3, 2)
        self.audio_model.bn = torch.nn.BatchNorm1d(2)
        self.text_model = torch.nn.Module()
        self.text_model.embeddings = torch.nn.Embedding(5, 2)
        self.text_model.norm = torch.nn.LayerNorm(2)
        self.audio_projection = torch.nn.Linear(2, 2, bias=False)


def hf_state_dict() -> collections.OrderedDict:
    torch.manual_seed(7)
    m = Tiny()
    with torch.no_grad():
        m.audio_model.bn.running_mean.copy_(torch.tensor([0.25, -0.5]))
        m.audio_model.bn.running_var.copy_(torch.tensor([1.5, 0.75]))
        m.audio_model.bn.num_batches_tracked.fill_(3)
        m.text_model.norm.weight.copy_(torch.tensor([1.25, 0.5]))
    return m.state_dict()


def zip64_copy(src: pathlib.Path, dst: pathlib.Path) -> None:
    """Rewrites the central directory and end records of `src` into zip64 form (APPNOTE 4.3.14-4.3.16, 4.5.3):
    local headers and data are kept byte for byte; each central entry's sizes and local offset become
    0xFFFFFFFF with the real values in a zip64 extra field; a zip64 end record and locator precede a
    classic end record whose counts and offsets are saturated."""
    data = src.read_bytes()
    eocd = data.rindex(b"PK\x05\x06")
    count, cd_size, cd_offset = struct.unpack_from("<HII", data, eocd + 10)
    out = bytearray(data[:cd_offset])
    new_cd = bytearray()
    at = cd_offset
    for _ in range(count):
        fixed = bytearray(data[at:at + 46])
        name_len, extra_len, comment_len = struct.unpack_from("<HHH", fixed, 28)
        comp, size = struct.unpack_from("<II", fixed, 20)
        local = struct.unpack_from("<I", fixed, 42)[0]
        name = data[at + 46:at + 46 + name_len]
        extra = data[at + 46 + name_len:at + 46 + name_len + extra_len]
        comment = data[at + 46 + name_len + extra_len:at + 46 + name_len + extra_len + comment_len]
        assert extra_len == 0, "unexpected central extra field"
        z64 = struct.pack("<HHQQQ", 1, 24, size, comp, local)
        struct.pack_into("<II", fixed, 20, 0xFFFFFFFF, 0xFFFFFFFF)
        struct.pack_into("<I", fixed, 42, 0xFFFFFFFF)
        struct.pack_into("<H", fixed, 30, len(z64))
        struct.pack_into("<H", fixed, 6, 45)  # version needed: 4.5 (zip64)
        new_cd += fixed + name + z64 + comment
        at += 46 + name_len + extra_len + comment_len
    new_cd_offset = len(out)
    out += new_cd
    z64_eocd = len(out)
    out += struct.pack("<IQHHIIQQQQ", 0x06064B50, 44, 45, 45, 0, 0, count, count, len(new_cd), new_cd_offset)
    out += struct.pack("<IIQI", 0x07064B50, 0, z64_eocd, 1)
    out += struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 0xFFFF, 0xFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0)
    dst.write_bytes(bytes(out))
    with zipfile.ZipFile(dst) as z:
        assert z.testzip() is None


def legacy_save(sd: dict, dst: pathlib.Path) -> None:
    """torch.save(..., _use_new_zipfile_serialization=False). The legacy format names storages by their
    memory address (serialization.py `_legacy_save`: str(storage._cdata)); each is replaced by a
    same-length decimal counter so two runs are byte-identical, then the file is loaded back to check it."""
    buffer = io.BytesIO()
    torch.save(sd, buffer, _use_new_zipfile_serialization=False)
    data = buffer.getvalue()
    addresses = sorted({str(t.untyped_storage()._cdata) for t in sd.values()})
    for i, address in enumerate(addresses):
        data = data.replace(address.encode(), str(i + 1).zfill(len(address)).encode())
    dst.write_bytes(data)
    back = torch.load(dst, weights_only=True)
    assert all(torch.equal(back[k], v) for k, v in sd.items())


def torchscript_save(dst: pathlib.Path) -> None:
    """torch.jit.save of a scripted Linear, with its random `.data/serialization_id` zeroed (entries
    re-stored by zipfile with their recorded names and dates) so two runs are byte-identical."""
    torch.manual_seed(3)
    buffer = io.BytesIO()
    torch.jit.save(torch.jit.script(torch.nn.Linear(2, 2)), buffer)
    with zipfile.ZipFile(buffer) as src, zipfile.ZipFile(dst, "w", zipfile.ZIP_STORED) as out:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename.endswith(".data/serialization_id"):
                data = b"0" * len(data)
            out.writestr(info, data)
    torch.jit.load(dst)


def save_expected(name: str, sd: dict) -> None:
    folder = OUT / "expected" / name
    folder.mkdir(parents=True)
    for key, t in sd.items():
        np.save(folder / f"{key.removeprefix('module.')}.npy", expected(t))


def main() -> None:
    if OUT.exists():
        shutil.rmtree(OUT)
    OUT.mkdir(parents=True)

    release = laion_release()
    torch.save(release, OUT / "laion_release.pt")
    save_expected("laion_release.pt", release["state_dict"])
    back = torch.load(OUT / "laion_release.pt", weights_only=False)
    assert back["state_dict"]["module.audio_branch.transposed"].stride() == (1, 4)
    assert back["state_dict"]["module.audio_branch.block"].storage_offset() == 5

    hf = hf_state_dict()
    torch.save(hf, OUT / "hf_model.bin")
    save_expected("hf_model.bin", hf)

    zip64_copy(OUT / "hf_model.bin", OUT / "zip64.pt")
    back = torch.load(OUT / "zip64.pt", weights_only=True)
    assert all(torch.equal(back[k], v) for k, v in hf.items())

    legacy_save(hf, OUT / "legacy.pt")
    torchscript_save(OUT / "torchscript.pt")

    files = {}
    for path in sorted(p for p in OUT.rglob("*") if p.is_file()):
        data = path.read_bytes()
        files[str(path.relative_to(OUT))] = {"sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}
    manifest = {
        "generator": "Scripts/reference/make_pt_fixtures.py",
        "regenerate": "/work/refenv/bin/python Scripts/reference/make_pt_fixtures.py",
        "versions": {"python": platform.python_version(), "numpy": np.__version__, "torch": torch.__version__},
        "reference_call": "torch.save(obj, path) (zip format, pickle protocol 2); expected = numpy conversion of each tensor",
        "files": files,
    }
    (OUT / "MANIFEST.json").write_text(json.dumps(manifest, indent=2) + "\n")


if __name__ == "__main__":
    main()
