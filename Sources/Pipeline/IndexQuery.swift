import AudioIO
import CLAPFrontEnd
import Catalog
import CLAPText
import Diagnostics
import Foundation
import LinearAlgebra
import VectorIndex

/// One search hit: a vector row and every clip that shares it.
public struct QueryHit: Sendable, Equatable {
    public var rank: Int
    public var score: Float
    public var row: Int64
    /// Every clip id owning the row (byte-identical duplicates share it), in byte order.
    public var ids: [String]
    /// Start of the best window (seconds; 0 unless the index stores `segments`).
    public var startSeconds: Double
    public var captions: [String]
    public var locator: ClipLocator
}

/// Searches an index directory: readers open the generation the catalog records and never write.
public final class IndexQuery {
    public let index: IndexDirectory
    public let catalog: Catalog
    /// The generation the catalog recorded when this reader opened (or last caught up).
    public private(set) var vectors: VectorIndex

    public init(index: IndexDirectory) throws {
        self.index = index
        (catalog, vectors) = try index.openForReading()
    }

    public var dimension: Int { vectors.dimension }

    /// The audio model for `--audio`: `path` or the recorded one, checked against the recorded
    /// fingerprint (tensor digest from the catalog's cache when the file is unchanged).
    public func audioModel(path: String?) throws -> AudioModel {
        guard let facts = try catalog.model() else { throw PipelineError.notAnIndex(path: index.url.path, detail: "no model recorded") }
        let family: ProfileFamily = facts.profile.hasPrefix("hf") ? .hf : (facts.profile == "laion-fusion" ? .laionFusion : .laion)
        let model = try AudioModel.load(path: path ?? facts.modelPath, profile: family)
        let identity = try fileIdentity(model.checkpoint.tensors.path)
        let digest = try catalog.cachedModelHash(for: identity) ?? model.tensorDigest()
        let now = model.fingerprint(tensorDigest: digest, longClipPolicy: facts.longClipPolicy)
        if now != facts.fingerprint {
            throw PipelineError.indexMismatch(index: index.url.path, detail: "the model \(path ?? facts.modelPath) is not the one the index was built with (\(facts.modelPath))")
        }
        return model
    }

    /// The embedding of an audio file, as the build embedded clips (the recorded long-clip policy;
    /// `segments` queries with the clip's first window).
    public func embedAudio(file: String, model: AudioModel) throws -> [Float] {
        guard let facts = try catalog.model() else { throw PipelineError.notAnIndex(path: index.url.path, detail: "no model recorded") }
        BLAS.setThreadCount(1)
        let policy = IndexLongClipPolicy(rawValue: facts.longClipPolicy) ?? .center
        let embedder = try ClipEmbedder(model: model, policy: policy == .segments ? .windows : policy)
        switch embedder.embedFile(path: file) {
        case .success(let v): return v
        case .failure(let f): throw PipelineError.badQuery(detail: f.message)
        }
    }

    /// Text embeddings with the recorded (or given) text tower.
    public func embedText(_ texts: [String], model: String?, tokenizer: String?, template: String?) throws -> [Float] {
        guard let facts = try catalog.model() else { throw PipelineError.notAnIndex(path: index.url.path, detail: "no model recorded") }
        let encoder = try CLAPTextEncoder.load(model: URL(fileURLWithPath: model ?? facts.modelPath),
                                               tokenizer: (tokenizer ?? facts.tokenizerPath).map { URL(fileURLWithPath: $0) })
        guard encoder.dimension == dimension else {
            throw PipelineError.indexMismatch(index: index.url.path, detail: "the text tower gives \(encoder.dimension)-d embeddings, the index holds \(dimension)-d vectors")
        }
        let queries = template.map { t in texts.map { t.replacingOccurrences(of: "{}", with: $0) } } ?? texts
        return try encoder.embed(texts: queries).flatMap { $0 }
    }

    /// The stored vector of a clip (its first window).
    public func vector(ofClip id: String) throws -> [Float] {
        guard let row = try catalog.rows(ofClip: id).first?.row else { throw PipelineError.badQuery(detail: "no clip with id \(id) in the index") }
        let live = vectors.liveRows()
        guard let at = live.ids.firstIndex(of: row) else { throw PipelineError.inconsistent(index: index.url.path, problems: ["row \(row) of \(id) is not in the vectors"]) }
        return Array(live.vectors[(at * dimension)..<((at + 1) * dimension)])
    }

    /// The allowed rows for `--where` and `--match` (nil: no filter).
    public func allowedRows(where filter: String?, match words: String?) throws -> Set<Int64>? {
        var allowed: Set<Int64>?
        if let filter { allowed = try catalog.rows(where: try CatalogFilter(filter)) }
        if let words {
            var rows = Set<Int64>()
            for id in try catalog.clipIDs(matchingWords: words) { rows.formUnion(try catalog.rows(ofClip: id).map(\.row)) }
            allowed = allowed.map { $0.intersection(rows) } ?? rows
        }
        return allowed
    }

    /// Top-k distinct clips per query (row-major `queries`), best first, all from one committed
    /// generation: if a writer commits while the hits are looked up in the catalog, the answer
    /// could mix two generations (a removed clip's row with no owner), so it is computed again on
    /// the generation the catalog records now (issue 7 item 3; ConcurrencyTests).
    public func search(queries: [Float], k: Int, nprobe: Int?, allowed: Set<Int64>?) throws -> [[QueryHit]] {
        for _ in 0..<100 {
            let opened = vectors.generation
            let answer = try searchOnce(queries: queries, k: k, nprobe: nprobe, allowed: allowed)
            if try catalog.generation() == Int64(opened) { return answer }
            vectors = try index.openVectors(recordedBy: catalog)
        }
        throw PipelineError.inconsistent(index: index.url.path, problems: ["the index changed under 100 consecutive queries; run the query again"])
    }

    private func searchOnce(queries: [Float], k: Int, nprobe: Int?, allowed: Set<Int64>?) throws -> [[QueryHit]] {
        guard !queries.isEmpty, queries.count % dimension == 0 else {
            throw PipelineError.badQuery(detail: "query vectors have \(queries.count) values; the index holds \(dimension)-d vectors")
        }
        let segments = (try catalog.model()?.longClipPolicy) == IndexLongClipPolicy.segments.rawValue
        let fetch = segments ? k * 8 : k
        let results = vectors.search(queries: queries, k: fetch, allowedIDs: allowed, nprobe: nprobe)
        var out: [[QueryHit]] = []
        for q in 0..<results.queryCount {
            let pairs = zip(results.ids(ofQuery: q), results.scores(ofQuery: q)).filter { $0.0 >= 0 }
            let owners = try catalog.owners(ofRows: pairs.map(\.0))
            var hits: [QueryHit] = []
            var seen = Set<String>()
            for (row, score) in pairs {
                guard let o = owners[row], !o.isEmpty else { continue }
                let ids = o.map(\.clipID)
                if ids.contains(where: seen.contains) { continue }  // a better window of the same clip came first
                seen.formUnion(ids)
                guard let clip = try catalog.clip(id: ids[0]) else { continue }
                var captions: [String] = []
                for id in ids { for c in (try catalog.clip(id: id)?.captions ?? []) where !captions.contains(c) { captions.append(c) } }
                hits.append(QueryHit(rank: hits.count + 1, score: score, row: row, ids: ids, startSeconds: o[0].startSeconds,
                                     captions: captions, locator: clip.locator))
                if hits.count == k { break }
            }
            out.append(hits)
        }
        return out
    }
}

extension IndexQuery {
    /// Catalog ↔ vectors consistency and every checksum: SQLite's integrity check and the catalog's
    /// rules, the vector files' checks, and the catalog's rows equal to the live vector ids.
    public func verify() throws -> [String] {
        var problems = try catalog.consistencyProblems()
        do { try vectors.verify() } catch { problems.append(ErrorReport.line(for: error)) }
        let live = Set(vectors.liveRows().ids)
        let mapped = try catalog.rowCount()
        let owners = try catalog.owners(ofRows: Array(live))
        let unowned = live.filter { owners[$0] == nil }
        if !unowned.isEmpty { problems.append("\(unowned.count) live vectors have no clip in the catalog (e.g. row \(unowned.min()!))") }
        if mapped != live.count { problems.append("the catalog maps \(mapped) rows, the vectors hold \(live.count) live rows") }
        return problems
    }
}
