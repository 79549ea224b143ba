import ArgumentParser
import Diagnostics
import Foundation
import LinearAlgebra
import VectorIndex

/// `audio-index bench search`: flat search speed beside a same-run memory-bandwidth baseline.
struct BenchSearch: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "search",
        abstract: "Benchmark exact (flat) vector search: open, single queries, batches of 32 and --batch.",
        discussion: """
            Uses --index DIR (built with `audio-index vectors build`) or, without it, writes N random \
            unit vectors of --dim (seeded) to a temporary index. Queries are random unit vectors. \
            Pages are warmed first. Each figure is the median of --runs timed runs, one thread \
            (OpenBLAS set to 1 thread). The baseline is the best SIMD read-only sum over the same \
            mapped vector bytes in the same process: a single query cannot read the vectors faster, \
            so "ratio to bandwidth" near 1.0 means the scan is at the memory bound.

            EXAMPLES
              swift build -c release
              .build/release/audio-index bench search --n 100000 --dim 512
              .build/release/audio-index bench search --index idx --batch 1000 --runs 5
            """
    )

    @Option(help: ArgumentHelp("An existing index directory. (default: a temporary one with --n random vectors)", valueName: "dir"))
    var index: String?

    @Option(help: "Vectors in the generated index.")
    var n = 100_000

    @Option(help: "Dimension of the generated index.")
    var dim = 512

    @Option(help: "Results per query.")
    var k = 10

    @Option(help: "The large batch size.")
    var batch = 1000

    @Option(help: "Timed runs per measurement; the median is reported.")
    var runs = 5

    @Option(help: "Random seed for the generated vectors and queries.")
    var seed: UInt64 = 1

    func validate() throws {
        guard runs >= 1, n >= 1, dim >= 1, k >= 1, batch >= 1 else { throw ValidationError("--runs, --n, --dim, -k and --batch must be at least 1") }
    }

    func run() throws {
        BLAS.setThreadCount(1)
        var rng = BenchRandom(state: seed)
        var temporary: URL?
        let url: URL
        if let index {
            url = URL(fileURLWithPath: index)
        } else {
            let t = FileManager.default.temporaryDirectory.appendingPathComponent("bench-search-\(UUID().uuidString)")
            temporary = t
            url = t.appendingPathComponent("idx")
            StandardError.writeLine("bench search: writing \(n) random unit vectors of dimension \(dim) to \(url.path)")
            try VectorIndexWriter.build(directory: url, dimension: dim, metric: .ip, vectors: rng.unitVectors(n, dim))
        }
        defer { if let temporary { try? FileManager.default.removeItem(at: temporary) } }

        let open = try BenchTiming.medianSeconds(runs: runs) { _ = try? VectorIndex.open(directory: url) }
        let idx = try VectorIndex.open(directory: url)
        let d = idx.dimension
        let bytes = Double(idx.storedCount * d * 4)
        _ = idx.simdSumOfStoredVectors()  // warm the pages
        var sink: Float = 0
        let baseline = try BenchTiming.medianSeconds(runs: runs) { sink += idx.simdSumOfStoredVectors() }
        let singles = rng.unitVectors(runs * 3, d)
        var q = 0
        let single = try BenchTiming.medianSeconds(runs: runs) {
            _ = idx.search(queries: Array(singles[(q * d)..<((q + 1) * d)]), k: k)
            q = (q + 1) % (runs * 3)
        }
        let b32 = rng.unitVectors(32, d), bBig = rng.unitVectors(batch, d)
        let t32 = try BenchTiming.medianSeconds(runs: runs) { _ = idx.search(queries: b32, k: k) }
        let tBig = try BenchTiming.medianSeconds(runs: runs) { _ = idx.search(queries: bBig, k: k) }
        let flops = 2 * Double(idx.storedCount) * Double(d)
        StandardError.writeLine("bench search: \(idx.storedCount) vectors × \(d), \(String(format: "%.0f", bytes / 1e6)) MB, k \(k), 1 thread, median of \(runs); \(BLAS.configuration) (sum \(sink))")
        print("open: \(String(format: "%.3f", open * 1e3)) ms")
        print("bandwidth baseline (SIMD sum over the mapped vectors): \(String(format: "%.2f", baseline * 1e3)) ms = \(String(format: "%.2f", bytes / baseline / 1e9)) GB/s")
        print("single query: \(String(format: "%.2f", single * 1e3)) ms = \(String(format: "%.2f", single / baseline))× the bandwidth baseline")
        print("batch 32: \(String(format: "%.1f", 32 / t32)) queries/s (\(String(format: "%.1f", flops * 32 / t32 / 1e9)) GFLOPS)")
        print("batch \(batch): \(String(format: "%.1f", Double(batch) / tBig)) queries/s (\(String(format: "%.1f", flops * Double(batch) / tBig / 1e9)) GFLOPS)")
    }
}

/// Generated benchmark data: VectorIndex's seeded SplitMix64 (the tests' generator lives in TestSupport).
typealias BenchRandom = SplitMix64

extension SplitMix64 {
    mutating func unitVectors(_ count: Int, _ d: Int) -> [Float] {
        var out = [Float](repeating: 0, count: count * d)
        for r in 0..<count {
            var norm: Float = 0
            for j in 0..<d { let x = Float.random(in: -1...1, using: &self); out[r * d + j] = x; norm += x * x }
            let inv = 1 / norm.squareRoot()
            for j in 0..<d { out[r * d + j] *= inv }
        }
        return out
    }
}
