"""Vector search benchmark: audio-index vs faiss-cpu on the same data in the same run, one thread.

Generates clustered 512-d unit vectors (the generator of ../shared/reference/vector-index-anchors.md §0:
64 super directions, 2,000 centres, lognormal cluster sizes, rank-32 per-cluster noise plus isotropic
noise and a shared cone direction, so IVF recall is not trivial), holds out the last --queries vectors
as queries, runs `audio-index bench vectors` on the files, then the same measurements in faiss, and
prints both side by side with ratios (audio-index ÷ faiss for rates, faiss ÷ audio-index for times,
so > 1 always means audio-index is faster).

Usage (from the package root, after `swift build -c release --product audio-index`):

    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 python Scripts/bench/bench_vectors.py --n 100000 [--runs 5] [--cold]

Needs numpy and faiss-cpu (pip install faiss-cpu).
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from timing import median_seconds  # noqa: E402  (the same rule as the Swift side's BenchTiming)


def generate(n_total, d, seed):
    """Anchors §0 generator. Returns float32 (n_total, d) unit rows."""
    rng = np.random.default_rng(seed)
    n_super, n_centres, rank = 64, 2000, 32

    def unit(x):
        return x / np.linalg.norm(x, axis=-1, keepdims=True)

    supers = unit(rng.standard_normal((n_super, d)))
    centres = unit(supers[rng.integers(0, n_super, n_centres)] + 0.5 * unit(rng.standard_normal((n_centres, d))))
    cone = unit(rng.standard_normal(d))
    weights = rng.lognormal(0.0, 0.7, n_centres)
    labels = rng.choice(n_centres, size=n_total, p=weights / weights.sum())
    out = np.empty((n_total, d), dtype=np.float32)
    order = np.argsort(labels, kind="stable")
    bounds = np.searchsorted(labels[order], np.arange(n_centres + 1))
    for c in range(n_centres):
        rows = order[bounds[c]:bounds[c + 1]]
        if len(rows) == 0:
            continue
        basis = rng.standard_normal((rank, d))
        low = unit(rng.standard_normal((len(rows), rank)) @ basis) * 1.5
        iso = unit(rng.standard_normal((len(rows), d))) * 0.5
        s = rng.uniform(0.7, 1.3, (len(rows), 1))
        out[rows] = unit(0.35 * cone + centres[c] + s * (low + iso)).astype(np.float32)
    return out


def median_per_call(runs, calls):
    """Median wall time of single calls over `runs` passes (one untimed warm-up call)."""
    calls[0]()
    times = []
    for _ in range(runs):
        for fn in calls:
            t = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t)
    return statistics.median(times)


def recall(found, truth, k):
    return float(np.mean([len(set(a[:k]) & set(b[:k])) / k for a, b in zip(found, truth)]))


def faiss_bench(base, q, args, work):
    import faiss
    faiss.omp_set_num_threads(args.threads)
    d, nq, k = base.shape[1], len(q), args.k
    out = {}
    flat = faiss.IndexFlatIP(d)
    flat.add(base)
    out["flat_single_ms"] = 1e3 * median_per_call(args.runs, [lambda i=i: flat.search(q[i:i + 1], k) for i in range(min(args.singles, nq))])
    chunks = [q[i:i + 32] for i in range(0, nq, 32)]
    out["flat_batch32_qps"] = nq / median_seconds(args.runs, lambda: [flat.search(c, k) for c in chunks])
    out["flat_batch_all_qps"] = nq / median_seconds(args.runs, lambda: flat.search(q, k))
    _, truth = flat.search(q, k)
    flat_path = os.path.join(work, "faiss_flat.index")
    faiss.write_index(flat, flat_path)
    out["flat_read_ms"] = 1e3 * median_seconds(args.runs, lambda: faiss.read_index(flat_path))
    del flat

    quantizer = faiss.IndexFlatIP(d)
    ivf = faiss.IndexIVFFlat(quantizer, d, args.nlist, faiss.METRIC_INNER_PRODUCT)
    ivf.cp.niter = 10
    ivf.cp.max_points_per_centroid = 256
    ivf.cp.seed = args.seed
    t = time.perf_counter()
    ivf.train(base)
    out["kmeans_train_s"] = time.perf_counter() - t
    t = time.perf_counter()
    ivf.add(base)
    out["ivf_add_s"] = time.perf_counter() - t
    sizes = np.array([ivf.invlists.list_size(i) for i in range(args.nlist)])
    out["ivf_imbalance"] = float(args.nlist * (sizes.astype(np.float64) ** 2).sum() / sizes.sum() ** 2)
    for p in args.probes:
        ivf.nprobe = p
        _, found = ivf.search(q, k)
        out[f"ivf_{p}"] = {
            "recall": recall(found, truth, k),
            "single_qps": nq / median_seconds(args.runs, lambda: [ivf.search(q[i:i + 1], k) for i in range(nq)]),
            "batch_qps": nq / median_seconds(args.runs, lambda: ivf.search(q, k)),
        }
    ivf_path = os.path.join(work, "faiss_ivf.index")
    faiss.write_index(ivf, ivf_path)
    del ivf
    out["ivf_read_ms"] = 1e3 * median_seconds(args.runs, lambda: faiss.read_index(ivf_path))
    out["ivf_read_mmap_ms"] = 1e3 * median_seconds(args.runs, lambda: faiss.read_index(ivf_path, faiss.IO_FLAG_MMAP))
    mm = faiss.read_index(ivf_path, faiss.IO_FLAG_MMAP)
    mm.nprobe = 16
    _, found = mm.search(q, k)
    out["ivf_mmap_16"] = {
        "recall": recall(found, truth, k),
        "single_qps": nq / median_seconds(args.runs, lambda: [mm.search(q[i:i + 1], k) for i in range(nq)]),
        "batch_qps": nq / median_seconds(args.runs, lambda: mm.search(q, k)),
    }
    if args.compressed:
        sq = faiss.IndexIVFScalarQuantizer(faiss.IndexFlatIP(d), d, args.nlist, faiss.ScalarQuantizer.QT_8bit, faiss.METRIC_INNER_PRODUCT)
        sq.cp.niter = 10
        sq.cp.max_points_per_centroid = 256
        sq.cp.seed = args.seed
        sq.train(base)
        sq.add(base)
        for p in args.probes:
            sq.nprobe = p
            _, found = sq.search(q, k)
            out[f"ivf_sq8_{p}"] = {"recall": recall(found, truth, k),
                                   "single_qps": nq / median_seconds(args.runs, lambda: [sq.search(q[i:i + 1], k) for i in range(nq)])}
    out["faiss_version"] = faiss.__version__
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--d", type=int, default=512)
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--nlist", type=int, default=1024)
    parser.add_argument("--nprobe", default="1,4,8,16,32")
    parser.add_argument("-k", type=int, default=10)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--singles", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--binary", default=".build/release/audio-index")
    parser.add_argument("--work", help="folder for data and indexes (default: a temporary one)")
    parser.add_argument("--cold", action="store_true", help="also time the first flat query from a cold page cache")
    parser.add_argument("--json", help="also write all figures here")
    parser.add_argument("--threads", type=int, default=1, help="threads on both sides (OpenBLAS / OpenMP)")
    parser.add_argument("--compressed", action="store_true", help="also float16 flat and IVF-SQ8 (ours; faiss IVF-SQ8 beside it)")
    args = parser.parse_args()
    args.probes = [int(p) for p in args.nprobe.split(",")]
    work_ctx = tempfile.TemporaryDirectory(prefix="bench-vectors-") if args.work is None else None
    work = args.work or work_ctx.name
    os.makedirs(work, exist_ok=True)

    load0 = os.getloadavg()
    t = time.perf_counter()
    data = generate(args.n + args.queries, args.d, args.seed)
    base, q = np.ascontiguousarray(data[:args.n]), np.ascontiguousarray(data[args.n:])
    np.save(os.path.join(work, "base.npy"), base)
    np.save(os.path.join(work, "queries.npy"), q)
    print(f"data: {args.n} x {args.d} base + {args.queries} held-out queries, generated in {time.perf_counter() - t:.1f} s", file=sys.stderr)

    env = dict(os.environ, OPENBLAS_NUM_THREADS=str(args.threads), OMP_NUM_THREADS=str(args.threads))
    cmd = [args.binary, "bench", "vectors", "--base", os.path.join(work, "base.npy"), "--queries", os.path.join(work, "queries.npy"),
           "--nlist", str(args.nlist), "--nprobe", args.nprobe, "-k", str(args.k), "--runs", str(args.runs),
           "--singles", str(args.singles), "--seed", str(args.seed), "--work", os.path.join(work, "swift"), "--threads", str(args.threads)]
    if args.cold:
        cmd.append("--cold")
    if args.compressed:
        cmd.append("--compressed")
    print("$ " + " ".join(cmd), file=sys.stderr)
    swift_cpu0 = os.times()
    lines = subprocess.run(cmd, check=True, stdout=subprocess.PIPE, text=True, env=env).stdout.splitlines()
    swift_cpu1 = os.times()
    with open(os.path.join(work, "audio_index.jsonl"), "w") as f:
        f.write("\n".join(lines) + "\n")
    ours = {}
    for line in lines:
        rec = json.loads(line)
        key = rec.pop("what")
        if key == "ivf_search":
            key = f"ivf_{int(rec['nprobe'])}"
        if key == "ivf_sq8_search":
            key = f"ivf_sq8_{int(rec['nprobe'])}"
        ours[key] = rec
    swift_wall = swift_cpu1.elapsed - swift_cpu0.elapsed
    swift_cpu = (swift_cpu1.children_user + swift_cpu1.children_system) - (swift_cpu0.children_user + swift_cpu0.children_system)
    t0 = time.perf_counter(); c0 = time.process_time()
    theirs = faiss_bench(base, q, args, work)
    faiss_wall, faiss_cpu = time.perf_counter() - t0, time.process_time() - c0

    rows = []

    def row(name, a, b, unit, faster_is_larger):
        ratio = (a / b if faster_is_larger else b / a) if a and b else float("nan")
        rows.append((name, a, b, unit, ratio))

    row("flat open / read_index (ms)", ours["flat_open"]["ms"], theirs["flat_read_ms"], "ms", False)
    row("flat single query (ms)", ours["flat_single"]["ms"], theirs["flat_single_ms"], "ms", False)
    row(f"flat batch of 32 (q/s)", ours["flat_batch32"]["qps"], theirs["flat_batch32_qps"], "q/s", True)
    row(f"flat batch of {args.queries} (q/s)", ours["flat_batch_all"]["qps"], theirs["flat_batch_all_qps"], "q/s", True)
    row(f"k-means nlist {args.nlist}, 10 it. (s)", ours["kmeans_train"]["seconds"], theirs["kmeans_train_s"], "s", False)
    row("IVF open / read_index (ms)", ours["ivf_open"]["ms"], theirs["ivf_read_ms"], "ms", False)
    row("IVF open / read_index IO_FLAG_MMAP (ms)", ours["ivf_open"]["ms"], theirs["ivf_read_mmap_ms"], "ms", False)
    for p in args.probes:
        o, f = ours[f"ivf_{p}"], theirs[f"ivf_{p}"]
        rows.append((f"IVF nprobe {p} recall@10", o["recall_at_10"], f["recall"], "", o["recall_at_10"] - f["recall"]))
        row(f"IVF nprobe {p} single-query loop (q/s)", o["single_qps"], f["single_qps"], "q/s", True)
        row(f"IVF nprobe {p} batch (q/s)", o["batch_qps"], f["batch_qps"], "q/s", True)
    if args.compressed:
        f16 = ours["flat16_single"]
        row("flat float16 single query vs faiss float32 flat (ms)", f16["ms"], theirs["flat_single_ms"], "ms", False)
        for p in args.probes:
            o, f = ours[f"ivf_sq8_{p}"], theirs[f"ivf_sq8_{p}"]
            rows.append((f"IVF-SQ8 nprobe {p} recall@10 (ours re-ranked; faiss SQ8 scores)", o["recall_at_10"], f["recall"], "", o["recall_at_10"] - f["recall"]))
            row(f"IVF-SQ8 nprobe {p} single-query loop (q/s)", o["single_qps"], f["single_qps"], "q/s", True)
    if 16 in args.probes:
        o, f = ours["ivf_16"], theirs["ivf_mmap_16"]
        row("IVF nprobe 16 single loop vs faiss IO_FLAG_MMAP (q/s)", o["single_qps"], f["single_qps"], "q/s", True)
        row("IVF nprobe 16 batch vs faiss IO_FLAG_MMAP (q/s)", o["batch_qps"], f["batch_qps"], "q/s", True)

    print(f"N = {args.n}, d = {args.d}, {args.queries} held-out queries, k = {args.k}, {args.threads} thread(s), medians of {args.runs}; faiss {theirs['faiss_version']}")
    print(f"| measurement | audio-index | faiss | ratio (>1: audio-index faster; recall rows: difference) |")
    print("|---|---|---|---|")
    for name, a, b, unit, ratio in rows:
        print(f"| {name} | {a:.4g} | {b:.4g} | {ratio:.3g} |")
    bw = ours["bandwidth_baseline"]
    print(f"bandwidth baseline (SIMD read-only sum, same mapped bytes): {bw['ms']:.2f} ms = {bw['gb_per_s']:.2f} GB/s; "
          f"single flat query = {ours['flat_single']['ratio_to_bandwidth']:.3f}x that")
    print(f"IVF lists: audio-index imbalance {ours['ivf_lists']['imbalance']:.3f}, faiss {theirs['ivf_imbalance']:.3f}; "
          f"IVF assign+write {ours['ivf_assign_and_write']['seconds']:.1f} s, faiss add {theirs['ivf_add_s']:.1f} s")
    if "flat16_single" in ours:
        f16 = ours["flat16_single"]
        print(f"float16 flat single query {f16['ms']:.2f} ms = {f16['ratio_to_bandwidth']:.3f}x its own bandwidth baseline ({f16['bandwidth_ms']:.2f} ms), "
              f"{f16['ratio_to_float32_single']:.3f}x the float32 single query; recall@10 vs float32 {f16['recall_at_10']:.4f}")
    if "flat_cold_first_query" in ours:
        c = ours["flat_cold_first_query"]
        print(f"cold first flat query {c['ms']:.0f} ms vs sequential read() of the file {c['sequential_read_ms']:.0f} ms = {c['ratio']:.2f}x")
    print(f"CPU utilisation: audio-index {swift_cpu / swift_wall:.2f}, faiss {faiss_cpu / faiss_wall:.2f}; load average {os.getloadavg()} (at start: {load0})")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"args": {k: v for k, v in vars(args).items()}, "audio_index": ours, "faiss": theirs}, f, indent=1)


if __name__ == "__main__":
    main()
