import ArgumentParser
import Diagnostics
import Foundation
import NumPyFormat
import VectorIndex

/// `audio-index bench load`: one query-load process of the stress test of issue 7 item 7
/// (Scripts/stress/query-load.sh starts several at once against the same memory-mapped index).
struct BenchLoad: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "load",
        abstract: "Run many single queries against a memory-mapped index; report errors, RSS and latency percentiles.",
        discussion: """
            Opens --index once (memory-mapped), then runs --count single queries (the rows of \
            --queries in turn, cycling), one at a time, and checks every answer: exactly k results \
            (or all the index holds), distinct ids in 0..<N (the ids `vectors build` gives by default), scores in order. Prints one \
            JSON object: queries, errors, resident memory after the first query and at the end \
            (VmRSS and its anonymous part RssAnon, KiB; the mapped vectors count in VmRSS only), and \
            latency p50, p99 and max in ms. Exit 1 when any answer was wrong.

            EXAMPLE
              audio-index bench load --index ivf --queries q.npy --count 500000 --nprobe 16 -k 10
              Scripts/stress/query-load.sh            # the whole stress test, 2 processes
            """
    )

    @Option(help: ArgumentHelp("The index directory.", valueName: "dir"))
    var index: String

    @Option(help: ArgumentHelp("Query vectors, (Q, d) '<f4'.", valueName: "q.npy"))
    var queries: String

    @Option(help: "Queries to run.")
    var count = 10_000

    @Option(name: .short, help: "Results per query.")
    var k = 10

    @Option(help: "IVF: lists scanned per query (ignored for flat).")
    var nprobe = 16

    func validate() throws {
        guard count >= 1, k >= 1, nprobe >= 1 else { throw ValidationError("--count, -k and --nprobe must be at least 1") }
    }

    /// (VmRSS, RssAnon) of this process in KiB, from /proc/self/status.
    static func residentKiB() -> (total: Int, anon: Int) {
        let text = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
        func field(_ name: String) -> Int {
            guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix(name + ":") }) else { return -1 }
            return Int(line.split(separator: " ").dropFirst().first ?? "") ?? -1
        }
        return (field("VmRSS"), field("RssAnon"))
    }

    func run() throws {
        let q = try VectorInput.vectors(queries)
        let idx = try VectorIndex.open(directory: URL(fileURLWithPath: index))
        guard q.dimension == idx.dimension else { throw VectorIndexError.badInput(path: queries, detail: "dimension \(q.dimension), index \(idx.dimension)") }
        let d = q.dimension, held = idx.liveCount, want = min(k, held)
        let stored = Int64(idx.storedCount)
        var latencies = [Double](repeating: 0, count: count)   // allocated before the first RSS reading
        var errors = 0
        func check(_ r: SearchResults) -> Bool {
            let ids = r.ids(ofQuery: 0), scores = r.scores(ofQuery: 0)
            guard ids.count == want, Set(ids).count == want, ids.allSatisfy({ (0..<stored).contains($0) }) else { return false }
            let ordered = idx.metric == .ip ? zip(scores, scores.dropFirst()).allSatisfy { $0 >= $1 } : zip(scores, scores.dropFirst()).allSatisfy { $0 <= $1 }
            return ordered && scores.allSatisfy(\.isFinite)
        }
        if !check(idx.search(queries: Array(q.values[0..<d]), k: k, nprobe: nprobe)) { errors += 1 }
        let start = Self.residentKiB()
        let clock = ContinuousClock()
        let begin = clock.now
        for i in 0..<count {
            let row = i % q.rows
            let one = Array(q.values[(row * d)..<((row + 1) * d)])
            var r: SearchResults?
            let t = clock.measure { r = idx.search(queries: one, k: k, nprobe: nprobe) }
            latencies[i] = Double(t.components.seconds) + Double(t.components.attoseconds) * 1e-18
            if !check(r!) { errors += 1 }
        }
        let wall = clock.now - begin
        let end = Self.residentKiB()
        latencies.sort()
        func percentile(_ p: Double) -> Double { latencies[min(latencies.count - 1, Int((p * Double(latencies.count)).rounded(.up)) - 1)] * 1e3 }
        var line = JSONLine()
        line.add("pid", Int(getpid())); line.add("kind", idx.kind == .ivf ? "ivf" : "flat"); line.add("vectors", held)
        line.add("queries", count); line.add("errors", errors)
        line.add("rss_start_kib", start.total); line.add("rss_end_kib", end.total)
        line.add("anon_start_kib", start.anon); line.add("anon_end_kib", end.anon)
        line.add("p50_ms", percentile(0.50)); line.add("p99_ms", percentile(0.99)); line.add("max_ms", latencies.last! * 1e3)
        line.add("qps", Double(count) / (Double(wall.components.seconds) + Double(wall.components.attoseconds) * 1e-18))
        print(line.text)
        if errors > 0 { throw ExitCode(1) }
    }
}
