import FileIO
import Foundation
import Testing
import TestSupport
@testable import VectorIndex


/// The issue-5 correctness rule (TestSupport's `IssueFiveRule`) on two `SearchResults`.
func agreesUnderRule(_ fast: SearchResults, _ twin: SearchResults, allScores: [[Int64: [Float]]]) -> String? {
    guard fast.queryCount == twin.queryCount, fast.k == twin.k else { return "shape differs" }
    return IssueFiveRule.problem(ids: fast.ids, scores: fast.scores, twinIDs: twin.ids, twinScores: twin.scores, k: fast.k, allScores: allScores)
}

/// Flat search of `index` equals its slow twin under the issue-5 rule for every query count ×
/// k × filter (fresh random unit queries per count); removed ids never appear, and with a filter
/// only allowed ids do.
func expectFlatSearchMatchesTwin(_ index: VectorIndex, rng: inout SeededGenerator, queryCounts: [Int], ks: [Int], filters: [Set<Int64>?],
                                 removed: Set<Int64>, sourceLocation: SourceLocation = #_sourceLocation) {
    let d = index.dimension, rows = index.rows()
    for nq in queryCounts {
        let queries = rng.unitVectors(nq, d)
        for k in ks {
            for filter in filters {
                let fast = index.search(queries: queries, k: k, allowedIDs: filter)
                let twin = index.referenceSearch(queries: queries, k: k, allowedIDs: filter)
                let all = allTwinScores(rows, dimension: d, metric: index.metric, queries: queries, allowed: filter)
                let problem = agreesUnderRule(fast, twin, allScores: all)
                #expect(problem == nil, "nq \(nq) k \(k) filter \(filter != nil): \(problem ?? "")", sourceLocation: sourceLocation)
                #expect(!fast.ids.contains { removed.contains($0) }, sourceLocation: sourceLocation)
                if let filter { #expect(fast.ids.allSatisfy { $0 == -1 || filter.contains($0) }, sourceLocation: sourceLocation) }
            }
        }
    }
}

/// The twin's score for every candidate of every query (k = all rows).
func allTwinScores(_ rows: [ReferenceSearch.Rows], dimension: Int, metric: Metric, queries: [Float], allowed: Set<Int64>?) -> [[Int64: [Float]]] {
    let total = rows.reduce(0) { $0 + $1.ids.count }
    let r = ReferenceSearch.search(rows, dimension: dimension, metric: metric, queries: queries, k: total, allowedIDs: allowed)
    return (0..<r.queryCount).map { q in
        var m: [Int64: [Float]] = [:]
        for (id, s) in zip(r.ids(ofQuery: q), r.scores(ofQuery: q)) where id != -1 { m[id, default: []].append(s) }
        return m
    }
}

/// Decodes a segment exactly as Docs/IndexFormat.md §3 states, independently of `Segment`
/// (the Python snippet's logic): nil if the documented checks fail.
struct DocumentedSegment {
    var version: UInt32, dimension: Int, metric: UInt8, count: Int
    var vectors: [Float], ids: [Int64]
    /// Version 2 IVF segments (kind byte 22 = 1): centroids `(nlist, d)` and CSR list offsets.
    var nlist = 0, centroids: [Float] = [], listOffsets: [Int] = []

    static func u32(_ b: [UInt8], _ o: Int) -> UInt32 { (0..<4).reduce(0) { $0 | UInt32(b[o + $1]) << (8 * UInt32($1)) } }
    static func u64(_ b: [UInt8], _ o: Int) -> UInt64 { (0..<8).reduce(0) { $0 | UInt64(b[o + $1]) << (8 * UInt64($1)) } }

    init?(_ b: [UInt8]) {
        guard b.count >= 128, Array(b[0..<8]) == Array("AUDIXVEC".utf8) else { return nil }
        version = Self.u32(b, 8)
        // Version 3: a 256-byte header (the extension block has its own CRC at 252) and element type 0 or 1.
        guard (1...3).contains(version), Self.u32(b, 12) == 0x0A0B0C0D, b[21] == 0 || (version == 3 && b[21] == 1) else { return nil }
        if version == 3 {
            guard b.count >= 256, Self.u32(b, 252) == CRC32C.checksum(b[128..<252]) else { return nil }
        }
        let width = b[21] == 1 ? 2 : 4
        dimension = Int(Self.u32(b, 16)); metric = b[20]
        let n = Self.u64(b, 24)
        guard n < 1 << 40 else { return nil }
        count = Int(n)
        let voff = Int(Self.u64(b, 32)), ioff = Int(Self.u64(b, 48))
        // .npy 1.0: magic(6) version(2) header length u16, header, data.
        func npyData(_ off: Int) -> Int? {
            guard off + 10 <= b.count, b[off] == 0x93 else { return nil }
            return off + 10 + Int(b[off + 8]) + Int(b[off + 9]) << 8
        }
        guard let vd = npyData(voff), let idd = npyData(ioff), vd + width * count * dimension <= b.count, idd + 8 * count <= b.count else { return nil }
        vectors = width == 4
            ? (0..<(count * dimension)).map { Float(bitPattern: Self.u32(b, vd + 4 * $0)) }
            : (0..<(count * dimension)).map { Float(Float16(bitPattern: UInt16(b[vd + 2 * $0]) | UInt16(b[vd + 2 * $0 + 1]) << 8)) }
        ids = (0..<count).map { Int64(bitPattern: Self.u64(b, idd + 8 * $0)) }
        if version >= 2 && b[22] == 1 {
            nlist = Int(Self.u32(b, 72))
            guard let cd = npyData(Int(Self.u64(b, 80))), let ld = npyData(Int(Self.u64(b, 96))),
                  cd + 4 * nlist * dimension <= b.count, ld + 8 * (nlist + 1) <= b.count else { return nil }
            centroids = (0..<(nlist * dimension)).map { Float(bitPattern: Self.u32(b, cd + 4 * $0)) }
            listOffsets = (0...nlist).map { Int(Self.u64(b, ld + 8 * $0)) }
        }
    }
}


/// Runs the ```python block of Docs/IndexFormat.md followed by `extra` with `arguments`, in CI's
/// venv (AUDIO_INDEX_PYTHON) or the local reference venv; nil when no Python is available outside
/// CI (with CI set a missing Python is a failure). Returns the exit status and stdout.
func runFormatDocSnippet(_ extra: String, arguments: [String]) throws -> (status: Int32, output: String)? {
    let python = ProcessInfo.processInfo.environment["AUDIO_INDEX_PYTHON"] ?? "/work/refenv/bin/python"
    guard FileManager.default.isExecutableFile(atPath: python) else {
        #expect(ProcessInfo.processInfo.environment["CI"] == nil, "CI is set but \(python) is missing")
        return nil
    }
    let doc = try String(contentsOf: Fixtures.packageRoot.appendingPathComponent("Docs/IndexFormat.md"), encoding: .utf8)
    let start = try #require(doc.range(of: "```python\n")), end = try #require(doc.range(of: "```", range: start.upperBound..<doc.endIndex))
    let process = Process()
    process.executableURL = URL(fileURLWithPath: python)
    process.arguments = ["-c", String(doc[start.upperBound..<end.lowerBound]) + extra] + arguments
    let out = Pipe()
    process.standardOutput = out
    try process.run()
    let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    return (process.terminationStatus, text)
}
