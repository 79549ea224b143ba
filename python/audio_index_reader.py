#!/usr/bin/env python3
"""Read an audio-index index directory from Python: NumPy and the standard library only.

An AudioBERT-style runtime embeds its query with its own CLAP model and calls

    from audio_index_reader import AudioIndex
    with AudioIndex("index/demo") as index:
        for hit in index.search(query_vector, k=5)[0]:
            print(hit.rank, hit.score, hit.ids, hit.captions, hit.locator)

The reader never writes: the catalog is opened with SQLite ``mode=ro`` (``immutable=1`` when the
folder is read-only), and the vector generation opened is the one the catalog records
(``catalog_info.generation``), never ``CURRENT`` (Docs/IndexDirectory.md). Segments are checked
against their file sizes (Docs/IndexFormat.md §3) and their vector sections are memory-mapped.
Search is exact brute force over the live rows of every segment, also for IVF indexes (their lists
are not used; Docs/PythonReader.md says why). Usage, limits and the copy rule: Docs/PythonReader.md.

Command line (results as ``audio-index query --format json|text`` prints them):

    python3 audio_index_reader.py DIR --vector q.npy [-k 10] [--format json|text]
    python3 audio_index_reader.py DIR --info
"""

import argparse
import json
import os
import re
import sqlite3
import struct
import sys
import urllib.parse
from dataclasses import dataclass, field
from typing import List, Optional

import numpy as np

__all__ = ["AudioIndex", "Hit", "Locator", "ReaderError", "NewerVersionError", "CorruptIndexError",
           "NotAnIndexError", "CATALOG_SCHEMA_VERSION"]

#: The newest catalog schema this reader understands (Docs/CatalogSchema.md).
CATALOG_SCHEMA_VERSION = 1
#: The newest `gen-<n>.json` format version and segment versions understood (Docs/IndexFormat.md).
GENERATION_FORMAT_VERSION = 1
SEGMENT_VERSIONS = (1, 2)


class ReaderError(Exception):
    """Any reason an index cannot be read; the message names the file and what to do."""


class NotAnIndexError(ReaderError):
    """The folder is not an index directory audio-index built."""


class NewerVersionError(ReaderError):
    """A file was written by a newer audio-index than this reader knows."""


class CorruptIndexError(ReaderError):
    """A file is damaged or inconsistent with the others."""


@dataclass(frozen=True)
class Locator:
    """Where a clip's audio is: a file, or a tar member's payload (read `member_size` bytes at
    `member_offset` of `path`; Docs/IndexDirectory.md "Reading a hit's audio back")."""
    path: str
    member: Optional[str] = None
    member_offset: Optional[int] = None
    member_size: Optional[int] = None

    def __str__(self):
        if self.member is None:
            return self.path
        return "%s:%s@%d+%d" % (self.path, self.member, self.member_offset, self.member_size)


@dataclass
class Hit:
    """One distinct clip: its vector row, the score and every clip id sharing that row
    (byte-identical duplicates), in byte order; captions merged over those ids in that order; the
    locator of the first id."""
    rank: int
    score: float
    row: int
    ids: List[str]
    start_seconds: float
    captions: List[str]
    locator: Locator
    extra: dict = field(default_factory=dict)

    def to_json(self):
        """The object `audio-index query --format json` prints for this hit (plus `row`)."""
        out = {"rank": self.rank, "score": self.score, "ids": self.ids, "start_seconds": self.start_seconds,
               "captions": self.captions, "path": self.locator.path, "row": self.row}
        if self.locator.member is not None:
            out.update(member=self.locator.member, member_offset=self.locator.member_offset,
                       member_size=self.locator.member_size)
        return out


# --- CRC-32C (Castagnoli), for the 124-byte segment headers and the small tombstone files ---------

def _crc32c_table():
    table = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        table.append(c)
    return table


_CRC_TABLE = _crc32c_table()


def crc32c(data):
    """CRC-32C of `data` (check value: crc32c(b"123456789") == 0xE3069283)."""
    c = 0xFFFFFFFF
    t = _CRC_TABLE
    for b in data:
        c = t[(c ^ b) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF


# --- .npy section headers --------------------------------------------------------------------------

def _npy_header(descr, shape):
    """The bytes NumPy (and audio-index's NumPyFormat.headerBytes) write before the data of a C-order
    array: magic, version 1.0, the dict padded with spaces to a multiple of 64 bytes."""
    shape_text = "(%d,)" % shape[0] if len(shape) == 1 else "(" + ", ".join(str(s) for s in shape) + ")"
    header = "{'descr': '%s', 'fortran_order': False, 'shape': %s, }" % (descr, shape_text)
    unpadded = 6 + 4 + len(header) + 1
    header += " " * ((64 - unpadded % 64) % 64) + "\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode("ascii")


def _align64(n):
    return (n + 63) // 64 * 64


# --- segments ----------------------------------------------------------------------------------------

class _Segment:
    """One `seg-<n>.vseg`: header, offsets and `.npy` headers checked against the file size at open;
    vectors and ids memory-mapped (nothing of the payload is read until a search)."""

    def __init__(self, path, generation, count, dimension, metric):
        self.path, self.generation = path, generation
        name = os.path.basename(path)
        try:
            size = os.path.getsize(path)
            with open(path, "rb") as f:
                head = f.read(128)
        except OSError as e:
            raise CorruptIndexError("%s: cannot read the segment: %s (restore the index from a copy)" % (path, e.strerror))

        def bad(what):
            return CorruptIndexError("%s: %s (the segment is damaged; restore the index from a copy or rebuild it)" % (path, what))

        if len(head) < 128:
            raise bad("shorter than its 128-byte header (%d bytes)" % size)
        magic, version, endian, dim, metric_code, etype, kind = struct.unpack_from("<8sIIIBBB", head, 0)
        if magic != b"AUDIXVEC":
            raise bad("not a segment file (magic %r)" % magic)
        if version not in SEGMENT_VERSIONS:
            if version > max(SEGMENT_VERSIONS):
                raise NewerVersionError("%s: segment format version %d was written by a newer audio-index "
                                        "(this reader reads up to %d; update audio_index_reader.py)" % (path, version, max(SEGMENT_VERSIONS)))
            raise bad("unknown segment format version %d" % version)
        (header_crc,) = struct.unpack_from("<I", head, 124)
        if crc32c(head[:124]) != header_crc:
            raise bad("header checksum mismatch")
        if endian != 0x0A0B0C0D:
            raise bad("wrong endianness marker 0x%08X" % endian)
        if dim != dimension:
            raise bad("dimension %d, the generation says %d" % (dim, dimension))
        if metric_code not in (0, 1) or ("ip", "l2")[metric_code] != metric:
            raise bad("metric code %d, the generation says %s" % (metric_code, metric))
        if etype != 0:
            raise bad("element type %d (only 0 = float32 is defined)" % etype)
        if (version == 1 and kind != 0) or (version == 2 and kind not in (0, 1)):
            raise bad("segment kind %d in a version %d segment" % (kind, version))
        n, voff, vlen, ioff, ilen = struct.unpack_from("<QQQQQ", head, 24)
        if n != count:
            raise bad("holds %d vectors, its generation file says %d" % (n, count))
        if 4 * n * dim > size:
            raise bad("claims %d vectors of %d floats, more than the file's %d bytes" % (n, dim, size))
        vhead = _npy_header("<f4", (n, dim))
        ihead = _npy_header("<i8", (n,))
        expected = [(voff, 128), (vlen, len(vhead) + 4 * n * dim), (ioff, _align64(128 + len(vhead) + 4 * n * dim)),
                    (ilen, len(ihead) + 8 * n)]
        end = ioff + ilen
        sections = [(voff, vhead), (ioff, ihead)]
        self.nlist = 0
        if kind == 1:
            nlist, _, coff, clen, loff, llen = struct.unpack_from("<IIQQQQ", head, 72)
            if not 1 <= nlist <= 4_194_304:
                raise bad("nlist %d out of range" % nlist)
            chead, lhead = _npy_header("<f4", (nlist, dim)), _npy_header("<i8", (nlist + 1,))
            expected += [(coff, _align64(ioff + ilen)), (clen, len(chead) + 4 * nlist * dim),
                         (loff, _align64(coff + clen)), (llen, len(lhead) + 8 * (nlist + 1))]
            sections += [(coff, chead), (loff, lhead)]
            end = loff + llen
            self.nlist = nlist
        for got, want in expected:
            if got != want:
                raise bad("a section offset or length (%d) is not what %d vectors of dimension %d imply (%d)" % (got, n, dim, want))
        if size != end:
            raise bad("%d bytes, its header implies %d (truncated or extended)" % (size, end))
        with open(path, "rb") as f:
            for off, want in sections:
                f.seek(off)
                if f.read(len(want)) != want:
                    raise bad("a .npy section header at offset %d is not the one NumPy writes for its shape" % off)
        self.count, self.dimension, self.version, self.kind = n, dim, version, ("flat", "ivf")[kind]
        if n:
            self.vectors = np.memmap(path, dtype="<f4", mode="r", offset=voff + len(vhead), shape=(n, dim))
            self.ids = np.memmap(path, dtype="<i8", mode="r", offset=ioff + len(ihead), shape=(n,))
        else:
            self.vectors = np.zeros((0, dim), dtype="<f4")
            self.ids = np.zeros(0, dtype="<i8")
        self.name = name


_SEGMENT_NAME = re.compile(r"^seg-([0-9]+)\.vseg$")
_TOMB_NAME = re.compile(r"^tomb-([0-9]+)\.npy$")


class _Vectors:
    """Generation `g` of `DIR/vectors`: its segments (memory-mapped) and tombstones."""

    def __init__(self, folder, generation):
        path = os.path.join(folder, "gen-%d.json" % generation)
        try:
            with open(path, "rb") as f:
                gen = json.loads(f.read())
        except FileNotFoundError:
            raise
        except (OSError, ValueError) as e:
            raise CorruptIndexError("%s: cannot read the generation file: %s (restore the index from a copy)" % (path, e))

        def bad(what):
            return CorruptIndexError("%s: %s (the index is damaged; restore it from a copy or rebuild it)" % (path, what))

        if not isinstance(gen, dict) or gen.get("format") != "audio-index-vectors":
            raise bad("not an audio-index generation file")
        version = gen.get("format_version")
        if not isinstance(version, int) or version < 1:
            raise bad("format_version missing or not a positive integer")
        if version > GENERATION_FORMAT_VERSION:
            raise NewerVersionError("%s: format version %d was written by a newer audio-index (this reader reads up to %d; "
                                    "update audio_index_reader.py)" % (path, version, GENERATION_FORMAT_VERSION))
        if gen.get("generation") != generation:
            raise bad("says generation %r, its name says %d" % (gen.get("generation"), generation))
        self.dimension, self.metric = gen.get("dimension"), gen.get("metric")
        if not isinstance(self.dimension, int) or not 1 <= self.dimension <= 65536 or self.metric not in ("ip", "l2"):
            raise bad("dimension or metric missing or out of range")
        self.generation = generation
        self.segments = []
        self.tombstones = []  # (generation, ids)

        def entry(e, pattern, what):
            if not isinstance(e, dict) or not isinstance(e.get("file"), str) or not isinstance(e.get("count"), int) or e["count"] < 0:
                raise bad("a %s entry is malformed" % what)
            m = pattern.match(e["file"])  # names only: a damaged file cannot point outside the folder
            if not m or int(m.group(1)) != e.get("generation") or e["generation"] > generation:
                raise bad("%s entry %r: its name, generation and the generation file's number disagree" % (what, e["file"]))
            return os.path.join(folder, e["file"]), e["generation"], e["count"]

        for e in gen.get("segments", []):
            file, g, count = entry(e, _SEGMENT_NAME, "segment")
            self.segments.append(_Segment(file, g, count, self.dimension, self.metric))
        kinds = {s.kind for s in self.segments}
        self.kind = kinds.pop() if len(kinds) == 1 else ("flat" if not kinds else "mixed")
        if self.kind == "mixed":
            raise bad("mixes flat and IVF segments")
        for e in gen.get("tombstones", []):
            file, g, count = entry(e, _TOMB_NAME, "tombstone")
            try:
                with open(file, "rb") as f:
                    data = f.read()
            except OSError as err:
                raise CorruptIndexError("%s: cannot read the tombstone file: %s (restore the index from a copy)" % (file, err.strerror))
            head = _npy_header("<i8", (count,))
            if crc32c(data) != e.get("crc32c") or not data.startswith(head) or len(data) != len(head) + 8 * count:
                raise CorruptIndexError("%s: checksum, header or size does not match its generation file "
                                        "(restore the index from a copy)" % file)
            self.tombstones.append((g, np.frombuffer(data, dtype="<i8", offset=len(head))))
        self._live = None

    def live_masks(self):
        """Per segment, which rows are live: a tombstone hides its ids in older segments only."""
        if self._live is None:
            masks = []
            for s in self.segments:
                hidden = [ids for g, ids in self.tombstones if g > s.generation]
                if hidden and s.count:
                    masks.append(~np.isin(np.asarray(s.ids), np.concatenate(hidden)))
                else:
                    masks.append(None)
            self._live = masks
        return self._live


# --- the index -----------------------------------------------------------------------------------------

class AudioIndex:
    """An index directory opened read-only at the generation its catalog records."""

    def __init__(self, directory):
        self.directory = directory
        catalog = os.path.join(directory, "catalog.sqlite")
        if not os.path.isfile(catalog):
            raise NotAnIndexError("%s: no catalog.sqlite (point at a folder made by audio-index build)" % directory)
        self.catalog_path = catalog
        self.db, self.open_mode = self._connect(catalog)
        try:
            row = self.db.execute("SELECT format, schema_version FROM catalog_info WHERE id = 1").fetchone()
        except sqlite3.DatabaseError as e:
            raise NotAnIndexError("%s: not an audio-index catalog (%s)" % (catalog, e))
        if row is None or row[0] != "audio-index-catalog":
            raise NotAnIndexError("%s: not an audio-index catalog (point at a folder made by audio-index build)" % catalog)
        self.schema_version = row[1]
        if self.schema_version > CATALOG_SCHEMA_VERSION:
            raise NewerVersionError("%s: catalog schema version %d was written by a newer audio-index (this reader reads up to %d; "
                                    "update audio_index_reader.py)" % (catalog, self.schema_version, CATALOG_SCHEMA_VERSION))
        self._open_vectors()
        model = self.db.execute("SELECT long_clip_policy FROM model").fetchone()
        self.long_clip_policy = model[0] if model else None

    @staticmethod
    def _connect(catalog):
        """`mode=ro`; in a folder where SQLite cannot create its `-shm` file, `immutable=1`, which is
        safe because nobody can be writing there (Docs/IndexDirectory.md, "Copying an index")."""
        quoted = urllib.parse.quote(os.path.abspath(catalog))
        try:
            db = sqlite3.connect("file:%s?mode=ro" % quoted, uri=True)
            db.execute("SELECT count(*) FROM sqlite_master").fetchone()
            return db, "ro"
        except sqlite3.OperationalError as e:
            if os.access(os.path.dirname(os.path.abspath(catalog)), os.W_OK):
                raise ReaderError("%s: cannot open the catalog read-only: %s" % (catalog, e))
        db = sqlite3.connect("file:%s?immutable=1" % quoted, uri=True)
        return db, "immutable"

    def _catalog_generation(self):
        (g,) = self.db.execute("SELECT generation FROM catalog_info WHERE id = 1").fetchone()
        if g <= 0:
            raise NotAnIndexError("%s: the first build never committed (run audio-index build again)" % self.directory)
        return g

    def _open_vectors(self):
        """The generation the catalog records; if its files are gone (a writer committed twice since
        the catalog was read), read the catalog's generation again and retry once."""
        for attempt in (0, 1):
            g = self._catalog_generation()
            try:
                self.vectors = _Vectors(os.path.join(self.directory, "vectors"), g)
                self.generation = g
                return
            except FileNotFoundError as e:
                if attempt == 1:
                    raise CorruptIndexError("%s: generation %d recorded by the catalog is missing (%s); "
                                            "restore the index from a copy" % (self.directory, g, e.filename))

    @property
    def dimension(self):
        return self.vectors.dimension

    @property
    def metric(self):
        return self.vectors.metric

    @property
    def kind(self):
        return self.vectors.kind

    def close(self):
        self.db.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def info(self):
        count = lambda sql: self.db.execute(sql).fetchone()[0]
        return {"clips": count("SELECT count(*) FROM clips"), "vectors": count("SELECT count(*) FROM vector_rows"),
                "generation": self.generation, "kind": self.kind, "dimension": self.dimension, "metric": self.metric,
                "schema_version": self.schema_version, "catalog_open_mode": self.open_mode,
                "long_clip": self.long_clip_policy}

    def _scores(self, query):
        """Every live row's id and score for one query (inner product, or squared L2)."""
        ids, scores = [], []
        for s, mask in zip(self.vectors.segments, self.vectors.live_masks()):
            if not s.count:
                continue
            sc = np.empty(s.count, dtype=np.float32)
            for lo in range(0, s.count, 65536):  # blocks: bounded memory for the l2 differences
                x = np.asarray(s.vectors[lo:lo + 65536])
                sc[lo:lo + len(x)] = x @ query if self.metric == "ip" else np.sum(np.square(x - query[None, :]), axis=1)
            sid = np.asarray(s.ids)
            if mask is not None:
                sc, sid = sc[mask], sid[mask]
            ids.append(sid)
            scores.append(sc)
        if not ids:
            return np.zeros(0, "<i8"), np.zeros(0, "<f4")
        return np.concatenate(ids), np.concatenate(scores)

    def _ranked(self, ids, scores, m):
        """The best `m` rows (more when scores tie at the cut), ordered as Docs/IndexFormat.md §4
        ranks them: ip descending / l2 ascending, finite before infinite before NaN, equal scores by
        the smaller id."""
        s64 = scores.astype(np.float64)
        key = np.where(np.isfinite(s64), -s64 if self.metric == "ip" else s64, np.where(np.isnan(s64), 2e300, 1e300))
        if m < len(key):
            threshold = key[np.argpartition(key, m - 1)[:m]].max()
            pick = np.nonzero(key <= threshold)[0]
        else:
            pick = np.arange(len(key))
        pick = pick[np.lexsort((ids[pick], key[pick]))]
        return ids[pick], scores[pick]

    def search(self, queries, k=10):
        """Top-k distinct clips for each query (a (D,) vector or a (Q, D) matrix, float32), best
        first; a list of hit lists, one per query. Exact (brute force over every live row)."""
        q = np.asarray(queries, dtype=np.float32)
        if q.ndim == 1:
            q = q[None, :]
        if q.ndim != 2 or q.shape[1] != self.dimension:
            raise ReaderError("query of shape %s; the index holds %d-d vectors" % (tuple(np.shape(queries)), self.dimension))
        if k < 1:
            raise ReaderError("k must be at least 1, got %d" % k)
        if self._catalog_generation() != self.generation:  # a writer committed since: follow the catalog
            self._open_vectors()
        out = []
        for query in q:
            all_ids, all_scores = self._scores(query)
            m = min(len(all_ids), max(4 * k, 64))
            while True:
                hits = self._hits(*self._ranked(all_ids, all_scores, m), k)
                if len(hits) == k or m >= len(all_ids):
                    break
                m = min(len(all_ids), 4 * m)  # rows without owners or windows of one clip: look further
            out.append(hits)
        return out

    def _hits(self, ids, scores, k):
        """Walks ranked rows into at most k distinct clips."""
        hits, seen = [], set()
        for row, score in zip(ids.tolist(), scores.tolist()):
            owners = self.db.execute(
                """SELECT c.clip_id, r.start_seconds, c.path, c.member, c.member_offset, c.member_size, c.captions
                   FROM vector_rows r JOIN clip_rows cr ON cr.row = r.row JOIN clips c ON c.clip_key = cr.clip_key
                   WHERE r.row = ? ORDER BY c.clip_id COLLATE BINARY""", (row,)).fetchall()
            if not owners:
                continue
            clip_ids = [o[0] for o in owners]
            if any(i in seen for i in clip_ids):
                continue  # a better window of the same clip came first (--long-clip segments)
            seen.update(clip_ids)
            captions = []
            for o in owners:
                for c in json.loads(o[6]):
                    if c not in captions:
                        captions.append(c)
            first = owners[0]
            hits.append(Hit(rank=len(hits) + 1, score=score, row=row, ids=clip_ids, start_seconds=first[1],
                            captions=captions, locator=Locator(first[2], first[3], first[4], first[5])))
            if len(hits) == k:
                break
        return hits


def _main(argv=None):
    p = argparse.ArgumentParser(description="Search an audio-index index directory by vector (NumPy + sqlite3 only).")
    p.add_argument("index", help="the index directory (DIR with vectors/ and catalog.sqlite)")
    p.add_argument("--vector", help="a .npy float32 query of shape (D,) or (Q, D)")
    p.add_argument("-k", type=int, default=10, help="hits per query (default 10)")
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.add_argument("--info", action="store_true", help="print the index's counts and facts as JSON")
    a = p.parse_args(argv)
    try:
        with AudioIndex(a.index) as index:
            if a.info or not a.vector:
                print(json.dumps(index.info()))
                return 0
            q = np.load(a.vector)
            results = index.search(q, k=a.k)
            for qi, hits in enumerate(results):
                for h in hits:
                    if a.format == "json":
                        obj = h.to_json()
                        if len(results) > 1:
                            obj = dict(query=qi, **obj)
                        print(json.dumps(obj))
                    else:
                        prefix = "q%d " % qi if len(results) > 1 else ""
                        print("%s%d\t%.4f\t%s\t%s\t%s" % (prefix, h.rank, h.score, ",".join(h.ids),
                                                         h.captions[0] if h.captions else "", h.locator))
    except ReaderError as e:
        print("error: %s" % e, file=sys.stderr)
        return 7 if isinstance(e, NewerVersionError) else 4 if isinstance(e, CorruptIndexError) else 5
    return 0


if __name__ == "__main__":
    sys.exit(_main())
