#!/usr/bin/env python3
"""Builds the demo corpus manifest from unpacked Debian packages (Python 3 standard library only).

Called by Scripts/demo/fetch-demo-corpus.sh after it has run `apt-get download` and `dpkg -x`;
see Docs/DemoCorpus.md for what is selected and why, and Docs/ManifestFormat.md for the output.

  demo_corpus.py --work demo --manifest manifests/demo.jsonl

Steps: pull the chosen gcompris clips out of Qt .rcc archives, read each package's DEP-5
copyright file (last matching Files pattern wins), derive captions from file names and the
games' own board texts, hash each clip, and produce one JSON Lines record per clip, sorted by id,
in exactly the layout `ManifestWriter` writes (so the manifest is byte-identical from run to run).
An existing manifest is not overwritten but checked against the fetched corpus (--update rewrites).
"""

import argparse
import hashlib
import json
import os
import re
import struct
import sys
import zlib

# MARK: What is selected (explicit lists: the manifest must not depend on directory order)

SONIC_PI = "sonic-pi-samples"
ALSA = "alsa-utils"
#: The id of the deliberate byte-identical copy of alsa/Noise (see build()).
DUPLICATE_ID = "duplicate/alsa/Noise"
GCOMPRIS = "gcompris-qt-data"

SONIC_PI_SAMPLES = [
    "ambi_choir", "ambi_dark_woosh", "ambi_drone", "ambi_glass_hum", "ambi_lunar_land", "ambi_piano",
    "ambi_swoosh", "drum_cowbell", "drum_cymbal_open", "drum_heavy_kick", "drum_roll", "drum_snare_hard",
    "guit_e_fifths", "guit_harmonics", "loop_amen", "loop_safari", "loop_tabla", "misc_burp",
    "misc_cineboom", "misc_crow", "perc_bell", "perc_door", "perc_snap", "perc_till", "vinyl_backspin",
    "vinyl_hiss", "vinyl_scratch",
]

ALSA_CLIPS = ["Front_Center", "Front_Left", "Rear_Right", "Noise"]

# (rcc archive, audio file names inside its resource folder)
GCOMPRIS_CLIPS = [
    ("explore_farm_animals", ["cat", "chickens", "cow", "dog", "duck", "horse", "owl", "pig", "sheep"]),
    ("explore_world_music", ["africa", "america", "australia", "beethoven", "ireland", "italy", "japan",
                             "mexico", "middleeast"]),
    ("instruments", ["accordion", "banjo", "bongo", "castanets", "cello", "clarinet", "drum_kit",
                     "electric_guitar", "flute_traversiere", "harp", "organ", "piano", "saxophone",
                     "trumpet", "tuba", "violin"]),
    ("memory-sound", ["LRApplauses_1_LA_cut", "LRBark_1_LA_cut", "LRBuddhist_gong_05_LA", "LRDoor_Open_2_LA",
                      "LRFactory_noise_01_LA", "LRFireballs_01_LA", "LRFrogsInPondDuringStormLACut",
                      "LRHeart_beat_01_LA", "LRObject_falling_01_LA", "LRRain_in_garden_01_LA_cut",
                      "LRRing_01_LA", "LRStartAndStopCarEngine1LACut", "LRTrain_slowing_down_01_LA_cut"]),
]


def log(message):
    print("demo-corpus: " + message, file=sys.stderr, flush=True)


class CorpusError(Exception):
    """A problem the user can act on; printed as one line."""


# MARK: Qt resource archives (.rcc)

def read_rcc(path):
    """Returns {name: bytes} for every file in a Qt .rcc archive.

    Format (qtbase src/tools/rcc/rcc.cpp, RCCResourceLibrary::output): magic "qres", then
    big-endian u32 version, tree offset, data offset, names offset (version 3 adds u32 flags).
    Tree nodes are 14 bytes (version 1) or 22 bytes (2 and 3: plus a u64 modification time):
    u32 name offset, u16 flags, then for a directory u32 child count and u32 first child index,
    for a file u16 territory, u16 language, u32 data offset. A name is u16 length, u32 hash,
    then UTF-16BE code units. A data entry is u32 size then the bytes; flag 1 means zlib via
    qCompress (a u32 big-endian uncompressed length, then a zlib stream); flag 4 means zstd.
    """
    with open(path, "rb") as f:
        b = f.read()
    if b[:4] != b"qres" or len(b) < 20:
        raise CorpusError(f"{path}: not a Qt resource archive (no 'qres' magic)")
    version, tree, data, names = struct.unpack(">IIII", b[4:20])
    if version not in (1, 2, 3):
        raise CorpusError(f"{path}: Qt resource format version {version} is not supported")
    node_size = 14 if version == 1 else 22

    def name_at(offset):
        p = names + offset
        (length,) = struct.unpack(">H", b[p:p + 2])
        return b[p + 6:p + 6 + 2 * length].decode("utf-16-be")

    files = {}
    stack = [(0, "")]
    seen = 0
    while stack:
        index, prefix = stack.pop()
        seen += 1
        if seen > 1_000_000:
            raise CorpusError(f"{path}: resource tree does not end (corrupt archive?)")
        p = tree + index * node_size
        name_offset, flags = struct.unpack(">IH", b[p:p + 6])
        name = name_at(name_offset) if index else ""
        if flags & 2:
            count, first = struct.unpack(">II", b[p + 6:p + 14])
            child_prefix = prefix + name + "/" if index else ""
            stack.extend((c, child_prefix) for c in range(first, first + count))
        else:
            (offset,) = struct.unpack(">I", b[p + 10:p + 14])
            q = data + offset
            (size,) = struct.unpack(">I", b[q:q + 4])
            blob = b[q + 4:q + 4 + size]
            if flags & 4:
                raise CorpusError(f"{path}: {prefix + name} is zstd-compressed, which this reader does not handle")
            if flags & 1:
                blob = zlib.decompress(blob[4:])
            files[prefix + name] = blob
    return files


# MARK: Debian copyright files (DEP-5)

def read_dep5(path):
    """Returns the Files paragraphs of a machine-readable copyright file, in order, as
    (compiled patterns, {field: value}) with continuation lines joined by newlines."""
    with open(path, encoding="utf-8") as f:
        text = f.read()
    paragraphs = []
    for block in re.split(r"\n[ \t]*\n", text):
        fields, key = {}, None
        for line in block.splitlines():
            if line[:1] in (" ", "\t") and key:
                fields[key] += "\n" + line.strip()
            elif ":" in line:
                key, value = line.split(":", 1)
                key = key.strip().lower()
                fields[key] = value.strip()
        if "files" in fields:
            paragraphs.append(([dep5_pattern(p) for p in fields["files"].split()], fields))
    if not paragraphs:
        raise CorpusError(f"{path}: no 'Files:' paragraphs (not a DEP-5 copyright file?)")
    return paragraphs


def dep5_pattern(pattern):
    """DEP-5 glob to regex: '*' matches any run of characters including '/', '?' one character,
    a backslash escapes '*', '?' or itself; patterns are anchored at the source root."""
    out, i = [], 0
    while i < len(pattern):
        c = pattern[i]
        if c == "\\" and i + 1 < len(pattern):
            out.append(re.escape(pattern[i + 1]))
            i += 2
            continue
        out.append(".*" if c == "*" else "." if c == "?" else re.escape(c))
        i += 1
    return re.compile("".join(out) + r"\Z")


def licence_for(paragraphs, source_path):
    """The paragraph governing `source_path`: the last one with a matching Files pattern."""
    match = None
    for patterns, fields in paragraphs:
        if any(p.match(source_path) for p in patterns):
            match = fields
    if match is None:
        raise CorpusError(f"no copyright paragraph covers {source_path}")
    return match


URL = re.compile(r"https?://[^\s,;)]+")


def provenance(fields):
    """(licence short name, copyright holders, URLs) from a Files paragraph."""
    licence = fields.get("license", "").splitlines()[0].strip()
    holders = " ".join(line.strip() for line in fields.get("copyright", "").splitlines()
                       if line.strip() and not URL.fullmatch(line.strip()))
    urls = []
    for key in ("source", "comment", "copyright"):
        for url in URL.findall(fields.get(key, "")):
            if url not in urls:
                urls.append(url)
    return licence, holders, urls


# MARK: Captions

WORDS = {"ambi": "ambient", "bd": "bass drum", "sn": "snare drum", "guit": "guitar", "perc": "percussion",
         "elec": "electronic", "hi": "high", "lo": "low", "e": "E", "misc": ""}


def words_from_name(name):
    """'ambi_choir' -> 'ambient choir'; 'LRStartAndStopCarEngine1LACut' -> 'start and stop car engine'.

    Splits at underscores and lower-to-upper case changes, drops digits, the gcompris memory-sound
    prefix 'LR' and suffixes 'LA'/'cut' (the recordists' initials and an edit marker), and expands
    the sample-library abbreviations in WORDS."""
    if name.startswith("LR"):
        name = name[2:]
    parts = []
    for chunk in name.split("_"):
        parts += re.findall(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+", chunk)
    kept = []
    for part in parts:
        if part.isdigit() or part in ("LA", "Cut", "cut"):
            continue
        word = WORDS.get(part.lower(), part.lower())
        if word:
            kept.append(word)
    return " ".join(kept)


def sonic_pi_caption(name):
    words = words_from_name(name)
    if name.startswith("loop_"):
        return words[len("loop "):] + " loop"
    return words


def board_texts(files, rcc_prefix):
    """{audio base name: (title, text)} from the qsTr("...") titles/texts of a gcompris activity's
    board files, which pair each sound with what the game tells the child about it."""
    entry = re.compile(r'"title":\s*qsTr\("((?:[^"\\]|\\.)*)"\),\s*"text":\s*qsTr\("((?:[^"\\]|\\.)*)"\),\s*'
                       r'"audio":[^\n]*/([A-Za-z0-9_-]+)\.\$CA')
    found = {}
    for name in sorted(files):
        if name.startswith(rcc_prefix) and name.endswith(".qml"):
            for title, text, audio in entry.findall(files[name].decode("utf-8")):
                found[audio] = (title.replace('\\"', '"'), text.replace('\\"', '"').replace("\\'", "'"))
    return found


def instrument_names(files):
    """{audio base name: instrument} from instruments.js lines 'Find the clarinet' … 'clarinet.$CA'."""
    js = files["gcompris/src/activities/instruments/instruments.js"].decode("utf-8")
    pairs = re.findall(r'qsTr\("Find the ([^"]+)"\),\s*"audio":[^\n]*/([A-Za-z0-9_-]+)\.\$CA', js)
    return {audio: name for name, audio in pairs}


def first_sentence(text):
    m = re.match(r"(.+?[.!?])(\s|$)", text)
    return m.group(1) if m else text


# MARK: Records

def record(clip_id, path, captions, tags, licence, source, extra):
    """One manifest line in ManifestWriter's layout (json.dumps with ensure_ascii=False)."""
    fields = {"id": clip_id, "path": path}
    if captions:
        fields["captions"] = captions
    if tags:
        fields["tags"] = tags
    if licence:
        fields["licence"] = licence
    if source:
        fields["source"] = source
    line = json.dumps(fields, ensure_ascii=False)
    return line[:-1] + ", \"extra\": " + json.dumps(extra, ensure_ascii=False, sort_keys=True) + "}"


def package_version(work, package):
    path = os.path.join(work, package, ".version")
    try:
        with open(path, encoding="utf-8") as f:
            return f.read().strip()
    except OSError:
        raise CorpusError(f"{path} is missing: run Scripts/demo/fetch-demo-corpus.sh, which unpacks the packages")


def require(path):
    if not os.path.isfile(path):
        raise CorpusError(f"{path} is missing: the package did not unpack as expected (delete the folder and run again)")
    return path


def build(work, manifest):
    manifest_dir = os.path.dirname(os.path.abspath(manifest))
    rel = lambda p: os.path.relpath(os.path.abspath(p), manifest_dir)
    lines = []

    def add(clip_id, audio_path, captions, tags, package, version, package_path, fields, upstream_path):
        licence, holders, urls = provenance(fields)
        source = f"Debian {package} {version}: /{package_path}"
        if urls:
            source += " (" + " ".join(urls) + ")"
        with open(audio_path, "rb") as f:
            digest = hashlib.sha256(f.read()).hexdigest()
        extra = {"package": package, "version": version, "package_path": "/" + package_path,
                 "upstream_path": upstream_path, "copyright": holders, "sha256": digest}
        if urls:
            extra["urls"] = urls
        lines.append((clip_id, record(clip_id, rel(audio_path), captions, tags, licence, source, extra)))

    # sonic-pi-samples: FLAC files; the copyright file names them by their upstream path etc/samples/.
    version = package_version(work, SONIC_PI)
    root = os.path.join(work, SONIC_PI)
    paragraphs = read_dep5(require(os.path.join(root, "usr/share/doc", SONIC_PI, "copyright")))
    for name in SONIC_PI_SAMPLES:
        package_path = f"usr/share/sonic-pi/samples/{name}.flac"
        upstream = f"etc/samples/{name}.flac"
        add(f"sonic-pi/{name}", require(os.path.join(root, package_path)), [sonic_pi_caption(name)],
            [SONIC_PI, name.split("_")[0]], SONIC_PI, version, package_path, licence_for(paragraphs, upstream), upstream)
    log(f"{SONIC_PI} {version}: {len(SONIC_PI_SAMPLES)} clips")

    # alsa-utils: speaker-test's voice prompts ("Front Left", ...) and a noise burst.
    version = package_version(work, ALSA)
    root = os.path.join(work, ALSA)
    paragraphs = read_dep5(require(os.path.join(root, "usr/share/doc", ALSA, "copyright")))
    for name in ALSA_CLIPS:
        package_path = f"usr/share/sounds/alsa/{name}.wav"
        words = name.replace("_", " ").lower()
        captions = ["noise"] if name == "Noise" else [f"a voice saying \"{words}\""]
        tag = "noise" if name == "Noise" else "voice"
        # The upstream tree is not named in the copyright file; "*" covers these files.
        add(f"alsa/{name}", require(os.path.join(root, package_path)), captions, [ALSA, tag], ALSA, version,
            package_path, licence_for(paragraphs, f"speaker-test/samples/{name}.wav"), f"speaker-test/samples/{name}.wav")
    log(f"{ALSA} {version}: {len(ALSA_CLIPS)} clips")

    # One deliberate duplicate: a byte-identical copy of the noise burst under a second id, so the
    # demo shows that identical audio is embedded once and every id sharing it comes back in one hit.
    original = require(os.path.join(root, "usr/share/sounds/alsa/Noise.wav"))
    copy = os.path.join(work, "duplicates", "alsa-Noise-copy.wav")
    with open(original, "rb") as f:
        blob = f.read()
    if not (os.path.isfile(copy) and open(copy, "rb").read() == blob):
        os.makedirs(os.path.dirname(copy), exist_ok=True)
        with open(copy + ".tmp", "wb") as f:
            f.write(blob)
        os.replace(copy + ".tmp", copy)
    licence, holders, urls = provenance(licence_for(paragraphs, "speaker-test/samples/Noise.wav"))
    extra = {"duplicate_of": "alsa/Noise", "package": ALSA, "version": version,
             "package_path": "/usr/share/sounds/alsa/Noise.wav", "upstream_path": "speaker-test/samples/Noise.wav",
             "copyright": holders, "sha256": hashlib.sha256(blob).hexdigest()}
    lines.append((DUPLICATE_ID, record(DUPLICATE_ID, rel(copy), ["noise"], [ALSA, "noise", "duplicate"], licence,
                                       f"a byte-identical copy of alsa/Noise made by Scripts/demo/demo_corpus.py "
                                       f"(Debian {ALSA} {version}: /usr/share/sounds/alsa/Noise.wav)", extra)))
    log(f"duplicates: {DUPLICATE_ID} is a byte copy of alsa/Noise")

    # gcompris-qt-data: clips live inside Qt .rcc archives; extract the chosen ones.
    version = package_version(work, GCOMPRIS)
    root = os.path.join(work, GCOMPRIS)
    paragraphs = read_dep5(require(os.path.join(root, "usr/share/doc", GCOMPRIS, "copyright")))
    extracted = os.path.join(root, "rcc-audio")
    count = 0
    for activity, names in GCOMPRIS_CLIPS:
        rcc_path = f"usr/share/gcompris-qt/rcc/{activity}.rcc"
        files = read_rcc(require(os.path.join(root, rcc_path)))
        prefix = f"gcompris/src/activities/{activity}/"
        by_base = {os.path.splitext(os.path.basename(n))[0]: n for n in files
                   if n.startswith(prefix) and n.endswith((".ogg", ".wav"))}
        boards = board_texts(files, prefix) if activity.startswith("explore_") else {}
        instruments = instrument_names(files) if activity == "instruments" else {}
        for name in names:
            if name not in by_base:
                raise CorpusError(f"{rcc_path}: has no {name}.ogg/.wav (a different {GCOMPRIS} version?)")
            inner = by_base[name]
            out = os.path.join(extracted, activity, os.path.basename(inner))
            blob = files[inner]
            if not (os.path.isfile(out) and open(out, "rb").read() == blob):
                os.makedirs(os.path.dirname(out), exist_ok=True)
                with open(out + ".tmp", "wb") as f:
                    f.write(blob)
                os.replace(out + ".tmp", out)
            if activity == "explore_farm_animals":
                title, text = boards[name]
                captions = [first_sentence(text), text]
                tag = "animal"
            elif activity == "explore_world_music":
                title, text = boards[name]
                captions = [title if "music" in title.lower() else f"music from {title}", text]
                tag = "music"
            elif activity == "instruments":
                captions = [f"the sound of the {instruments[name]}"]
                tag = "instrument"
            else:
                captions = [words_from_name(name)]
                tag = "sound effect"
            upstream = inner[len("gcompris/"):]
            add(f"gcompris/{activity}/{name}", out, captions, [GCOMPRIS, tag], GCOMPRIS, version,
                f"{rcc_path}:{inner}", licence_for(paragraphs, upstream), upstream)
            count += 1
    log(f"{GCOMPRIS} {version}: {count} clips extracted from .rcc archives")

    lines.sort(key=lambda pair: pair[0])
    return lines


def write_or_check(lines, manifest, update):
    """Writes the manifest when it is absent or `update` is set; otherwise checks that the fetched
    corpus gives exactly the committed manifest (same clips, captions, licences and audio hashes)."""
    text = "".join(line + "\n" for _, line in lines)
    if os.path.exists(manifest) and not update:
        with open(manifest, encoding="utf-8") as f:
            committed = f.read()
        if committed == text:
            log(f"{manifest} matches the fetched corpus: {len(lines)} clips")
            return
        old = {}
        for line in committed.splitlines():
            try:
                old[json.loads(line)["id"]] = line
            except (ValueError, KeyError, TypeError):
                pass
        new = dict(lines)
        changed = sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k))
        raise CorpusError(f"the fetched corpus does not match {manifest}: {len(changed)} clip(s) differ, e.g. "
                          + ", ".join(changed[:5]) + " (a changed or damaged file under the work folder? delete "
                          "that package's folder there and run again; if the change is intended, run with --update-manifest)")
    os.makedirs(os.path.dirname(os.path.abspath(manifest)), exist_ok=True)
    tmp = manifest + ".tmp"
    with open(tmp, "w", encoding="utf-8", newline="\n") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, manifest)
    log(f"wrote {manifest}: {len(lines)} clips")


def self_test():
    """Checks the name and licence rules on small made-up inputs (run with --self-test)."""
    assert words_from_name("ambi_choir") == "ambient choir"
    assert words_from_name("drum_cymbal_open") == "drum cymbal open"
    assert words_from_name("guit_e_fifths") == "guitar E fifths"
    assert words_from_name("perc_snap2") == "percussion snap"
    assert words_from_name("LRStartAndStopCarEngine1LACut") == "start and stop car engine"
    assert words_from_name("LRFrogsInPondDuringStormLACut") == "frogs in pond during storm"
    assert words_from_name("LRTrain_slowing_down_01_LA_cut") == "train slowing down"
    assert sonic_pi_caption("loop_amen") == "amen loop"
    assert first_sentence("The cow goes 'moo'. Cows see 330°.") == "The cow goes 'moo'."
    assert dep5_pattern("src/*.ogg").match("src/a/b.ogg") and not dep5_pattern("src/*.ogg").match("src/a.oggx")
    assert dep5_pattern("a?c").match("abc") and not dep5_pattern("a\\?c").match("abc")
    import tempfile
    with tempfile.NamedTemporaryFile("w", suffix=".copyright", delete=False) as f:
        f.write("Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n\n"
                "Files: *\nCopyright: Someone\nLicense: GPL-3+\n\n"
                "Files: sounds/*_LA.ogg\n sounds/x.wav\nCopyright: LA\n http://example.org/1\nLicense: free-art\n\n"
                "Files: sounds/special_LA.ogg\nCopyright: Other\nLicense: CC0-1.0\nComment: https://freesound.org/s/2/\n\n"
                "License: GPL-3+\n Full text.\n")
    try:
        paragraphs = read_dep5(f.name)
    finally:
        os.unlink(f.name)
    assert provenance(licence_for(paragraphs, "sounds/a_LA.ogg")) == ("free-art", "LA", ["http://example.org/1"])
    assert provenance(licence_for(paragraphs, "sounds/x.wav"))[0] == "free-art"
    assert provenance(licence_for(paragraphs, "sounds/special_LA.ogg")) == ("CC0-1.0", "Other", ["https://freesound.org/s/2/"])
    assert provenance(licence_for(paragraphs, "sounds/aLACut.ogg"))[0] == "GPL-3+"
    line = record("a", "p.wav", ["x \"q\""], [], "CC0", None, {"b": 1, "a": "é"})
    assert line == '{"id": "a", "path": "p.wav", "captions": ["x \\"q\\""], "licence": "CC0", "extra": {"a": "é", "b": 1}}', line
    log("self-test passed")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--work", help="folder holding the unpacked packages")
    parser.add_argument("--manifest", help="JSON Lines manifest to write")
    parser.add_argument("--update", action="store_true", help="rewrite the manifest even if it exists and differs")
    parser.add_argument("--self-test", action="store_true", help="check the naming and licence rules, then exit")
    args = parser.parse_args()
    if args.self_test:
        self_test()
        return 0
    if not args.work or not args.manifest:
        parser.error("--work and --manifest are required")
    try:
        write_or_check(build(args.work, args.manifest), args.manifest, args.update)
    except CorpusError as e:
        print(f"demo-corpus: error: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
