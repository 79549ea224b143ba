#!/usr/bin/env python3
"""Tokenizer throughput: audio-index (Swift) vs Hugging Face tokenizers, same texts, same run, one thread.

Runs `audio-index bench tokenizer --model DIR --input FILE --format json`, then times on the same texts:
  tokenizers    Tokenizer.from_file(DIR/tokenizer.json) with truncation 77 and padding to 77 (pad id 1):
                encode_batch(texts) (Rust, RAYON_NUM_THREADS=1) and a Python loop of encode(text)
  transformers  RobertaTokenizer(DIR/vocab.json, DIR/merges.txt)(texts, padding="max_length", truncation=True,
                max_length=77), the call laion_clap makes (hook.py:65-72)
and prints texts/s, real tokens/s and the ratio Swift / reference. Both sides are warm (one untimed run first;
both keep a per-word cache). The sum of all ids is compared, so the two sides must produce the same ids.

Usage (from the package root, after `swift build -c release`):
    /work/refenv/bin/python Scripts/bench/bench_tokenizer.py [--runs 7] [--recipe clap-query]
"""
import os

os.environ.setdefault("RAYON_NUM_THREADS", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from timing import median_seconds

import tokenizers
import transformers
from tokenizers import Tokenizer
from transformers import RobertaTokenizer

ROOT = Path(__file__).resolve().parents[2]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", default=str(ROOT / ".build/release/audio-index"))
    parser.add_argument("--model", default=str(ROOT / "Tests/Fixtures/tokenizer/gpt2-roberta"))
    parser.add_argument("--input", default=str(ROOT / "Tests/Fixtures/tokenizer/cases.jsonl"))
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--recipe", help="only the texts of this recipe of cases.jsonl (e.g. clap-query)")
    args = parser.parse_args()
    n = 77
    if args.recipe:
        rows = [json.loads(line) for line in open(args.input, encoding="utf-8")]
        rows = [r for r in rows if r.get("recipe") == args.recipe]
        if not rows:
            sys.exit(f"no texts of recipe {args.recipe} in {args.input}")
        subset = tempfile.NamedTemporaryFile("w", suffix=".jsonl", encoding="utf-8", delete=False)
        with subset:
            for r in rows:
                subset.write(json.dumps({"text": r["text"]}, ensure_ascii=False) + "\n")
        args.input = subset.name

    out = subprocess.run([args.binary, "bench", "tokenizer", "--model", args.model, "--input", args.input,
                          "--runs", str(args.runs), "--max-length", str(n), "--format", "json"],
                         check=True, capture_output=True, text=True)
    sys.stderr.write(out.stderr)
    swift = {row["case"]: row for row in map(json.loads, out.stdout.splitlines())}

    texts = [json.loads(line)["text"] for line in open(args.input, encoding="utf-8")]
    folder = Path(args.model)

    fast = Tokenizer.from_file(str(folder / "tokenizer.json"))
    fast.enable_truncation(n)
    fast.enable_padding(length=n, pad_id=1, pad_token="<pad>")
    encodings = fast.encode_batch(texts)
    tokens = sum(sum(e.attention_mask) for e in encodings)
    ids_sum = sum(sum(e.ids) for e in encodings)
    if ids_sum != swift["encode"]["ids_sum"] or tokens != swift["encode"]["tokens"]:
        sys.exit(f"the two sides differ: ids_sum {ids_sum} vs {swift['encode']['ids_sum']}, "
                 f"tokens {tokens} vs {swift['encode']['tokens']}")

    rows = [("tokenizers encode_batch (Rust loop)", median_seconds(args.runs, lambda: fast.encode_batch(texts))),
            ("tokenizers encode per text (Python loop)",
             median_seconds(args.runs, lambda: [fast.encode(t) for t in texts]))]
    laion = RobertaTokenizer(str(folder / "vocab.json"), str(folder / "merges.txt"))
    rows.append(("transformers RobertaTokenizer(texts, ...) (laion_clap's call)",
                 median_seconds(args.runs, lambda: laion(texts, padding="max_length", truncation=True, max_length=n))))
    load = median_seconds(args.runs, lambda: Tokenizer.from_file(str(folder / "tokenizer.json")))

    s = swift["encode"]
    print(f"tokenizers {tokenizers.__version__}, transformers {transformers.__version__}; {len(texts)} texts"
          f"{' (recipe ' + args.recipe + ')' if args.recipe else ''}, "
          f"{tokens} real tokens (max {n}, padded); median of {args.runs} runs after a warm-up; 1 thread")
    print(f"{'reference':<64}{'ref tokens/s':>14}{'Swift tokens/s':>16}{'Swift/ref':>11}")
    for name, seconds in rows:
        print(f"{name:<64}{tokens / seconds:>14,.0f}{s['tokens_per_s']:>16,.0f}{s['tokens_per_s'] * seconds / tokens:>10.2f}x")
    print(f"{'load tokenizer.json: tokenizers ' + format(load * 1e3, '.0f') + ' ms, Swift ' + format(swift['load']['median_s'] * 1e3, '.0f') + ' ms':<64}"
          f"{'':>14}{'':>16}{load / swift['load']['median_s']:>10.2f}x")


if __name__ == "__main__":
    main()
