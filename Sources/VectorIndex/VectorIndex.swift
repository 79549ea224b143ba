import FileIO
import Foundation
import NumPyFormat

#if canImport(Glibc)
import Glibc
#endif

/// A vector index directory opened for reading at one generation (Docs/IndexFormat.md).
///
/// Opening maps every segment and checks headers, offsets and counts against the file sizes, and
/// reads the (small) tombstone files; it never reads the vectors, so it costs O(segments), not
/// O(N·d). The generation is pinned: files a later writer deletes stay mapped until release.
/// Layout of every vector block: row-major float32, `x[i * d + j]`.
public final class VectorIndex: @unchecked Sendable {
    public let directory: URL
    public let generation: Int
    public let dimension: Int
    public let metric: Metric
    let segments: [Segment]
    /// Per segment, the ids hidden by tombstones of newer generations.
    let hidden: [Set<Int64>]
    let manifest: GenerationFile

    /// Stored rows, tombstoned ones included.
    public var storedCount: Int { segments.reduce(0) { $0 + $1.count } }
    /// Rows a search can return.
    public var liveCount: Int { storedCount - manifest.tombstones.reduce(0) { $0 + $1.count } }
    public var segmentCount: Int { segments.count }
    public var tombstoneCount: Int { manifest.tombstones.reduce(0) { $0 + $1.count } }
    /// Bytes of all segment files.
    public var segmentBytes: Int { segments.reduce(0) { $0 + $1.file.bytes.count } }

    /// Opens the generation `CURRENT` names. If a listed file is missing (a writer finished and
    /// deleted it between our reading CURRENT and opening it), re-reads CURRENT and retries once.
    public static func open(directory: URL) throws -> VectorIndex {
        try open(directory: directory, beforeRetry: {})
    }

    /// `beforeRetry` lets tests play the writer that finishes between the two attempts.
    static func open(directory: URL, beforeRetry: () throws -> Void) throws -> VectorIndex {
        let first = try CurrentFile.read(directory: directory)
        do {
            return try VectorIndex(directory: directory, generation: first)
        } catch VectorIndexError.missingFile {
            try beforeRetry()
            return try VectorIndex(directory: directory, generation: try CurrentFile.read(directory: directory))
        }
    }

    /// Opens a specific generation (any whose gen-<n>.json and files still exist).
    public init(directory: URL, generation: Int) throws {
        let genURL = directory.appendingPathComponent(GenerationFile.fileName(generation))
        guard let data = FileManager.default.contents(atPath: genURL.path) else { throw VectorIndexError.missingFile(path: genURL.path) }
        let manifest = try GenerationFile.decode(data, path: genURL.path)
        guard manifest.generation == generation else {
            throw VectorIndexError.corrupt(path: genURL.path, detail: "names generation \(manifest.generation)")
        }
        var segments: [Segment] = []
        for entry in manifest.segments {
            let seg = try Segment(path: directory.appendingPathComponent(entry.file).path)
            guard seg.dimension == manifest.dimension, seg.header.metric == manifest.metric, seg.count == entry.count else {
                throw VectorIndexError.corrupt(path: seg.path, detail: "dimension, metric or count disagrees with \(genURL.lastPathComponent)")
            }
            segments.append(seg)
        }
        // One kind per generation; IVF segments share the centroids (byte-compared: O(nlist·d) each).
        if let first = segments.first, first.isIVF {
            for seg in segments.dropFirst() {
                guard seg.isIVF, seg.nlist == first.nlist,
                      memcmp(seg.centroids.baseAddress!, first.centroids.baseAddress!, 4 * first.centroids.count) == 0 else {
                    throw VectorIndexError.corrupt(path: seg.path, detail: "its inverted lists (centroids) differ from \(first.path)'s")
                }
            }
        } else if let ivf = segments.first(where: \.isIVF) {
            throw VectorIndexError.corrupt(path: ivf.path, detail: "an IVF segment in a flat index")
        }
        var tombstones: [(generation: Int, ids: [Int64])] = []
        for entry in manifest.tombstones {
            let path = directory.appendingPathComponent(entry.file).path
            guard let bytes = FileManager.default.contents(atPath: path) else { throw VectorIndexError.missingFile(path: path) }
            guard CRC32C.checksum(bytes) == entry.crc32c else { throw VectorIndexError.checksumMismatch(path: path, section: "tombstone") }
            let array = try bytes.withUnsafeBytes { try NPY.decode($0, path: path) }
            guard let ids = array.int64Values(), array.shape == [entry.count] else {
                throw VectorIndexError.corrupt(path: path, detail: "expected \(entry.count) int64 ids")
            }
            tombstones.append((entry.generation, ids))
        }
        self.directory = directory
        self.generation = generation
        self.dimension = manifest.dimension
        self.metric = manifest.metric
        self.manifest = manifest
        self.segments = segments
        hidden = manifest.segments.map { seg in
            Set(tombstones.filter { $0.generation > seg.generation }.flatMap(\.ids))
        }
    }

    /// Flat (exact) or IVF (inverted lists).
    public enum Kind: String, Sendable, CaseIterable { case flat, ivf }

    public var kind: Kind { segments.first?.isIVF == true ? .ivf : .flat }
    /// Inverted lists (0 for flat).
    public var nlist: Int { segments.first?.nlist ?? 0 }
    /// The centroids, row-major `nlist × dimension` (empty for flat).
    public var centroids: [Float] { segments.first.map { Array($0.centroids) } ?? [] }

    /// How the vectors are stored (every segment alike: `add`, `compact` and `retrain` keep it).
    public var storage: VectorStorage { segments.first?.storage ?? .float32 }
    /// True when the inverted lists carry SQ8 codes (single queries scan them, then re-rank exactly).
    public var hasSQ8Lists: Bool { segments.first?.sq8 != nil }
    /// The segment encoding new segments of this index get (SQ8 parameters of the first segment).
    var encoding: SegmentFormat.Encoding { .init(storage: storage, sq8: segments.first?.sq8) }

    /// For float16 storage, the most a score over the stored halves can differ from the same score
    /// over the float32 vectors they were rounded from, for `query` and stored row `x` (halves as
    /// floats): each component was rounded to nearest with relative error ≤ u = 2⁻¹¹ (absolute
    /// ≤ 2⁻²⁵ below the normal range), so |x − x̂| ≤ e_j = u/(1−u)·|x̂_j| + 2⁻²⁵ and
    /// ip: |Δ| ≤ Σ |q_j|·e_j; l2: |Δ| ≤ Σ e_j·(2|q_j − x̂_j| + e_j). Zero for float32 storage.
    /// (Float32 rounding of the sums themselves is the usual ≤ 1e-6 of the correctness rule.)
    public static func float16ScoreErrorBound(query: [Float], stored x: [Float], metric: Metric) -> Float {
        let u = Double(1) / 2048, rel = u / (1 - u), floor = Double(1) / Double(1 << 25)
        var bound = 0.0
        for j in 0..<min(query.count, x.count) {
            let e = rel * abs(Double(x[j])) + floor
            bound += metric == .ip ? abs(Double(query[j])) * e : e * (2 * abs(Double(query[j]) - Double(x[j])) + e)
        }
        return Float(bound).nextUp
    }

    /// The stored vector (as float32) of live id `id`, or nil.
    public func storedVector(id: Int64) -> [Float]? {
        for (s, seg) in segments.enumerated().reversed() {
            for r in 0..<seg.count where seg.id(at: r) == id && !hidden[s].contains(id) {
                var v = [Float](repeating: 0, count: dimension)
                v.withUnsafeMutableBufferPointer { b in
                    let p = seg.floatRows(r..<(r + 1), scratch: b.baseAddress!)
                    if p != UnsafePointer(b.baseAddress!) { b.baseAddress!.update(from: p, count: dimension) }
                }
                return v
            }
        }
        return nil
    }

    /// Stored rows per list, summed over segments (tombstoned rows included until compact).
    public var listSizes: [Int] {
        guard kind == .ivf else { return [] }
        return (0..<nlist).map { l in segments.reduce(0) { $0 + $1.rows(ofList: l).count } }
    }

    /// faiss's imbalance factor: nlist·Σ size² / N² (1 = perfectly even; anchors §3 saw about 2).
    public var listImbalance: Double {
        let sizes = listSizes
        let n = Double(sizes.reduce(0, +))
        guard n > 0 else { return 0 }
        return Double(sizes.count) * sizes.reduce(0.0) { $0 + Double($1) * Double($1) } / (n * n)
    }

    /// Queries at or above this count go through sgemm in blocks; below it, one SIMD scan each.
    public static let batchThreshold = 8

    /// Top-k for each row-major query (`queries.count / dimension` of them), best first, padded
    /// with id −1 / score NaN. Flat: exact. IVF: the best `nprobe` lists (default 16), more while
    /// fewer than k live allowed rows were seen. `allowedIDs` restricts results to those ids
    /// (applied during the scan; flat: the exact top-k among them).
    public func search(queries: [Float], k: Int, allowedIDs: Set<Int64>? = nil, nprobe: Int? = nil) -> SearchResults {
        precondition(k >= 0 && queries.count % dimension == 0, "search: \(queries.count) floats is not a multiple of \(dimension)")
        if kind == .ivf && !filterIsSelective(allowedIDs) {
            return ivfSearch(queries: queries, k: k, nprobe: max(1, nprobe ?? Self.defaultNProbe), allowedIDs: allowedIDs)
        }
        let nq = queries.count / dimension
        if nq >= Self.batchThreshold {
            return batchedSearch(queries: queries, k: k, allowedIDs: allowedIDs)
        }
        var ids: [Int64] = [], scores: [Float] = []
        ids.reserveCapacity(nq * k); scores.reserveCapacity(nq * k)
        queries.withUnsafeBufferPointer { q in
            for i in 0..<nq {
                var top = TopK(k: k, metric: metric)
                for (s, seg) in segments.enumerated() {
                    FlatKernel.scan(query: q.baseAddress! + i * dimension, segment: seg, rows: 0..<seg.count, hidden: hidden[s], allowed: allowedIDs, into: &top)
                }
                let r = top.sorted()
                ids += r.ids; scores += r.scores
            }
        }
        return SearchResults(queryCount: nq, k: k, ids: ids, scores: scores)
    }

    /// The same search done by `ReferenceSearch` over copies of the mapped bytes (tests, `verify`).
    public func referenceSearch(queries: [Float], k: Int, allowedIDs: Set<Int64>? = nil, nprobe: Int? = nil) -> SearchResults {
        if kind == .ivf {
            return ReferenceSearch.ivfSearch(ivfRows(), centroids: centroids, dimension: dimension, metric: metric, queries: queries, k: k,
                                             nprobe: max(1, nprobe ?? Self.defaultNProbe), allowedIDs: allowedIDs, liveCount: liveCount)
        }
        return ReferenceSearch.search(rows(), dimension: dimension, metric: metric, queries: queries, k: k, allowedIDs: allowedIDs)
    }

    /// Every stored row with its segment's list offsets (IVF).
    public func ivfRows() -> [ReferenceSearch.IVFRows] {
        zip(rows(), segments).map { ReferenceSearch.IVFRows(rows: $0, listOffsets: $1.listOffsets) }
    }

    /// Every stored row as arrays, with the ids hidden per segment.
    public func rows() -> [ReferenceSearch.Rows] {
        segments.enumerated().map { s, seg in ReferenceSearch.Rows(vectors: seg.floatVectors(), ids: seg.ids, hidden: hidden[s]) }
    }

    /// Live vectors and their ids, in segment order (for compact and export); for IVF also grouped
    /// by list (list by list, segments in order within a list) with the CSR offsets of that grouping.
    public func liveRows() -> (vectors: [Float], ids: [Int64], listOffsets: [Int64]) {
        var vectors: [Float] = [], ids: [Int64] = [], offsets: [Int64] = [0]
        var row = [Float](repeating: 0, count: dimension)
        func take(_ s: Int, _ rows: Range<Int>) {
            let seg = segments[s]
            for r in rows {
                let id = seg.id(at: r)
                if hidden[s].contains(id) { continue }
                ids.append(id)
                row.withUnsafeMutableBufferPointer { b in
                    let p = seg.floatRows(r..<(r + 1), scratch: b.baseAddress!)
                    vectors.append(contentsOf: UnsafeBufferPointer(start: p, count: dimension))
                }
            }
        }
        if kind == .ivf {
            for l in 0..<nlist {
                for s in segments.indices { take(s, segments[s].rows(ofList: l)) }
                offsets.append(Int64(ids.count))
            }
        } else {
            for s in segments.indices { take(s, 0..<segments[s].count) }
        }
        return (vectors, ids, offsets)
    }

    /// Reads every byte of every segment and checks both section checksums and the padding.
    public func verify() throws {
        for seg in segments { try seg.verify() }
    }
}
