import Diagnostics
import FileIO
import Foundation
import NumPyFormat

#if canImport(Glibc)
import Glibc
#endif

/// The one writer of an index directory: holds `LOCK` (flock, exclusive, non-blocking) for its
/// lifetime, so a second writer is refused at once with `.locked`. Every change writes new
/// immutable files, then `gen-<n+1>.json`, then replaces `CURRENT` atomically; only then are
/// files that neither of the two newest generations lists deleted.
public final class VectorIndexWriter {
    public let directory: URL
    /// The generation this writer last committed (or found).
    public private(set) var index: VectorIndex
    private let lock: WriterLock

    /// Opens an existing index for writing; `lock`, when given, is a hold on this directory's LOCK
    /// taken earlier (by an owner that must hold it before touching its own files).
    public init(directory: URL, lock: WriterLock? = nil) throws {
        self.directory = directory
        _ = try CurrentFile.read(directory: directory)
        self.lock = try lock ?? WriterLock(directory: directory)
        index = try VectorIndex.open(directory: directory)
    }

    /// Opens an index for writing at `generation`, the one its owner (a pipeline catalog) records,
    /// rolling back first (Docs/IndexDirectory.md, "Who rolls back"): under the lock, files of
    /// generations newer than `generation` are deleted and `CURRENT` is pointed at it.
    /// `generation` is asked for after the lock is held, so no other writer can move it in between.
    public init(directory: URL, lock: WriterLock? = nil, rollingBackTo liveGeneration: () throws -> Int) throws {
        self.directory = directory
        self.lock = try lock ?? WriterLock(directory: directory)
        do {
            CrashPoints.pass("rollback.locked")
            let generation = try liveGeneration()
            let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
            for name in names {
                let number: Int? = ["gen-": ".json", "seg-": ".vseg", "tomb-": ".npy"].lazy.compactMap { prefix, suffix -> Int? in
                    guard name.hasPrefix(prefix), name.hasSuffix(suffix) else { return nil }
                    return Int(name.dropFirst(prefix.count).dropLast(suffix.count))
                }.first
                if let number, number > generation { unlink(directory.appendingPathComponent(name).path) }
            }
            AtomicFile.syncDirectory(directory.path)
            CrashPoints.pass("rollback.files-deleted")
            if (try? CurrentFile.read(directory: directory)) != generation {
                try CurrentFile.write(directory: directory, generation: generation)
            }
            CrashPoints.pass("rollback.current-fixed")
            index = try VectorIndex(directory: directory, generation: generation)
        }
        // A writer killed after moving CURRENT but before collecting leaves files neither of the two
        // newest generations lists; a rerun with nothing to commit would never publish, so they go
        // now (found by the crash harness: kill at current.reopened or gc.first-unlink).
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        let older = names.compactMap { n -> Int? in
            guard n.hasPrefix("gen-"), n.hasSuffix(".json") else { return nil }
            return Int(n.dropFirst(4).dropLast(5))
        }.filter { $0 < index.generation }.max()
        if let older {
            let url = directory.appendingPathComponent(GenerationFile.fileName(older))
            if let data = FileManager.default.contents(atPath: url.path),
               let previous = try? GenerationFile.decode(data, path: url.path) {
                collectGarbage(keeping: index.manifest.files.union(previous.files))
            }
        } else {
            collectGarbage(keeping: index.manifest.files)
        }
    }


    /// When set, a change writes its files and `gen-<g+1>.json` but leaves `CURRENT` alone until
    /// `publish()`: the pipeline commits its catalog in between (Docs/IndexDirectory.md, commit order).
    public var stageOnly = false
    private var staged: GenerationFile?

    /// The generation written by the last staged change, not yet published.
    public var stagedGeneration: Int? { staged?.generation }

    /// Points `CURRENT` at the staged generation, opens it and deletes files neither it nor its
    /// predecessor lists.
    public func publish() throws {
        guard let gen = staged else { return }
        staged = nil
        try CurrentFile.write(directory: directory, generation: gen.generation)
        let previous = index.manifest
        index = try VectorIndex(directory: directory, generation: gen.generation)
        CrashPoints.pass("current.reopened")
        collectGarbage(keeping: gen.files.union(previous.files))
    }

    /// The id the next added vector gets by default (never one used before).
    public var nextRowID: Int64 { nextFreeID() }

    /// The pipeline index directory `directory` belongs to (layout `PIPELINE/vectors/` next to
    /// `PIPELINE/catalog.sqlite`, issue 6), or nil for a stand-alone vector index.
    public static func pipelineOwner(of directory: URL) -> URL? {
        let parent = directory.standardizedFileURL.deletingLastPathComponent()
        return FileManager.default.fileExists(atPath: parent.appendingPathComponent("catalog.sqlite").path) ? parent : nil
    }

    /// Throws `.pipelineIndex` naming `pipelineCommand` when `directory` belongs to a pipeline index:
    /// the raw `vectors` write commands call this first, the pipeline's own commands do not.
    public static func refuseIfPipelineOwned(_ directory: URL, pipelineCommand: String) throws {
        if let owner = pipelineOwner(of: directory) {
            throw VectorIndexError.pipelineIndex(path: directory.path, pipeline: owner.path, command: pipelineCommand)
        }
    }

    /// How `build` organises the vectors.
    public enum BuildKind: Sendable {
        case flat
        /// k-means on a seeded sample, then every vector in its nearest list. `nlist` nil: about 4·√N.
        case ivf(nlist: Int?, options: KMeans.Options)
        /// IVF with centroids trained elsewhere (row-major `nlist × d`, e.g. `KMeans.train`).
        case ivfWithCentroids([Float])
    }

    /// Creates a new index in `directory` (which must not exist or be empty) holding one segment.
    /// `ids` default to 0..<N. `storage` `.float16` halves the bytes a scan reads (searches are
    /// exact over the stored halves); `sq8Lists` (IVF only) adds SQ8 codes that single queries
    /// scan before re-ranking exactly (Docs/IndexFormat.md §3.2). Later segments keep both.
    @discardableResult
    public static func build(directory: URL, dimension: Int, metric: Metric, vectors: [Float], ids: [Int64]? = nil,
                             kind: BuildKind = .flat, storage: VectorStorage = .float32, sq8Lists: Bool = false,
                             lock: WriterLock? = nil) throws -> VectorIndexWriter {
        guard dimension >= 1, dimension <= SegmentFormat.maximumDimension, vectors.count % dimension == 0 else {
            throw VectorIndexError.badInput(path: directory.path, detail: "dimension \(dimension) does not divide \(vectors.count) values")
        }
        let n = vectors.count / dimension
        let ids = ids ?? (0..<Int64(n)).map { $0 }
        try checkInputIDs(ids, count: n, path: directory.path)
        if sq8Lists, case .flat = kind {
            throw VectorIndexError.badInput(path: directory.path, detail: "SQ8 codes are for IVF lists; build with kind ivf")
        }
        let encoding = SegmentFormat.Encoding(storage: storage, sq8: sq8Lists ? vectors.withUnsafeBufferPointer { SQ8Params.train($0, dimension: dimension) } : nil)
        var ivf: SegmentFormat.IVFPart?
        if case .ivf(let nlist, let options) = kind {
            let lists = nlist ?? KMeans.defaultListCount(for: n)
            try checkListCount(lists, trainingRows: n, path: directory.path)
            ivf = SegmentFormat.IVFPart(centroids: vectors.withUnsafeBufferPointer {
                KMeans.train(vectors: $0, dimension: dimension, nlist: lists, metric: metric, options: options)
            }, offsets: [])
        }
        if case .ivfWithCentroids(let c) = kind {
            guard !c.isEmpty, c.count % dimension == 0 else {
                throw VectorIndexError.badInput(path: directory.path, detail: "\(c.count) centroid values do not make rows of dimension \(dimension)")
            }
            ivf = SegmentFormat.IVFPart(centroids: c, offsets: [])
        }
        return try create(directory: directory, dimension: dimension, metric: metric, vectors: vectors, ids: ids, centroids: ivf?.centroids,
                          encoding: encoding, lock: lock)
    }

    /// Creates a trained, empty IVF index: centroids from k-means on `sample` (row-major), no
    /// vectors. Parts of a sharded build `add` to copies of it; their lists share the centroids.
    @discardableResult
    public static func train(directory: URL, dimension: Int, metric: Metric, sample: [Float], nlist: Int,
                             options: KMeans.Options = .init(), storage: VectorStorage = .float32, sq8Lists: Bool = false) throws -> VectorIndexWriter {
        guard dimension >= 1, dimension <= SegmentFormat.maximumDimension, sample.count % dimension == 0 else {
            throw VectorIndexError.badInput(path: directory.path, detail: "dimension \(dimension) does not divide \(sample.count) values")
        }
        try checkListCount(nlist, trainingRows: sample.count / dimension, path: directory.path)
        let centroids = sample.withUnsafeBufferPointer { KMeans.train(vectors: $0, dimension: dimension, nlist: nlist, metric: metric, options: options) }
        // SQ8 parameters come from the training sample: later `add`s encode with them (clamping outliers).
        let encoding = SegmentFormat.Encoding(storage: storage, sq8: sq8Lists ? sample.withUnsafeBufferPointer { SQ8Params.train($0, dimension: dimension) } : nil)
        return try create(directory: directory, dimension: dimension, metric: metric, vectors: [], ids: [], centroids: centroids, encoding: encoding)
    }

    private static func create(directory: URL, dimension: Int, metric: Metric, vectors: [Float], ids: [Int64], centroids: [Float]?,
                               encoding: SegmentFormat.Encoding, lock: WriterLock? = nil) throws -> VectorIndexWriter {
        let fm = FileManager.default
        // Empty but for a LOCK file (an owner holding the lock already, or a writer that died here).
        if let existing = try? fm.contentsOfDirectory(atPath: directory.path), existing.contains(where: { $0 != CurrentFile.lockName }) {
            throw VectorIndexError.indexExists(path: directory.path)
        }
        try fm.createDirectory(at: directory, withIntermediateDirectories: true)  // Foundation's error names the path
        // The lock is held from before the first generation is written until the writer returned ends.
        let held = try lock ?? WriterLock(directory: directory)
        do {
            let segName = GenerationFile.segmentName(1)
            try writeSegment(directory.appendingPathComponent(segName), dimension: dimension, metric: metric, vectors: vectors, ids: ids,
                             centroids: centroids, encoding: encoding)
            let gen = GenerationFile(generation: 1, dimension: dimension, metric: metric,
                                     segments: [.init(file: segName, generation: 1, count: ids.count)], tombstones: [],
                                     nextID: (ids.max() ?? -1) + 1)
            try AtomicFile.write(Array(gen.encode().utf8), to: directory.appendingPathComponent(GenerationFile.fileName(1)), crashLabel: "generation")
            try CurrentFile.write(directory: directory, generation: 1)
        }
        return try VectorIndexWriter(directory: directory, lock: held)
    }

    /// Writes one segment: flat as given, or (with centroids) each row moved into its nearest list.
    private static func writeSegment(_ url: URL, dimension d: Int, metric: Metric, vectors: [Float], ids: [Int64], centroids: [Float]?,
                                     encoding: SegmentFormat.Encoding) throws {
        guard let centroids else {
            try vectors.withUnsafeBufferPointer { try SegmentFormat.write(to: url, dimension: d, metric: metric, vectors: $0, ids: ids, encoding: encoding) }
            return
        }
        let n = ids.count, nlist = centroids.count / d
        var assignment = [Int32](repeating: 0, count: n)
        vectors.withUnsafeBufferPointer { KMeans.assign($0, dimension: d, centroids: centroids, metric: metric, into: &assignment) }
        try writeGrouped(url, dimension: d, metric: metric, vectors: vectors, ids: ids, lists: assignment, centroids: centroids, nlist: nlist,
                         encoding: encoding)
    }

    /// Counting sort of rows into their lists (input order kept within a list), then the segment.
    static func writeGrouped(_ url: URL, dimension d: Int, metric: Metric, vectors: [Float], ids: [Int64], lists: [Int32], centroids: [Float], nlist: Int,
                             encoding: SegmentFormat.Encoding) throws {
        var offsets = [Int64](repeating: 0, count: nlist + 1)
        for l in lists { offsets[Int(l) + 1] += 1 }
        for l in 0..<nlist { offsets[l + 1] += offsets[l] }
        var next = offsets
        var grouped = [Float](repeating: 0, count: vectors.count), groupedIDs = [Int64](repeating: 0, count: ids.count)
        for (r, l) in lists.enumerated() {
            let at = Int(next[Int(l)]); next[Int(l)] += 1
            groupedIDs[at] = ids[r]
            for j in 0..<d { grouped[at * d + j] = vectors[r * d + j] }
        }
        try grouped.withUnsafeBufferPointer {
            try SegmentFormat.write(to: url, dimension: d, metric: metric, vectors: $0, ids: groupedIDs,
                                    ivf: .init(centroids: centroids, offsets: offsets), encoding: encoding)
        }
    }

    static func checkListCount(_ nlist: Int, trainingRows: Int, path: String) throws {
        guard nlist >= 1, nlist <= SegmentFormat.maximumLists else {
            throw VectorIndexError.badInput(path: path, detail: "nlist \(nlist) is out of range 1…\(SegmentFormat.maximumLists)")
        }
        guard trainingRows >= nlist else {
            throw VectorIndexError.badInput(path: path, detail: "k-means with \(nlist) lists needs at least \(nlist) training vectors, got \(trainingRows)")
        }
    }

    /// Adds vectors as a new segment (IVF: each in its nearest list, no retraining). `ids` default
    /// to the index's next id onwards (never one used before, even if removed and compacted away).
    /// An id already live in the index (or repeated in `ids`) is an error and nothing is written.
    @discardableResult
    public func add(vectors: [Float], ids: [Int64]? = nil) throws -> Int {
        let d = index.dimension
        guard vectors.count % d == 0, !vectors.isEmpty else {
            throw VectorIndexError.badInput(path: directory.path, detail: "expected a non-empty multiple of the index dimension \(d) values, got \(vectors.count)")
        }
        let n = vectors.count / d
        let live = liveIDs()
        let next = nextFreeID()
        let ids = ids ?? (0..<Int64(n)).map { next + $0 }
        try Self.checkInputIDs(ids, count: n, path: directory.path)
        let clashes = ids.filter(live.contains)
        guard clashes.isEmpty else {
            throw VectorIndexError.duplicateIDs(path: directory.path, ids: Array(clashes.prefix(10)), total: clashes.count)
        }
        let g = try nextGeneration()
        let name = GenerationFile.segmentName(g)
        try Self.writeSegment(directory.appendingPathComponent(name), dimension: d, metric: index.metric, vectors: vectors, ids: ids,
                              centroids: index.kind == .ivf ? index.centroids : nil, encoding: index.encoding)
        var gen = index.manifest
        gen.generation = g
        gen.segments.append(.init(file: name, generation: g, count: n))
        gen.nextID = max(next, (ids.max() ?? -1) + 1)
        try commit(gen)
        return g
    }

    /// Hides `ids` from searches with a new tombstone file. Ids not live in the index are an
    /// error listing them; nothing is written. Repeats in `ids` count once.
    @discardableResult
    public func remove(ids: [Int64]) throws -> Int {
        let live = liveIDs()
        var seen = Set<Int64>(), unique: [Int64] = []
        for id in ids where seen.insert(id).inserted { unique.append(id) }
        let unknown = unique.filter { !live.contains($0) }
        guard unknown.isEmpty else {
            throw VectorIndexError.unknownIDs(path: directory.path, ids: Array(unknown.prefix(10)), total: unknown.count)
        }
        guard !unique.isEmpty else { throw VectorIndexError.badInput(path: directory.path, detail: "no ids to remove") }
        let g = try nextGeneration()
        let name = GenerationFile.tombstoneName(g)
        let bytes = NPY.encode(NPYArray(shape: [unique.count], int64: unique))
        try AtomicFile.write(bytes, to: directory.appendingPathComponent(name), crashLabel: "tombstone")
        var gen = index.manifest
        gen.generation = g
        gen.tombstones.append(.init(file: name, generation: g, count: unique.count, crc32c: CRC32C.checksum(bytes)))
        gen.nextID = nextFreeID()
        try commit(gen)
        return g
    }

    /// Rewrites the live vectors into one segment and drops every tombstone (IVF: same lists).
    @discardableResult
    public func compact() throws -> Int {
        let live = index.liveRows()
        let g = try nextGeneration()
        let name = GenerationFile.segmentName(g)
        let url = directory.appendingPathComponent(name)
        if index.kind == .ivf {
            try live.vectors.withUnsafeBufferPointer {
                try SegmentFormat.write(to: url, dimension: index.dimension, metric: index.metric, vectors: $0, ids: live.ids,
                                        ivf: .init(centroids: index.centroids, offsets: live.listOffsets), encoding: index.encoding)
            }
        } else {
            try Self.writeSegment(url, dimension: index.dimension, metric: index.metric, vectors: live.vectors, ids: live.ids, centroids: nil,
                                  encoding: index.encoding)
        }
        try replaceAll(with: name, count: live.ids.count, generation: g)
        return g
    }

    /// Trains new centroids on the live vectors (a seeded sample of them) and rewrites every live
    /// vector into its nearest new list, as one segment; tombstones are dropped. A flat index
    /// becomes IVF. `nlist` nil: keep the current count (flat: about 4·√N).
    @discardableResult
    public func retrain(nlist: Int? = nil, options: KMeans.Options = .init()) throws -> Int {
        let live = index.liveRows()
        let d = index.dimension, n = live.ids.count
        let lists = nlist ?? (index.kind == .ivf ? index.nlist : KMeans.defaultListCount(for: n))
        try Self.checkListCount(lists, trainingRows: n, path: directory.path)
        let centroids = live.vectors.withUnsafeBufferPointer { KMeans.train(vectors: $0, dimension: d, nlist: lists, metric: index.metric, options: options) }
        CrashPoints.pass("vectors.kmeans-trained")
        let g = try nextGeneration()
        let name = GenerationFile.segmentName(g)
        // SQ8 parameters are re-derived from the live vectors, like the centroids.
        var encoding = index.encoding
        if encoding.sq8 != nil { encoding.sq8 = live.vectors.withUnsafeBufferPointer { SQ8Params.train($0, dimension: d) } }
        try Self.writeSegment(directory.appendingPathComponent(name), dimension: d, metric: index.metric, vectors: live.vectors, ids: live.ids,
                              centroids: centroids, encoding: encoding)
        try replaceAll(with: name, count: n, generation: g)
        return g
    }

    private func replaceAll(with name: String, count: Int, generation g: Int) throws {
        var gen = index.manifest
        gen.generation = g
        gen.nextID = nextFreeID()
        gen.segments = [.init(file: name, generation: g, count: count)]
        gen.tombstones = []
        try commit(gen)
    }

    /// One past the largest id this index ever held (the recorded counter, or the stored ids for
    /// generation files written before the counter existed).
    func nextFreeID() -> Int64 {
        let stored = (index.segments.lazy.flatMap { seg in (0..<seg.count).lazy.map(seg.id(at:)) }.max() ?? -1) + 1
        return max(index.manifest.nextID ?? 0, stored)
    }

    // MARK: Internals

    func liveIDs() -> Set<Int64> {
        var live = Set<Int64>()
        for (s, seg) in index.segments.enumerated() {
            for r in 0..<seg.count { let id = seg.id(at: r); if !index.hidden[s].contains(id) { live.insert(id) } }
        }
        return live
    }

    static func checkInputIDs(_ ids: [Int64], count: Int, path: String) throws {
        guard ids.count == count else {
            throw VectorIndexError.badInput(path: path, detail: "\(ids.count) ids for \(count) vectors")
        }
        var seen = Set<Int64>(), repeated: [Int64] = []
        for id in ids where !seen.insert(id).inserted { repeated.append(id) }
        guard repeated.isEmpty else {
            throw VectorIndexError.badInput(path: path, detail: "the ids repeat: \(repeated.prefix(10).map(String.init).joined(separator: ", "))")
        }
        if let negative = ids.first(where: { $0 < 0 }) {
            throw VectorIndexError.badInput(path: path, detail: "id \(negative) is negative (−1 marks a missing result)")
        }
    }

    /// One past the largest generation on disk, so a generation file left by a crashed writer
    /// (written but never named by CURRENT) is never overwritten with different contents.
    private func nextGeneration() throws -> Int {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        let onDisk = names.compactMap { n -> Int? in
            guard n.hasPrefix("gen-"), n.hasSuffix(".json") else { return nil }
            return Int(n.dropFirst(4).dropLast(5))
        }
        return max(index.generation, onDisk.max() ?? 0) + 1
    }

    private func commit(_ gen: GenerationFile) throws {
        precondition(staged == nil, "a staged generation must be published before the next change")
        try AtomicFile.write(Array(gen.encode().utf8), to: directory.appendingPathComponent(GenerationFile.fileName(gen.generation)), crashLabel: "generation")
        if stageOnly { staged = gen; CrashPoints.pass("generation.staged"); return }
        try CurrentFile.write(directory: directory, generation: gen.generation)
        let previous = index.manifest
        index = try VectorIndex(directory: directory, generation: gen.generation)
        CrashPoints.pass("current.reopened")
        collectGarbage(keeping: gen.files.union(previous.files))
    }

    /// Deletes index files that neither of the two newest generations lists, plus temp files of
    /// crashed writers (we hold the lock, so no one else is writing). Readers that pinned an older
    /// generation keep their mappings; a reader that opens one later finds it gone and retries.
    private func collectGarbage(keeping keep: Set<String>) {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        var deleted = 0
        for name in names where !keep.contains(name) {
            let ours = name.hasPrefix("gen-") || name.hasPrefix("seg-") || name.hasPrefix("tomb-")
                || (name.hasPrefix(".") && name.contains(".tmp-"))
            if ours {
                unlink(directory.appendingPathComponent(name).path)
                deleted += 1
                if deleted == 1 { CrashPoints.pass("gc.first-unlink") }
            }
        }
        AtomicFile.syncDirectory(directory.path)
        CrashPoints.pass("gc.done")
    }
}

/// An exclusive hold on an index directory's `LOCK` (flock, non-blocking: a second writer is refused
/// at once with `.locked`), released when the last reference goes. A `VectorIndexWriter` takes one;
/// an owner with files of its own beside the vectors (the pipeline's catalog) takes it first and
/// hands it to the writer, so nothing of the index is opened for writing without it.
public final class WriterLock: @unchecked Sendable {
    private let fd: Int32

    /// Takes the lock of `directory`, creating the folder and its LOCK file if missing.
    public init(directory: URL) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let path = directory.appendingPathComponent(CurrentFile.lockName).path
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw VectorIndexError.io(path: path, errno: errno) }
        if flock(fd, LOCK_EX | LOCK_NB) != 0 {
            let e = errno
            close(fd)
            if e == EWOULDBLOCK { throw VectorIndexError.locked(path: directory.path) }
            throw VectorIndexError.io(path: path, errno: e)
        }
        self.fd = fd
    }

    deinit { close(fd) }  // closing the descriptor releases the flock
}
