#!/usr/bin/env python3
"""Writes small webdataset tar shards with Python's tarfile into Tests/Fixtures/shards/.

The Swift tar reader (Sources/Shards) is checked against what tarfile itself says about each
archive: every member's name, size and payload offset (TarInfo.offset_data) goes into
expected/<tar>.json. Payloads are seeded pseudo-random bytes, not real audio: the reader only
locates them. Deterministic (fixed mtimes, owners, seeds): two runs give identical bytes.

Usage (from the repository root, any Python 3.9+; standard library only):
    python3 Scripts/reference/make_shard_fixtures.py [--out DIR]
"""
import argparse
import hashlib
import io
import json
import os
import random
import shutil
import sys
import tarfile

PREFIX = "scratch/freesound_new/"


def payload(seed, n):
    rng = random.Random(seed)
    return bytes(rng.getrandbits(8) for _ in range(n))


def info(name, size=0, kind=tarfile.REGTYPE, link=""):
    ti = tarfile.TarInfo(name)
    ti.size = size
    ti.type = kind
    ti.linkname = link
    ti.mtime = 1700000000
    ti.mode = 0o644
    ti.uid = ti.gid = 0
    ti.uname = ti.gname = ""
    return ti


def add(tar, name, data=b"", kind=tarfile.REGTYPE, link=""):
    ti = info(name, len(data) if kind == tarfile.REGTYPE else 0, kind, link)
    tar.addfile(ti, io.BytesIO(data) if kind == tarfile.REGTYPE else None)


def laion_json(captions, tags=None, original=None, **extra):
    record = {"text": captions}
    if tags is not None:
        record["tag"] = tags
    if original is not None:
        record["original_data"] = original
    record.update(extra)
    return json.dumps(record, ensure_ascii=False, indent=4).encode("utf-8")


def write_tar(path, fmt, members):
    with tarfile.open(path, "w", format=fmt) as tar:
        for m in members:
            add(tar, *m)


def describe(path):
    """What tarfile reports: the regular members in order with their payload offsets."""
    out = []
    with tarfile.open(path, "r") as tar:
        for ti in tar:
            out.append({"name": ti.name, "type": ti.type.decode("latin-1"), "size": ti.size,
                        "payload_offset": ti.offset_data, "header_offset": ti.offset,
                        "linkname": ti.linkname})
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="Tests/Fixtures/shards")
    out = ap.parse_args().out
    if os.path.isdir(out):
        shutil.rmtree(out)
    os.makedirs(os.path.join(out, "train"))
    os.makedirs(os.path.join(out, "expected"))

    # 1. A LAION-like shard in ustar format: .flac before .json, directory prefix kept, the
    #    schema variations of the real data (text list / string, no tag, licence in original_data).
    freesound = {"tags": ["synth"], "description": "Single note.", "username": "modularsamples",
                 "id": 282776, "license": "http://creativecommons.org/publicdomain/zero/1.0/"}
    write_tar(os.path.join(out, "train", "0.tar"), tarfile.USTAR_FORMAT, [
        (PREFIX + "282776.flac", payload(1, 1500)),
        (PREFIX + "282776.json", laion_json(["DSI Tetra - Sample and Hold Me - B4", "Single note sampled."],
                                            ["multisample", "synthesizer"], freesound)),
        (PREFIX + "17.flac", payload(2, 512)),
        (PREFIX + "17.json", laion_json("Busy French Village Street, traffic")),   # BBC: text is a string
        (PREFIX + "9.flac", payload(3, 0)),
        (PREFIX + "9.json", laion_json(["rain"], "weather", None, text_augment_t5="heavy rain on a roof")),
    ])
    # 2. pax format: a path longer than ustar's 255 bytes and a non-ASCII name.
    deep = "d" * 120 + ".v2/" + "e" * 120 + "/"
    write_tar(os.path.join(out, "train", "1.tar"), tarfile.PAX_FORMAT, [
        (deep + "clip.flac", payload(4, 700)),
        (deep + "clip.json", laion_json(["long path"])),
        ("café/ünï.flac", payload(5, 1)),
        ("café/ünï.json", laion_json(["non-ASCII name"], [])),
    ])
    # 3. GNU format: long names through 'L' headers, a base-256 free size, a directory entry.
    with tarfile.open(os.path.join(out, "gnu-long.tar"), "w", format=tarfile.GNU_FORMAT) as tar:
        tar.addfile(info("dir/", kind=tarfile.DIRTYPE))
        add(tar, "dir/" + "x" * 150 + ".flac", payload(6, 100))
        add(tar, "dir/" + "x" * 150 + ".json", laion_json(["gnu long name"]))
    with open(os.path.join(out, "train", "sizes.json"), "w") as f:
        json.dump({"0.tar": 3, "1.tar": 2}, f)
    # 4. Hostile and faulty members next to good ones.
    write_tar(os.path.join(out, "hostile.tar"), tarfile.PAX_FORMAT, [
        ("../evil.flac", payload(7, 10)),
        ("/etc/evil.json", laion_json(["absolute"])),
        ("ok/a.flac", payload(8, 20)),
        ("ok/a.json", laion_json(["good one"])),
        ("ok/link.flac", b"", tarfile.SYMTYPE, "/etc/passwd"),
        ("ok/hard.flac", b"", tarfile.LNKTYPE, "ok/a.flac"),
        ("ok/fifo.flac", b"", tarfile.FIFOTYPE),
        ("ok/dev.flac", b"", tarfile.CHRTYPE),
        ("ok/a/../../up.json", laion_json(["dot dot inside"])),
        ("ok/onlyaudio.flac", payload(9, 30)),
        ("ok/onlyjson.json", laion_json(["no audio"])),
        ("ok/badtype.flac", payload(10, 5)),
        ("ok/badtype.json", laion_json(5)),
        ("ok/badlist.flac", payload(11, 5)),
        ("ok/badlist.json", laion_json(["x", 3])),
        ("ok/notjson.flac", payload(12, 5)),
        ("ok/notjson.json", b"{'text': 'single quotes'}"),
        ("ok/README", b"no extension"),
        ("ok/b.flac", payload(13, 40)),
        ("ok/b.flac", payload(14, 40)),
        ("ok/b.json", laion_json(["b"], original={"licence": "CC-BY-4.0"})),
        ("ok/a.txt", b"key a again"),
    ])

    files = {}
    for root, _, names in os.walk(out):
        for n in sorted(names):
            p = os.path.join(root, n)
            if n.endswith(".tar"):
                rel = os.path.relpath(p, out).replace("/", "_")
                with open(os.path.join(out, "expected", rel + ".json"), "w") as f:
                    json.dump(describe(p), f, indent=1, ensure_ascii=False)
                    f.write("\n")
    for root, _, names in os.walk(out):
        for n in names:
            p = os.path.join(root, n)
            with open(p, "rb") as f:
                files[os.path.relpath(p, out)] = hashlib.sha256(f.read()).hexdigest()
    manifest = {
        "description": "webdataset tar shards written by Python's tarfile, with tarfile's own member table in expected/",
        "command": "python3 Scripts/reference/make_shard_fixtures.py",
        "command_cwd": "repository root",
        "versions": {"python": sys.version.split()[0]},
        "files": dict(sorted(files.items())),
    }
    with open(os.path.join(out, "MANIFEST.json"), "w") as f:
        json.dump(manifest, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    main()
