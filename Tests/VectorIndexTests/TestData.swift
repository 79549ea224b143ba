import FileIO
import Foundation
import Testing
import TestSupport
@testable import VectorIndex

extension SeededGenerator {
    /// `count` unit vectors of dimension `d` (row-major), the CLAP case.
    mutating func unitVectors(_ count: Int, _ d: Int) -> [Float] {
        var out: [Float] = []
        for _ in 0..<count {
            var v = floats(d)
            let norm = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
            if norm > 0 { v = v.map { $0 / norm } }
            out += v
        }
        return out
    }
}

/// The correctness rule of issue 5, scaled for scores beyond unit size (damaged bytes can produce
/// 1e30): scores within 1e-6·max(1, |score|); ids may differ from the twin's only between rows whose
/// twin scores lie within that tolerance of each other (near-ties, including the k-th/(k+1)-th).
/// `allScores` holds the twin's scores for every candidate id (several if the stored ids repeat).
func agreesUnderRule(_ fast: SearchResults, _ twin: SearchResults, allScores: [[Int64: [Float]]]) -> String? {
    guard fast.queryCount == twin.queryCount, fast.k == twin.k else { return "shape differs" }
    func tol(_ s: Float) -> Float { 1e-6 * max(1, abs(s)) }
    func close(_ a: Float, _ b: Float) -> Bool {
        if a.isNaN || b.isNaN { return a.isNaN && b.isNaN }
        if a.isInfinite || b.isInfinite { return a == b }
        return abs(a - b) <= tol(max(abs(a), abs(b)))
    }
    for q in 0..<fast.queryCount {
        let fi = Array(fast.ids(ofQuery: q)), ti = Array(twin.ids(ofQuery: q))
        let fs = Array(fast.scores(ofQuery: q)), ts = Array(twin.scores(ofQuery: q))
        // Repeated ids only where the bytes on disk repeat them (damaged id sections in the fuzz test).
        let real = fi.filter { $0 != -1 }
        if Set(real).count != real.count && allScores[q].values.allSatisfy({ $0.count == 1 }) { return "query \(q): repeated ids \(fi)" }
        for j in 0..<fast.k {
            if ti[j] == -1 || fi[j] == -1 {
                if ti[j] != fi[j] { return "query \(q) rank \(j): padding differs \(fi) vs \(ti)" }
                continue
            }
            guard close(fs[j], ts[j]) else { return "query \(q) rank \(j): score \(fs[j]) vs twin \(ts[j])" }
            if fi[j] != ti[j] {
                guard let s = allScores[q][fi[j]], s.contains(where: { close($0, ts[j]) }) else {
                    return "query \(q) rank \(j): id \(fi[j]) vs twin \(ti[j]) without a near-tie (\(fs[j]) vs \(ts[j]))"
                }
            }
        }
    }
    return nil
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

extension SeededGenerator {
    /// Clustered unit vectors (the anchors' generator in small: a few "super" directions, centres
    /// around them, points around the centres), so IVF recall is neither trivial nor hopeless.
    mutating func clusteredUnitVectors(_ count: Int, _ d: Int, clusters: Int, noise: Float = 0.45) -> [Float] {
        let supers = unitVectors(4, d)
        var centres: [[Float]] = []
        for c in 0..<clusters {
            let s = c % 4
            var v = (0..<d).map { supers[s * d + $0] + 0.6 * Float.random(in: -1...1, using: &self) }
            let n = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
            v = v.map { $0 / n }
            centres.append(v)
        }
        var out: [Float] = []
        for _ in 0..<count {
            let c = centres[Int.random(in: 0..<clusters, using: &self)]
            var v = (0..<d).map { c[$0] + noise * Float.random(in: -1...1, using: &self) }
            let n = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
            v = v.map { $0 / n }
            out += v
        }
        return out
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
