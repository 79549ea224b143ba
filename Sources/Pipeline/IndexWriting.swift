import Catalog
import Diagnostics
import Foundation
import VectorIndex

// What every pipeline writer (`build`, `add`, `merge`) shares: opening the vectors under the lock
// at the catalog's generation, the model comparison, and the `--kind ivf` training step.

extension IndexDirectory {
    /// The vector writer of a pipeline writer: on the first run an empty flat index is created, then
    /// the vectors are opened at the catalog's generation, rolling back whatever a crashed writer
    /// left (Docs/IndexDirectory.md, "Who rolls back"). Changes are staged until `publish()`, so the
    /// catalog commits in between (commit order).
    /// The writer's lock, taken before the catalog is opened (which may create or migrate it), so a
    /// refused second writer has touched nothing.
    func takeWriterLock() throws -> WriterLock { try WriterLock(directory: vectors) }

    func openWriter(catalog: Catalog, dimension: Int, lock: WriterLock) throws -> VectorIndexWriter {
        if try catalog.generation() == 0 && !FileManager.default.fileExists(atPath: vectors.appendingPathComponent("CURRENT").path) {
            // A first build that died before its first commit: start the vectors again (the lock stays).
            for name in (try? FileManager.default.contentsOfDirectory(atPath: vectors.path)) ?? [] where name != "LOCK" {
                try? FileManager.default.removeItem(at: vectors.appendingPathComponent(name))
            }
            _ = try VectorIndexWriter.build(directory: vectors, dimension: dimension, metric: .ip, vectors: [], lock: lock)
            CrashPoints.pass("build.vectors-created")
        }
        let writer = try VectorIndexWriter(directory: vectors, lock: lock, rollingBackTo: { Int(max(1, try catalog.generation())) })
        writer.stageOnly = true
        guard writer.index.dimension == dimension else {
            throw PipelineError.indexMismatch(index: url.path, detail: "the vectors have dimension \(writer.index.dimension), the model \(dimension)")
        }
        return writer
    }
}

extension ModelFacts {
    /// The first compared fact (issue 6 §2: what the fingerprint covers, then the fingerprint
    /// itself) that differs between `self` and `other`, as (name, self's value, other's value).
    /// Text-side facts and paths are recorded, never compared.
    func firstDifference(from other: ModelFacts) -> (name: String, this: String, other: String)? {
        let checks: [(String, String, String)] = [
            ("architecture", architecture, other.architecture),
            ("profile", profile, other.profile),
            ("--long-clip", longClipPolicy, other.longClipPolicy),
            ("dimension", String(dimension), String(other.dimension)),
            ("fingerprint", fingerprint, other.fingerprint),
        ]
        return checks.first { $0.1 != $0.2 }
    }
}

/// `build --kind ivf` and `merge --kind ivf`: train (seeded k-means on min(N, 256·nlist) rows) and
/// assign every row, as one commit in the order of Docs/IndexDirectory.md; nothing to do when the
/// index is IVF already, so a rerun after a kill either finds it done or does it again from the
/// flat rows.
func trainIVFIfFlat(writer: VectorIndexWriter, catalog: Catalog, lists: Int?, seed: UInt64) throws {
    guard writer.index.kind == .flat else { return }
    CrashPoints.pass("ivf.started")
    let n = writer.index.liveCount
    let lists = lists ?? KMeans.defaultListCount(for: n)
    guard n >= lists, n > 0 else {
        StandardError.warn("\(n) vectors are too few for \(lists) IVF lists; the index stays flat")
        return
    }
    let g = try writer.retrain(nlist: lists, options: KMeans.Options(seed: seed))
    CrashPoints.pass("after-vectors")
    try catalog.write { try $0.setGeneration(Int64(g)) }
    CrashPoints.pass("after-catalog")
    try writer.publish()
    CrashPoints.pass("after-publish")
}

/// One group of changes committed together in the order of Docs/IndexDirectory.md: the new
/// vectors (staged segment + `gen-<g+1>.json`), then one catalog transaction recording rows,
/// clips, failures, completed inputs and the generation, then `CURRENT`. `build`, `add` and
/// `merge` fill it; a kill anywhere leaves the old or the new state.
struct CommitGroup {
    /// Row-major vectors, one per entry of `rows`.
    var vectors: [Float] = []
    /// The audio and window start of each new vector; its row number is assigned at commit.
    var rows: [(hash: String, start: Double)] = []
    /// Each clip with the rows it shares (already in the catalog) and its new rows (indices into `rows`).
    var clips: [(ClipRecord, existingRows: [Int64], newRows: [Int])] = []
    var failures: [FailureRecord] = []
    var completed: [(path: String, size: Int64, mtime: Int64, clips: Int)] = []
    var modelHashes: [(identity: FileIdentity, sha256: String)] = []

    var isEmpty: Bool { clips.isEmpty && failures.isEmpty && completed.isEmpty && modelHashes.isEmpty }

    /// Commits the group (nothing when it is empty). Crash points `after-vectors` (step 1 done)
    /// and `after-catalog` (step 2 done) are passed on the way.
    /// `times` receives the index (segment write, publish) and catalog seconds of the commit.
    func commit(writer: VectorIndexWriter, catalog: Catalog, times: StageTimes = StageTimes()) throws {
        guard !isEmpty else { return }
        CrashPoints.pass("commit.started")
        let base = writer.nextRowID
        var next = try catalog.generation()
        if !vectors.isEmpty {
            next = Int64(try times.measure(.index) { try writer.add(vectors: vectors, ids: (0..<Int64(rows.count)).map { base + $0 }) })
            CrashPoints.pass("after-vectors")
        }
        let generation = next
        try times.measure(.catalog) {
            try catalog.write { w in
                for (k, r) in rows.enumerated() {
                    try w.addRow(base + Int64(k), audioHash: r.hash, startSeconds: r.start, generation: generation)
                }
                CrashPoints.pass("catalog.rows-inserted")
                for (clip, existing, newRows) in clips {
                    try w.insertClip(clip, generation: generation)
                    for row in existing { try w.link(clipID: clip.id, row: row) }
                    for k in newRows { try w.link(clipID: clip.id, row: base + Int64(k)) }
                }
                CrashPoints.pass("catalog.clips-inserted")
                for f in failures { try w.recordFailure(f, generation: generation) }
                for c in completed { try w.markFileCompleted(path: c.path, size: c.size, mtimeNanoseconds: c.mtime, clips: c.clips, generation: generation) }
                for h in modelHashes { try w.cacheModelHash(h.sha256, for: h.identity) }
                try w.setGeneration(generation)
            }
        }
        CrashPoints.pass("after-catalog")
        try times.measure(.index) { try writer.publish() }
        CrashPoints.pass("after-publish")
    }
}
