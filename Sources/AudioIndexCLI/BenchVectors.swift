import ArgumentParser
import Diagnostics
import Foundation
import LinearAlgebra
import NumPyFormat
import VectorIndex

#if canImport(Glibc)
import Glibc
#endif

/// `audio-index bench vectors`: flat and IVF search, k-means training and open time on given
/// base and query vectors, one JSON object per measurement on stdout. Scripts/bench/bench_vectors.py
/// generates the data, runs faiss on it in the same invocation and prints both side by side.
struct BenchVectors: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vectors",
        abstract: "Benchmark flat and IVF vector search, k-means and open time on given .npy data (one thread).",
        discussion: """
            Builds a flat and an IVF index of --base in --work (kept and reused by later runs when \
            they hold --base's row count; a temporary folder by default), then runs the --only parts, \
            each measurement the median of --runs timed runs after one warm-up (OpenBLAS on --threads \
            threads): flat — open, the memory-bandwidth baseline (best SIMD read-only sum over the \
            mapped vectors, measured before and after the singles), single flat queries, flat batches \
            of 32 and one batch of all queries; cold — the first flat query after dropping the \
            segment from the page cache (posix_fadvise DONTNEED) beside a sequential read() of the \
            same file; kmeans — k-means training (--nlist lists, 10 iterations, at most 256 sampled \
            vectors per list; --kmeans-runs runs, no warm-up); ivf — open, recall@10 against the \
            flat results and queries/s per --nprobe, one query at a time and as one batch. Each part \
            ends with a "part" line giving its wall time and CPU utilisation.

            EXAMPLE
              swift build -c release --product audio-index
              .build/release/audio-index bench vectors --base base.npy --queries q.npy --nlist 1024 --work /tmp/vec --only flat,cold
              python Scripts/bench/bench_vectors.py --n 100000 --only flat   # with faiss, same run
            """
    )

    @Option(help: ArgumentHelp("Base vectors, (N, d) '<f4'.", valueName: "base.npy"))
    var base: String

    @Option(help: ArgumentHelp("Query vectors, (Q, d) '<f4'.", valueName: "q.npy"))
    var queries: String

    @Option(help: "IVF lists.")
    var nlist = 1024

    @Option(help: "Comma-separated nprobe values.")
    var nprobe = "1,4,8,16,32"

    @Option(name: .short, help: "Results per query.")
    var k = 10

    @Option(help: "Timed runs per measurement; the median is reported.")
    var runs = 5

    @Option(help: "Single flat queries timed per run (the median per query is reported).")
    var singles = 20

    @Option(help: "k-means seed.")
    var seed: UInt64 = 1

    @Option(help: ArgumentHelp("Folder for the two indexes (kept). (default: a temporary folder, removed)", valueName: "dir"))
    var work: String?

    @Option(help: "OpenBLAS threads for the sgemm paths (batches, k-means); scans stay on the calling thread.")
    var threads = 1

    @Flag(help: "Also measure a float16 flat index and an IVF index with SQ8 lists (same centroids).")
    var compressed = false

    @Option(help: ArgumentHelp("Comma-separated parts to run: flat, cold, kmeans, ivf (indexes in --work are reused when they hold --base's row count).", valueName: "parts"))
    var only = "flat,cold,kmeans,ivf"

    @Option(name: .customLong("batch32-queries"), help: "Queries timed in batches of 32 (the first ones; the rate is per query). (default: all)")
    var batch32Queries: Int?

    @Option(name: .customLong("kmeans-runs"), help: "Timed k-means trainings (no warm-up: each one is seconds long). (default: --runs)")
    var kmeansRuns: Int?

    static let parts: Set<String> = ["flat", "cold", "kmeans", "ivf"]
    var selected: Set<String> { Set(only.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }) }

    func validate() throws {
        guard runs >= 1, k >= 1, nlist >= 1, singles >= 1, threads >= 1 else { throw ValidationError("--runs, -k, --nlist, --singles and --threads must be at least 1") }
        guard !probes.isEmpty, probes.allSatisfy({ $0 >= 1 }) else { throw ValidationError("--nprobe must list positive integers") }
        guard !selected.isEmpty, selected.isSubset(of: Self.parts) else { throw ValidationError("--only takes a comma-separated list of \(Self.parts.sorted().joined(separator: ", "))") }
        if let batch32Queries, batch32Queries < 1 { throw ValidationError("--batch32-queries must be at least 1") }
        if let kmeansRuns, kmeansRuns < 1 { throw ValidationError("--kmeans-runs must be at least 1") }
    }

    var probes: [Int] { nprobe.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) } }

    func emit(_ what: String, _ fields: [(String, Double)]) {
        var line = JSONLine()
        line.add("what", what)
        for (key, value) in fields { line.add(key, value) }
        print(line.text)
    }

    static func seconds(_ body: () throws -> Void) rethrows -> Double {
        let t = try ContinuousClock().measure(body)
        return Double(t.components.seconds) + Double(t.components.attoseconds) * 1e-18
    }

    /// The index in `url` when it exists with `rows` stored vectors (kept from an earlier part or
    /// run), else a new one from `make` (untimed here: builds are not what the parts measure).
    static func reuseOrBuild(_ url: URL, rows: Int, _ make: () throws -> Void) throws -> VectorIndex {
        if let index = try? VectorIndex.open(directory: url), index.storedCount == rows { return index }
        try? FileManager.default.removeItem(at: url)
        let t = try seconds(make)
        StandardError.writeLine("bench vectors: built \(url.lastPathComponent) in \(String(format: "%.1f", t)) s")
        return try VectorIndex.open(directory: url)
    }

    func run() throws {
        BLAS.setThreadCount(threads)
        let b = try VectorInput.vectors(base), q = try VectorInput.vectors(queries)
        guard b.dimension == q.dimension else { throw VectorIndexError.badInput(path: queries, detail: "dimension \(q.dimension), base \(b.dimension)") }
        let d = b.dimension, nq = q.rows
        let folder = work.map { URL(fileURLWithPath: $0) }
            ?? FileManager.default.temporaryDirectory.appendingPathComponent("bench-vectors-\(UUID().uuidString)")
        defer { if work == nil { try? FileManager.default.removeItem(at: folder) } }
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let parts = selected
        StandardError.writeLine("bench vectors: \(b.rows) × \(d) base, \(nq) queries, k \(k), \(threads) BLAS thread(s), median of \(runs), parts \(parts.sorted()); \(BLAS.configuration); SIMD kernels: \(VectorIndex.kernelDescription)")
        func timed(_ part: String, _ body: () throws -> Void) rethrows {
            guard parts.contains(part) else { return }
            let cpu0 = BenchTiming.processCPUSeconds()
            let t = try Self.seconds(body)
            var line = JSONLine()
            line.add("what", "part")
            line.add("part", part)
            line.add("seconds", t)
            line.add("cpu_utilisation", (BenchTiming.processCPUSeconds() - cpu0) / max(t, 1e-9))
            print(line.text)
        }

        let flatURL = folder.appendingPathComponent("flat")
        let flat = try Self.reuseOrBuild(flatURL, rows: b.rows) { try VectorIndexWriter.build(directory: flatURL, dimension: d, metric: .ip, vectors: b.values) }
        var sink: Float = 0
        var truthCache: SearchResults?
        func truth() -> SearchResults {
            if let truthCache { return truthCache }
            let t = flat.search(queries: q.values, k: k)
            truthCache = t
            return t
        }
        func recall(_ r: SearchResults) -> Double {
            let t = truth()
            var hits = 0
            for i in 0..<nq { hits += Set(r.ids(ofQuery: i)).intersection(t.ids(ofQuery: i)).count }
            return Double(hits) / Double(nq * k)
        }
        /// Median time of one query, over `runs` passes of the first `singles` queries (one warm-up).
        func singleQueryMedian(_ index: VectorIndex) -> Double {
            var perQuery: [Double] = []
            _ = index.search(queries: Array(q.values[0..<d]), k: k)
            for _ in 0..<runs {
                for i in 0..<min(singles, nq) {
                    let one = Array(q.values[(i * d)..<((i + 1) * d)])
                    perQuery.append(Self.seconds { _ = index.search(queries: one, k: k) })
                }
            }
            return BenchTiming.median(perQuery)
        }

        try timed("cold") { try coldFirstQuery(flatURL, query: Array(q.values[0..<d])) }

        try timed("flat") {
            emit("flat_open", [("ms", 1e3 * (try BenchTiming.medianSeconds(runs: runs) { _ = try VectorIndex.open(directory: flatURL) }))])
            let bandwidth = try BenchTiming.medianSeconds(runs: runs) { sink += flat.simdSumOfStoredVectors() }
            let bytes = Double(flat.storedCount * d * 4)
            emit("bandwidth_baseline", [("ms", bandwidth * 1e3), ("gb_per_s", bytes / bandwidth / 1e9)])
            let single = singleQueryMedian(flat)
            // The baseline again right after, so a load change during the singles shows up.
            let bandwidthAfter = try BenchTiming.medianSeconds(runs: runs) { sink += flat.simdSumOfStoredVectors() }
            emit("flat_single", [("ms", single * 1e3), ("ratio_to_bandwidth", single / bandwidth), ("bandwidth_after_ms", bandwidthAfter * 1e3),
                                 ("ratio_to_best_bandwidth", single / min(bandwidth, bandwidthAfter))])
            let n32 = min(nq, batch32Queries ?? nq)
            let chunks = stride(from: 0, to: n32, by: 32).map { Array(q.values[($0 * d)..<(min($0 + 32, n32) * d)]) }
            let (t32, cpu32) = try BenchTiming.timesAndCPU(runs: runs) { for c in chunks { _ = flat.search(queries: c, k: k) } }
            emit("flat_batch32", [("qps", Double(n32) / BenchTiming.median(t32)), ("queries", Double(n32)), ("cpu_utilisation", cpu32)])
            let (tAll, cpuAll) = try BenchTiming.timesAndCPU(runs: runs) { _ = flat.search(queries: q.values, k: k) }
            emit("flat_batch_all", [("qps", Double(nq) / BenchTiming.median(tAll)), ("batch", Double(nq)), ("cpu_utilisation", cpuAll)])
            if compressed {
                // Float16 flat: half the bytes per single-query scan; its own bandwidth baseline over its bytes.
                let url16 = folder.appendingPathComponent("flat16")
                let flat16 = try Self.reuseOrBuild(url16, rows: b.rows) {
                    try VectorIndexWriter.build(directory: url16, dimension: d, metric: .ip, vectors: b.values, storage: .float16)
                }
                let bw16 = try BenchTiming.medianSeconds(runs: runs) { sink += flat16.simdSumOfStoredVectors() }
                let single16 = singleQueryMedian(flat16)
                emit("flat16_single", [("ms", single16 * 1e3), ("bandwidth_ms", bw16 * 1e3), ("ratio_to_bandwidth", single16 / bw16),
                                       ("ratio_to_float32_single", single16 / single), ("recall_at_10", recall(flat16.search(queries: q.values, k: k)))])
            }
        }

        // k-means (timed alone: the same nlist, sample rule and iterations as faiss's IVF training).
        let options = KMeans.Options(iterations: 10, maxPointsPerCentroid: 256, seed: seed)
        timed("kmeans") {
            var times: [Double] = []
            let cpu0 = BenchTiming.processCPUSeconds()
            for _ in 0..<(kmeansRuns ?? runs) {
                times.append(Self.seconds { _ = KMeans.train(b.values, dimension: d, nlist: nlist, metric: .ip, options: options) })
            }
            let cpu = (BenchTiming.processCPUSeconds() - cpu0) / times.reduce(0, +)
            emit("kmeans_train", [("seconds", BenchTiming.median(times)), ("min_seconds", times.min()!), ("max_seconds", times.max()!),
                                  ("runs", Double(times.count)), ("nlist", Double(nlist)), ("sample", Double(min(b.rows, 256 * nlist))),
                                  ("iterations", 10), ("cpu_utilisation", cpu)])
        }

        try timed("ivf") {
            let ivfURL = folder.appendingPathComponent("ivf-\(nlist)")
            let ivf = try Self.reuseOrBuild(ivfURL, rows: b.rows) {
                let centroids = KMeans.train(b.values, dimension: d, nlist: nlist, metric: .ip, options: options)
                try VectorIndexWriter.build(directory: ivfURL, dimension: d, metric: .ip, vectors: b.values, kind: .ivfWithCentroids(centroids))
            }
            emit("ivf_open", [("ms", 1e3 * (try BenchTiming.medianSeconds(runs: runs) { _ = try VectorIndex.open(directory: ivfURL) }))])
            emit("ivf_lists", [("imbalance", ivf.listImbalance), ("min", Double(ivf.listSizes.min() ?? 0)), ("max", Double(ivf.listSizes.max() ?? 0))])
            sink += ivf.simdSumOfStoredVectors()  // pages warm
            let singlesQ = (0..<nq).map { Array(q.values[($0 * d)..<(($0 + 1) * d)]) }
            for p in probes {
                let r = ivf.search(queries: q.values, k: k, nprobe: p)
                let (loop, cpuLoop) = try BenchTiming.timesAndCPU(runs: runs) { for one in singlesQ { _ = ivf.search(queries: one, k: k, nprobe: p) } }
                let (batch, cpuBatch) = try BenchTiming.timesAndCPU(runs: runs) { _ = ivf.search(queries: q.values, k: k, nprobe: p) }
                emit("ivf_search", [("nprobe", Double(p)), ("recall_at_10", recall(r)),
                                    ("single_qps", Double(nq) / BenchTiming.median(loop)), ("batch_qps", Double(nq) / BenchTiming.median(batch)),
                                    ("single_cpu_utilisation", cpuLoop), ("batch_cpu_utilisation", cpuBatch)])
            }
            if compressed {
                let urlSQ8 = folder.appendingPathComponent("ivf-\(nlist)-sq8")
                let sq8 = try Self.reuseOrBuild(urlSQ8, rows: b.rows) {
                    try VectorIndexWriter.build(directory: urlSQ8, dimension: d, metric: .ip, vectors: b.values, kind: .ivfWithCentroids(ivf.centroids), sq8Lists: true)
                }
                for p in probes {
                    var results: [SearchResults] = []
                    let loop = try BenchTiming.medianSeconds(runs: runs) {
                        results = singlesQ.map { one in sq8.search(queries: one, k: k, nprobe: p) }
                    }
                    let merged = SearchResults(queryCount: nq, k: k, ids: results.flatMap(\.ids), scores: results.flatMap(\.scores))
                    emit("ivf_sq8_search", [("nprobe", Double(p)), ("recall_at_10", recall(merged)), ("single_qps", Double(nq) / loop)])
                }
            }
        }
        StandardError.writeLine("bench vectors: done (sum \(sink))")
    }

    /// Drops the segment from the page cache, opens the index and times its first query; then drops
    /// it again and times a sequential read() of the whole file (16 MiB chunks), in this process.
    func coldFirstQuery(_ url: URL, query: [Float]) throws {
        let seg = try FileManager.default.contentsOfDirectory(atPath: url.path).filter { $0.hasPrefix("seg-") }.map { url.appendingPathComponent($0).path }
        func drop() {
            for path in seg {
                let fd = open(path, O_RDONLY)
                guard fd >= 0 else { continue }
                fdatasync(fd)
                posix_fadvise(fd, 0, 0, Int32(POSIX_FADV_DONTNEED))
                close(fd)
            }
        }
        let clock = ContinuousClock()
        func secs(_ t: Duration) -> Double { Double(t.components.seconds) + Double(t.components.attoseconds) * 1e-18 }
        drop()
        let first = secs(try clock.measure {
            let index = try VectorIndex.open(directory: url)
            _ = index.search(queries: query, k: k)
        })
        drop()
        var buffer = [UInt8](repeating: 0, count: 16 << 20)
        let read = secs(clock.measure {
            for path in seg {
                let fd = open(path, O_RDONLY)
                guard fd >= 0 else { continue }
                while buffer.withUnsafeMutableBytes({ Glibc.read(fd, $0.baseAddress, $0.count) }) > 0 {}
                close(fd)
            }
        })
        emit("flat_cold_first_query", [("ms", first * 1e3), ("sequential_read_ms", read * 1e3), ("ratio", first / read)])
    }
}
