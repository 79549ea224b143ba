#!/usr/bin/env python3
"""CLAP text tower: audio-index (Swift) vs PyTorch transformers, full-size roberta-base shapes, same run, 1 thread.

Writes (once; reused while it exists) a random-weight CLAP text tower at roberta-base size as a Hugging Face
folder: config.json (ClapConfig, text layer_norm_eps 1e-5), model.safetensors (text_model.* + text_projection.*,
from ClapTextModelWithProjection(seed 0)) and the pseudo-RoBERTa tokenizer files of Tests/Fixtures/tokenizer/
gpt2-roberta. Then in one invocation:

  Swift      `audio-index bench text --model DIR --format json`: load (warm page cache; then a second
             invocation with --cold), one 10-token query, --queries queries batched (dense layers of many
             queries as one sgemm) and one call per query, and the floors (weight bytes / bandwidth,
             FLOPs / sgemm rate) measured in that run; with --threads 2 also 2 workers
  PyTorch    ClapTextModelWithProjection + F.normalize (what ClapModel.get_text_features computes), in
             torch.inference_mode(), torch.set_num_threads(1), on the same ids:
               one query padded to 77 (laion_clap's tokenizer call), padded to 64 (AudioBERT's), unpadded (10)
               --py-queries queries in batches of --py-batch, padded to 77, to 64, and unpadded
             with --threads 2, the batches again at 2 threads (--py-queries-threads of them)
and prints the ratios, with CPU time / wall time (utilisation) of each throughput case. Both sides take the median of --runs after a warm-up for the single query.
The embeddings of the single query are compared (max |d| must be <= 1e-4).

Usage (from the package root, after `swift build -c release`):
    /work/refenv/bin/python Scripts/bench/bench_text.py [--runs 7] [--queries 1000] [--py-queries 1000]
"""
import os

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse
import json
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from timing import median_seconds

ROOT = Path(__file__).resolve().parents[2]
# transformers imports torchvision, whose PyPI build cannot load its native ops with torch+cpu: the same shim
# as the fixture generators (Scripts/reference/README.md, "Shims the generator applies").
sys.path.insert(0, str(ROOT / "Scripts/reference"))
from make_frontend_fixtures import _install_environment_shims  # noqa: E402

_install_environment_shims()
import transformers  # noqa: E402
from safetensors.torch import save_file  # noqa: E402
from transformers import ClapConfig, ClapTextConfig, ClapTextModelWithProjection  # noqa: E402
ROBERTA_BASE = dict(vocab_size=50265, hidden_size=768, num_hidden_layers=12, num_attention_heads=12,
                    intermediate_size=3072, max_position_embeddings=514, type_vocab_size=1, layer_norm_eps=1e-5,
                    pad_token_id=1, bos_token_id=0, eos_token_id=2, projection_dim=512)


def write_model(folder: Path) -> None:
    torch.manual_seed(0)
    model = ClapTextModelWithProjection(ClapTextConfig(**ROBERTA_BASE)).eval()
    folder.mkdir(parents=True, exist_ok=True)
    state = {k: v.contiguous() for k, v in model.state_dict().items()}
    save_file(state, str(folder / "model.safetensors"))
    ClapConfig(text_config=ROBERTA_BASE, projection_dim=512).to_json_file(str(folder / "config.json"))
    for name in ("vocab.json", "merges.txt", "tokenizer_config.json"):
        shutil.copyfile(ROOT / "Tests/Fixtures/tokenizer/gpt2-roberta" / name, folder / name)


def query(q: int, tokens: int, vocab: int) -> list[int]:
    """The Swift bench's ids (BenchText.run): <s>, distinct ordinary ids, </s>."""
    return [0] + [4 + (q * 7919 + j * 104729) % (vocab - 8) for j in range(tokens - 2)] + [2]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", default=str(ROOT / ".build/release/audio-index"))
    parser.add_argument("--workdir", default="/tmp/audio-index-bench-text")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--tokens", type=int, default=10)
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--py-queries", type=int, default=1000)
    parser.add_argument("--py-batch", type=int, default=100)
    parser.add_argument("--threads", type=int, default=1, help="also run the throughput cases on this many threads")
    parser.add_argument("--py-queries-threads", type=int, default=300)
    args = parser.parse_args()
    torch.set_num_threads(1)
    folder = Path(args.workdir) / "model"
    if not (folder / "model.safetensors").exists():
        print(f"writing the random roberta-base CLAP text tower to {folder}", file=sys.stderr)
        write_model(folder)

    def swift_bench(queries, *extra):
        out = subprocess.run([args.binary, "bench", "text", "--model", str(folder), "--runs", str(args.runs),
                              "--tokens", str(args.tokens), "--queries", str(queries), "--format", "json", *extra],
                             check=True, capture_output=True, text=True)
        sys.stderr.write(out.stderr)
        return {row["case"]: row for row in map(json.loads, out.stdout.splitlines())}

    # The machine is shared: the Swift single-query case runs before and after the PyTorch cases, and both
    # are printed, so a load change during the run shows instead of biasing the ratio.
    load_before = os.getloadavg()
    swift = swift_bench(args.queries)
    swift_cold = swift_bench(10, "--cold", "--batch-runs", "1")

    start = time.perf_counter()
    model = ClapTextModelWithProjection.from_pretrained(str(folder)).eval()
    py_load = time.perf_counter() - start
    vocab = ROBERTA_BASE["vocab_size"]

    def batch(ids_rows, length):
        n = len(ids_rows)
        ids = torch.ones((n, length), dtype=torch.long)
        mask = torch.zeros((n, length), dtype=torch.long)
        for r, row in enumerate(ids_rows):
            ids[r, :len(row)] = torch.tensor(row)
            mask[r, :len(row)] = 1
        return ids, mask

    def embed(ids, mask):
        with torch.inference_mode():
            return F.normalize(model(input_ids=ids, attention_mask=mask).text_embeds, dim=-1)

    one = [query(0, args.tokens, vocab)]
    rows = []
    for label, length in (("padded to 77 (laion_clap)", 77), ("padded to 64 (AudioBERT)", 64), ("unpadded", args.tokens)):
        ids, mask = batch(one, length)
        rows.append((label, median_seconds(args.runs, lambda: embed(ids, mask)), embed(ids, mask)))

    swift_emb_file = Path(args.workdir) / "swift_single.npy"
    subprocess.run([args.binary, "embed", "--model", str(folder), "--text", "a dog barking", "--out", str(swift_emb_file)],
                   check=True, capture_output=True)
    tok = transformers.RobertaTokenizer(str(folder / "vocab.json"), str(folder / "merges.txt"))
    enc = tok(["a dog barking"], padding="max_length", truncation=True, max_length=77, return_tensors="pt")
    diff = float(np.abs(embed(enc["input_ids"], enc["attention_mask"]).numpy() - np.load(swift_emb_file)).max())

    def cpu():
        r = resource.getrusage(resource.RUSAGE_SELF)
        return r.ru_utime + r.ru_stime

    def throughput(count):
        many = [query(q, args.tokens, vocab) for q in range(count)]
        out = []
        for label, length in (("padded to 77", 77), ("padded to 64", 64), ("unpadded", args.tokens)):
            chunks = [batch(many[i:i + args.py_batch], length) for i in range(0, len(many), args.py_batch)]
            embed(*chunks[0])
            start, start_cpu = time.perf_counter(), cpu()
            for ids, mask in chunks:
                embed(ids, mask)
            wall = time.perf_counter() - start
            out.append((label, count / wall, (cpu() - start_cpu) / wall))
        return out

    batches = throughput(args.py_queries)
    threaded = None
    if args.threads > 1:
        swift_threaded = swift_bench(args.queries, "--threads", str(args.threads))
        torch.set_num_threads(args.threads)
        threaded = throughput(args.py_queries_threads)
        torch.set_num_threads(1)

    after = swift_bench(1)
    s, f = swift["single"], swift["floor"]
    print(f"torch {torch.__version__}, transformers {transformers.__version__}; roberta-base CLAP text tower "
          f"(random), 1 thread; single query of {args.tokens} tokens, median of {args.runs} runs after a warm-up")
    print(f"load average (1, 5, 15 min) at the start {load_before}, at the end {os.getloadavg()}; {os.cpu_count()} CPUs")
    print(f"Swift vs PyTorch embedding of \"a dog barking\" (77, laion eps 1e-5): max |d| = {diff:.2e}")
    print(f"floor: weights {f['weight_bytes'] / 1e6:.1f} MB / {f['bandwidth_gb_per_s']:.1f} GB/s = {f['bandwidth_s'] * 1e3:.2f} ms; "
          f"{f['flops'] / 1e9:.2f} GFLOP / {f['sgemm_flops_per_s'] / 1e9:.1f} GFLOP/s = {f['compute_s'] * 1e3:.2f} ms; "
          f"floor {f['floor_s'] * 1e3:.2f} ms")
    a, fa = after["single"], after["floor"]
    print(f"floor after: {fa['bandwidth_s'] * 1e3:.2f} ms bandwidth, {fa['compute_s'] * 1e3:.2f} ms compute")
    print(f"{'single query':<36}{'PyTorch ms':>11}{'Swift ms before/after':>23}{'speed-up':>16}")
    for label, seconds, _ in rows:
        print(f"{label:<36}{seconds * 1e3:>11.2f}{s['median_s'] * 1e3:>12.2f} /{a['median_s'] * 1e3:>8.2f}"
              f"{seconds / s['median_s']:>8.2f}x /{seconds / a['median_s']:>5.2f}x")
    print(f"{'Swift / floor (same Swift run)':<36}{'':>11}{'':>23}{s['floor_ratio']:>8.2f}x /{a['floor_ratio']:>5.2f}x")
    b, one = swift["batch"], swift["one_by_one"]
    print(f"{'throughput, 1 thread (queries/s)':<44}{'PyTorch':>12}{'CPU':>6}{'Swift batched':>15}{'CPU':>6}{'speed-up':>10}")
    for label, qps, util in batches:
        print(f"{label + f' ({args.py_queries} in batches of {args.py_batch})':<44}{qps:>12.1f}{util:>6.2f}"
              f"{b['queries_per_s']:>15.1f}{b['cpu_utilisation']:>6.2f}{b['queries_per_s'] / qps:>9.2f}x")
    print(f"Swift: {args.queries} queries batched {b['queries_per_s']:.1f} q/s; {one['queries']} queries one call each "
          f"{one['queries_per_s']:.1f} q/s")
    if threaded:
        t = swift_threaded["batch"]
        print(f"{f'throughput, {args.threads} threads (queries/s)':<44}{'PyTorch':>12}{'CPU':>6}{'Swift batched':>15}{'CPU':>6}{'speed-up':>10}")
        for label, qps, util in threaded:
            print(f"{label + f' ({args.py_queries_threads} in batches of {args.py_batch})':<44}{qps:>12.1f}{util:>6.2f}"
                  f"{t['queries_per_s']:>15.1f}{t['cpu_utilisation']:>6.2f}{t['queries_per_s'] / qps:>9.2f}x")
    w, cl = swift["load"], swift_cold["load"]
    print(f"model load: PyTorch from_pretrained {py_load * 1e3:.0f} ms (once, warm); Swift median of {args.runs}: "
          f"warm {w['median_s'] * 1e3:.1f} ms (tokenizer alone {w['tokenizer_s'] * 1e3:.1f} ms; baseline: reading the "
          f"{w['file_bytes'] / 1e6:.0f} MB file's cached pages {w['page_read_s'] * 1e3:.1f} ms), "
          f"cold {cl['median_s'] * 1e3:.1f} ms (baseline: reading the file from disk {cl['page_read_s'] * 1e3:.1f} ms; "
          f"first query after the cold load {cl['first_query_s'] * 1e3:.1f} ms)")


if __name__ == "__main__":
    main()
