import Catalog
import Diagnostics
import FileIO
import Foundation
import NumPyFormat
import VectorIndex

/// `remove`, `compact`, `retrain`: one change each, committed in the order of
/// Docs/IndexDirectory.md (vectors staged, catalog, CURRENT) under the writer lock, after the
/// rollback every writer does at its start.
public final class IndexMaintenance {
    public let index: IndexDirectory
    let catalog: Catalog
    let writer: VectorIndexWriter

    public init(index: IndexDirectory) throws {
        self.index = index
        guard FileManager.default.fileExists(atPath: index.catalogURL.path) else {
            throw PipelineError.notAnIndex(path: index.url.path, detail: "no catalog.sqlite")
        }
        let lock = try index.takeWriterLock()   // before the catalog may be migrated
        let catalog = try Catalog(url: index.catalogURL, mode: .readWrite)
        self.catalog = catalog
        guard try catalog.generation() > 0 else { throw PipelineError.notAnIndex(path: index.url.path, detail: "the first build never committed") }
        writer = try VectorIndexWriter(directory: index.vectors, lock: lock, rollingBackTo: { Int(try catalog.generation()) })
        writer.stageOnly = true
    }

    /// Removes clips; a vector shared with a remaining duplicate stays. Unknown ids are refused
    /// before anything changes. Returns the number of vectors tombstoned.
    @discardableResult
    public func remove(ids: [String]) throws -> Int {
        let unique = Array(Set(ids)).sorted()
        var rows = Set<Int64>()
        for id in unique {
            guard try catalog.clip(id: id) != nil else { throw PipelineError.badQuery(detail: "no clip with id \(id) in the index; nothing was removed") }
            rows.formUnion(try catalog.rows(ofClip: id).map(\.row))
        }
        let owners = try catalog.owners(ofRows: Array(rows))
        let removing = Set(unique)
        let freed = rows.filter { (owners[$0] ?? []).allSatisfy { removing.contains($0.clipID) } }.sorted()
        var generation = try catalog.generation()
        CrashPoints.pass("remove.planned")
        if !freed.isEmpty { generation = Int64(try writer.remove(ids: freed)) }
        CrashPoints.pass("after-vectors")
        let g = generation
        try catalog.write { w in
            let catalogFreed = try w.removeClips(ids: unique)
            CrashPoints.pass("catalog.clips-removed")
            precondition(catalogFreed == freed, "catalog freed \(catalogFreed), vectors \(freed)")
            try w.setGeneration(g)
        }
        CrashPoints.pass("after-catalog")
        try writer.publish()
        CrashPoints.pass("after-publish")
        return freed.count
    }

    /// Rewrites the live vectors into one segment (drops tombstones).
    public func compact() throws { try commitVectorsOnly { try writer.compact() } }

    /// Re-clusters into `nlist` IVF lists (seeded k-means on min(N, 256·nlist) vectors); a flat index becomes IVF.
    public func retrain(nlist: Int?) throws { try commitVectorsOnly { try writer.retrain(nlist: nlist, options: KMeans.Options(seed: 1)) } }

    private func commitVectorsOnly(_ change: () throws -> Int) throws {
        let g = Int64(try change())
        CrashPoints.pass("after-vectors")
        try catalog.write { try $0.setGeneration(g) }
        CrashPoints.pass("after-catalog")
        try writer.publish()
        CrashPoints.pass("after-publish")
    }
}

extension IndexQuery {
    /// `export`: `vectors.npy` (N×D `<f4`, live rows), `clips.jsonl` (one line per row in the same
    /// order: row, ids, captions, locators, duration, licence) and `index.faiss` (labels = rows).
    public func export(to folder: URL) throws -> Int {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let live = vectors.liveRows()
        try NPY.write(NPYArray(shape: [live.ids.count, dimension], float32: live.vectors), to: folder.appendingPathComponent("vectors.npy"))
        try vectors.exportFaiss(to: folder.appendingPathComponent("index.faiss"))
        let owners = try catalog.owners(ofRows: live.ids)
        var lines = ""
        for row in live.ids {
            let ids = (owners[row] ?? []).map(\.clipID)
            let clips = try ids.compactMap { try catalog.clip(id: $0) }
            var captions: [String] = []
            for c in clips { for t in c.captions where !captions.contains(t) { captions.append(t) } }
            let locators = clips.map { c -> String in
                switch c.locator {
                case .file(let p): return "{\"path\":\(JSONText.quote(p))}"
                case .archiveMember(let a, let m, let o, let s):
                    return "{\"path\":\(JSONText.quote(a)),\"member\":\(JSONText.quote(m)),\"member_offset\":\(o),\"member_size\":\(s)}"
                }
            }
            let start = owners[row]?.first?.startSeconds ?? 0
            lines += "{\"row\":\(row),\"ids\":[\(ids.map(JSONText.quote).joined(separator: ","))],"
                + "\"captions\":[\(captions.map(JSONText.quote).joined(separator: ","))],\"locators\":[\(locators.joined(separator: ","))],"
                + "\"start_seconds\":\(start),\"duration\":\(clips.first?.duration ?? 0),"
                + "\"licence\":\(clips.first?.licence.map(JSONText.quote) ?? "null")}\n"
        }
        try AtomicFile.write(Array(lines.utf8), to: folder.appendingPathComponent("clips.jsonl"))
        return live.ids.count
    }
}
