"""Vector search benchmark: audio-index vs faiss-cpu on the same data, same machine, one thread (issue 5 §8).

Generates clustered 512-d unit vectors (the generator of ../shared/reference/vector-index-anchors.md §0:
64 super directions, 2,000 centres, lognormal cluster sizes, rank-32 per-cluster noise plus isotropic
noise and a shared cone direction, so IVF recall is not trivial), holds out the last --queries vectors
as queries, and measures both sides on those files.

The work is split into parts so that each run stays short (the machine is shared; every run goes under
`flock /work/scratch/bench.lock`): flat, cold, kmeans, ivf (--only), and each part can run one side at a
time (--side swift|faiss). Data, ground truth and built indexes are cached in --data (default
/work/scratch/vec/n<N>-s<seed>/, never in git) and reused. Every measurement is appended to
results.jsonl there with the time, side, threads and load average; every invocation then prints the
side-by-side table from the newest record of each measurement, with ratios (> 1: audio-index faster;
recall rows: the difference) and the age of each pair, so parts measured minutes apart are visible as such.

Usage (package root, after `swift build -c release --product audio-index`):

    python Scripts/bench/bench_vectors.py --n 100000 --only flat            # both sides, ~5 min at 100k
    python Scripts/bench/bench_vectors.py --n 630000 --only flat --side faiss --batch32-queries 256
    python Scripts/bench/bench_vectors.py --n 630000 --only kmeans --side swift --kmeans-runs 5
    python Scripts/bench/bench_vectors.py --n 630000 --report                # the table only

Needs numpy and faiss-cpu (pip install faiss-cpu).
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time


def _threads_from_argv():
    for i, a in enumerate(sys.argv):
        if a == "--threads" and i + 1 < len(sys.argv):
            return sys.argv[i + 1]
        if a.startswith("--threads="):
            return a.split("=", 1)[1]
    return "1"


# Before numpy/faiss load their BLAS: the thread count both sides use.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = _threads_from_argv()

import numpy as np  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from timing import median_seconds, median_seconds_and_cpu  # noqa: E402  (the Swift side's BenchTiming rule)

PARTS = ("flat", "cold", "kmeans", "ivf")


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


class Data:
    """The cached inputs of one (N, d, queries, seed): base/queries .npy, faiss ground truth, indexes."""

    def __init__(self, args):
        self.args = args
        self.dir = args.data or f"/work/scratch/vec/n{args.n}-d{args.d}-q{args.queries}-s{args.seed}"
        os.makedirs(self.dir, exist_ok=True)
        self.base_path, self.q_path = os.path.join(self.dir, "base.npy"), os.path.join(self.dir, "queries.npy")
        if not (os.path.exists(self.base_path) and os.path.exists(self.q_path)):
            t = time.perf_counter()
            data = generate(args.n + args.queries, args.d, args.seed)
            np.save(self.base_path + ".tmp.npy", np.ascontiguousarray(data[:args.n]))
            np.save(self.q_path, np.ascontiguousarray(data[args.n:]))
            os.replace(self.base_path + ".tmp.npy", self.base_path)
            print(f"data: generated {args.n} + {args.queries} rows in {time.perf_counter() - t:.1f} s -> {self.dir}", file=sys.stderr)
        self._base = None

    @property
    def base(self):
        if self._base is None:
            self._base = np.load(self.base_path, mmap_mode="r")
        return self._base

    @property
    def queries(self):
        return np.load(self.q_path)

    def truth(self, flat=None):
        path = os.path.join(self.dir, f"truth_k{self.args.k}.npy")
        if not os.path.exists(path):
            import faiss
            if flat is None:
                flat = faiss.IndexFlatIP(self.args.d)
                flat.add(np.ascontiguousarray(self.base))
            np.save(path, flat.search(self.queries, self.args.k)[1])
        return np.load(path)


def faiss_part(part, data, args, record):
    import faiss
    faiss.omp_set_num_threads(args.threads)
    d, k, runs = args.d, args.k, args.runs
    q = data.queries
    nq = len(q)
    if part == "flat":
        flat = faiss.IndexFlatIP(d)
        flat.add(np.ascontiguousarray(data.base))
        path = os.path.join(data.dir, "faiss_flat.index")
        if not os.path.exists(path):
            faiss.write_index(flat, path)
        record("flat_open", ms=1e3 * median_seconds(runs, lambda: faiss.read_index(path)), what_exactly="read_index (copies into RAM)")
        record("flat_single", ms=1e3 * median_per_call(runs, [lambda i=i: flat.search(q[i:i + 1], k) for i in range(min(args.singles, nq))]))
        n32 = min(nq, args.batch32_queries or nq)
        chunks = [q[i:min(i + 32, n32)] for i in range(0, n32, 32)]
        t, cpu = median_seconds_and_cpu(runs, lambda: [flat.search(c, k) for c in chunks])
        record("flat_batch32", qps=n32 / t, queries=n32, cpu_utilisation=cpu)
        t, cpu = median_seconds_and_cpu(runs, lambda: flat.search(q, k))
        record("flat_batch_all", qps=nq / t, batch=nq, cpu_utilisation=cpu)
        data.truth(flat)
    elif part == "kmeans":
        times = []
        c0 = time.process_time()
        train = np.ascontiguousarray(data.base)
        for _ in range(args.kmeans_runs or runs):
            ivf = faiss.IndexIVFFlat(faiss.IndexFlatIP(d), d, args.nlist, faiss.METRIC_INNER_PRODUCT)
            ivf.cp.niter, ivf.cp.max_points_per_centroid, ivf.cp.seed = 10, 256, args.seed
            t = time.perf_counter()
            ivf.train(train)
            times.append(time.perf_counter() - t)
        record("kmeans_train", seconds=statistics.median(times), min_seconds=min(times), max_seconds=max(times), runs=len(times),
               nlist=args.nlist, sample=min(args.n, 256 * args.nlist), iterations=10,
               cpu_utilisation=(time.process_time() - c0) / sum(times), spherical=bool(ivf.cp.spherical))
    elif part == "ivf":
        path = os.path.join(data.dir, f"faiss_ivf{args.nlist}.index")
        if not os.path.exists(path):
            t = time.perf_counter()
            ivf = faiss.IndexIVFFlat(faiss.IndexFlatIP(d), d, args.nlist, faiss.METRIC_INNER_PRODUCT)
            ivf.cp.niter, ivf.cp.max_points_per_centroid, ivf.cp.seed = 10, 256, args.seed
            base = np.ascontiguousarray(data.base)
            ivf.train(base)
            ivf.add(base)
            del base
            faiss.write_index(ivf, path + ".tmp")
            os.replace(path + ".tmp", path)
            print(f"faiss: built {path} in {time.perf_counter() - t:.1f} s", file=sys.stderr)
        truth = data.truth()
        record("ivf_open", ms=1e3 * median_seconds(runs, lambda: faiss.read_index(path)), what_exactly="read_index (copies into RAM)")
        record("ivf_open_mmap", ms=1e3 * median_seconds(runs, lambda: faiss.read_index(path, faiss.IO_FLAG_MMAP)))
        ivf = faiss.read_index(path)
        sizes = np.array([ivf.invlists.list_size(i) for i in range(args.nlist)], dtype=np.float64)
        record("ivf_lists", imbalance=float(args.nlist * (sizes ** 2).sum() / sizes.sum() ** 2), min=sizes.min(), max=sizes.max())
        singles = [q[i:i + 1] for i in range(nq)]
        for p in args.probes:
            ivf.nprobe = p
            loop, cpu_loop = median_seconds_and_cpu(runs, lambda: [ivf.search(s, k) for s in singles])
            batch, cpu_batch = median_seconds_and_cpu(runs, lambda: ivf.search(q, k))
            record("ivf_search", key=f"nprobe {p}", nprobe=p, recall_at_10=recall(ivf.search(q, k)[1], truth, k),
                   single_qps=nq / loop, batch_qps=nq / batch, single_cpu_utilisation=cpu_loop, batch_cpu_utilisation=cpu_batch)
        del ivf
        mm = faiss.read_index(path, faiss.IO_FLAG_MMAP)
        for p in args.probes:
            mm.nprobe = p
            loop = median_seconds(runs, lambda: [mm.search(s, k) for s in singles])
            batch = median_seconds(runs, lambda: mm.search(q, k))
            record("ivf_mmap_search", key=f"nprobe {p}", nprobe=p, recall_at_10=recall(mm.search(q, k)[1], truth, k),
                   single_qps=nq / loop, batch_qps=nq / batch)
    elif part == "cold":
        pass  # the cold-start target compares audio-index with a sequential read in its own process
    record("faiss_version", version=faiss.__version__)


def swift_part(part, data, args, record):
    cmd = [args.binary, "bench", "vectors", "--base", data.base_path, "--queries", data.q_path, "--nlist", str(args.nlist),
           "--nprobe", ",".join(map(str, args.probes)), "-k", str(args.k), "--runs", str(args.runs), "--singles", str(args.singles),
           "--seed", str(args.seed), "--work", os.path.join(data.dir, "swift"), "--threads", str(args.threads), "--only", part]
    if args.batch32_queries:
        cmd += ["--batch32-queries", str(args.batch32_queries)]
    if args.kmeans_runs:
        cmd += ["--kmeans-runs", str(args.kmeans_runs)]
    if args.compressed:
        cmd.append("--compressed")
    print("$ " + " ".join(cmd), file=sys.stderr)
    out = subprocess.run(cmd, check=True, stdout=subprocess.PIPE, text=True).stdout
    for line in out.splitlines():
        rec = json.loads(line)
        what = rec.pop("what")
        if what == "part":
            continue
        if "nprobe" in rec:
            rec["key"] = f"nprobe {int(rec['nprobe'])}"
        record(what, **rec)


def load_results(path):
    newest = {}
    if os.path.exists(path):
        with open(path) as f:
            for line in f:
                r = json.loads(line)
                newest[(r["side"], r["threads"], r["what"], r.get("key", ""))] = r
    return newest


def report(results_path, args):
    newest = load_results(results_path)
    th = args.threads

    def get(side, what, key=""):
        return newest.get((side, th, what, key))

    rows = []

    def row(name, what, field, faster_is_larger, key="", faiss_what=None, diff=False):
        a, b = get("swift", what, key), get("faiss", faiss_what or what, key)
        va = a.get(field) if a else None
        vb = b.get(field) if b else None
        if diff:
            ratio = (va - vb) if va is not None and vb is not None else None
        else:
            ratio = ((va / vb) if faster_is_larger else (vb / va)) if va and vb else None
        age = abs(a["unix_time"] - b["unix_time"]) / 60 if a and b else None
        load = "/".join(f"{r['load1']:.1f}" for r in (a, b) if r)
        rows.append((name, va, vb, ratio, age, load))

    row("flat open (ours: mmap + checks; faiss read_index), ms", "flat_open", "ms", False)
    row("flat single query, ms", "flat_single", "ms", False)
    row("flat batches of 32, q/s", "flat_batch32", "qps", True)
    row("flat one batch of all queries, q/s", "flat_batch_all", "qps", True)
    row("k-means nlist %d, 10 it., sample min(N, 256*nlist), s" % args.nlist, "kmeans_train", "seconds", False)
    row("IVF open (faiss read_index), ms", "ivf_open", "ms", False)
    row("IVF open vs faiss read_index(IO_FLAG_MMAP), ms", "ivf_open", "ms", False, faiss_what="ivf_open_mmap")
    for p in args.probes:
        key = f"nprobe {p}"
        row(f"IVF {key} recall@10 (difference)", "ivf_search", "recall_at_10", True, key=key, diff=True)
        row(f"IVF {key} single-query loop, q/s", "ivf_search", "single_qps", True, key=key)
        row(f"IVF {key} batch of all queries, q/s", "ivf_search", "batch_qps", True, key=key)
        row(f"IVF {key} single loop vs faiss IO_FLAG_MMAP, q/s", "ivf_search", "single_qps", True, key=key, faiss_what="ivf_mmap_search")
        row(f"IVF {key} batch vs faiss IO_FLAG_MMAP, q/s", "ivf_search", "batch_qps", True, key=key, faiss_what="ivf_mmap_search")
    fv = get("faiss", "faiss_version")
    print(f"N = {args.n}, d = {args.d}, {args.queries} held-out queries, k = {args.k}, {th} thread(s), medians of runs; "
          f"faiss {fv['version'] if fv else '?'}; results: {results_path}")
    print("| measurement | audio-index | faiss | ratio (>1: audio-index faster) | minutes apart | load1 (ours/faiss) |")
    print("|---|---|---|---|---|---|")
    fmt = lambda v: "–" if v is None else f"{v:.4g}"  # noqa: E731
    for name, a, b, ratio, age, load in rows:
        if a is None and b is None:
            continue
        print(f"| {name} | {fmt(a)} | {fmt(b)} | {fmt(ratio)} | {fmt(age)} | {load} |")
    extra = []
    s = get("swift", "flat_single")
    bw = get("swift", "bandwidth_baseline")
    if s and bw:
        extra.append(f"single flat query {s['ms']:.2f} ms vs bandwidth baseline {bw['ms']:.2f} ms ({bw['gb_per_s']:.2f} GB/s) before and "
                     f"{s['bandwidth_after_ms']:.2f} ms after the singles: {s['ratio_to_bandwidth']:.3f}x (vs the better of the two: "
                     f"{s['ratio_to_best_bandwidth']:.3f}x)")
    c = get("swift", "flat_cold_first_query")
    if c:
        extra.append(f"cold first flat query {c['ms']:.0f} ms vs sequential read() of the file {c['sequential_read_ms']:.0f} ms = {c['ratio']:.3f}x")
    for side in ("swift", "faiss"):
        km = get(side, "kmeans_train")
        if km:
            extra.append(f"{side} k-means: median {km['seconds']:.2f} s (min {km['min_seconds']:.2f}, max {km['max_seconds']:.2f}, "
                         f"{int(km['runs'])} runs, CPU utilisation {km['cpu_utilisation']:.2f})")
        li = get(side, "ivf_lists")
        if li:
            extra.append(f"{side} IVF list imbalance {li['imbalance']:.3f} (sizes {int(li['min'])}..{int(li['max'])})")
    for side in ("swift", "faiss"):
        for what in ("flat_batch32", "flat_batch_all"):
            r = get(side, what)
            if r and "cpu_utilisation" in r:
                extra.append(f"{side} {what} CPU utilisation {r['cpu_utilisation']:.2f}")
    # Under a shared machine each side got a different share of a core: the same figures per CPU
    # second (rate ÷ CPU utilisation, time × utilisation) say what a fully owned core would do.
    for what, field, larger in (("flat_batch32", "qps", True), ("flat_batch_all", "qps", True), ("kmeans_train", "seconds", False)):
        a, b = get("swift", what), get("faiss", what)
        if a and b and "cpu_utilisation" in a and "cpu_utilisation" in b:
            na = a[field] / a["cpu_utilisation"] if larger else a[field] * a["cpu_utilisation"]
            nb = b[field] / b["cpu_utilisation"] if larger else b[field] * b["cpu_utilisation"]
            unit = "q/s per CPU" if larger else "CPU-seconds"
            extra.append(f"{what} per CPU: audio-index {na:.4g}, faiss {nb:.4g} {unit}, ratio {(na / nb if larger else nb / na):.3g}")
    for key in [f"nprobe {p}" for p in args.probes]:
        a, b = get("swift", "ivf_search", key), get("faiss", "ivf_search", key)
        if a and b and "single_cpu_utilisation" in a and "single_cpu_utilisation" in b:
            for f in ("single", "batch"):
                na, nb = a[f"{f}_qps"] / a[f"{f}_cpu_utilisation"], b[f"{f}_qps"] / b[f"{f}_cpu_utilisation"]
                extra.append(f"IVF {key} {f} per CPU: audio-index {na:.4g}, faiss {nb:.4g} q/s per CPU, ratio {na / nb:.3g}")
    for line in extra:
        print("- " + line)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--d", type=int, default=512)
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--nlist", type=int, default=1024)
    parser.add_argument("--nprobe", default="16")
    parser.add_argument("-k", type=int, default=10)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--singles", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--binary", default=".build/release/audio-index")
    parser.add_argument("--data", help="cache folder (default /work/scratch/vec/n<N>-d<d>-q<queries>-s<seed>)")
    parser.add_argument("--only", default="flat,cold,kmeans,ivf", help="comma-separated parts: " + ", ".join(PARTS))
    parser.add_argument("--side", choices=("both", "swift", "faiss"), default="both")
    parser.add_argument("--batch32-queries", type=int, help="time batches of 32 over the first this many queries (default: all)")
    parser.add_argument("--kmeans-runs", type=int, help="k-means trainings timed per side (default: --runs)")
    parser.add_argument("--threads", type=int, default=1, help="threads on both sides (OpenBLAS / OpenMP)")
    parser.add_argument("--compressed", action="store_true", help="audio-index side also measures float16 flat and IVF-SQ8 + re-rank")
    parser.add_argument("--report", action="store_true", help="print the table from results.jsonl and exit")
    args = parser.parse_args()
    args.probes = [int(p) for p in args.nprobe.split(",")]
    parts = [p.strip() for p in args.only.split(",") if p.strip()]
    if any(p not in PARTS for p in parts):
        parser.error(f"--only takes {', '.join(PARTS)}")
    data = Data(args)
    results_path = os.path.join(data.dir, "results.jsonl")
    if args.report:
        report(results_path, args)
        return

    for part in parts:
        for side in (("swift", "faiss") if args.side == "both" else (args.side,)):
            if side == "faiss" and part == "cold":
                continue
            load0 = os.getloadavg()[0]
            uptime = subprocess.run(["uptime"], stdout=subprocess.PIPE, text=True).stdout.strip()
            records = []

            def record(what, **fields):
                rec = {"what": what, "side": side, "part": part, "threads": args.threads, "unix_time": time.time(),
                       "load1": os.getloadavg()[0], "load1_at_part_start": load0, "uptime_at_part_start": uptime, "runs": args.runs}
                rec.update({k: (float(v) if isinstance(v, (np.floating, np.integer)) else v) for k, v in fields.items()})
                records.append(rec)

            t, c = time.perf_counter(), os.times()
            (swift_part if side == "swift" else faiss_part)(part, data, args, record)
            wall, c1 = time.perf_counter() - t, os.times()
            cpu = (c1.user + c1.system + c1.children_user + c1.children_system) - (c.user + c.system + c.children_user + c.children_system)
            print(f"part {part} / {side}: {wall:.1f} s wall, CPU utilisation {cpu / wall:.2f}, load {load0:.2f} -> {os.getloadavg()[0]:.2f}",
                  file=sys.stderr)
            with open(results_path, "a") as f:
                for rec in records:
                    f.write(json.dumps(rec) + "\n")
    report(results_path, args)


if __name__ == "__main__":
    main()
