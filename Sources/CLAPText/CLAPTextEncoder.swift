import Dispatch
import Foundation
import NN
import Tokenizer
import Weights

/// CLAP's text tower: text → RoBERTa byte-level BPE ids → RoBERTa → pooler → `text_projection` → L2 norm.
///
/// Reference: laion_clap `CLAP.get_text_embedding` (model.py:698-718, `F.normalize(encode_text(x))`) and
/// transformers `ClapModel.get_text_features` (modeling_clap.py:1466-1496); both feed RoBERTa padded
/// batches (77 / 64 tokens). This encoder runs each query on its real tokens only: padded keys get
/// weight exactly 0 in the reference, positions of real tokens do not depend on padding and the pooler
/// reads token 0, so the result is the same up to rounding (`CLAPTextTests` proves it). Many queries share
/// each dense-layer sgemm (rows concatenated) while attention stays per query, and a query's bits never
/// depend on what else is in the batch (`embed(tokenIDs:threads:)`).
///
/// Float32 weights are read in place from the memory-mapped checkpoint (`WeightStorage`), so loading
/// binds without copying them; the encoder keeps the file mapped while it lives.
///
/// Immutable after loading and `Sendable`: one loaded encoder serves concurrent `embed` calls; each call
/// owns its scratch memory.
public struct CLAPTextEncoder: Sendable {
    public let config: RobertaTextConfig
    public let layout: TextCheckpointLayout
    public let tokenizer: ByteLevelBPETokenizer
    /// The weight file the tensors came from.
    public let weightsPath: String
    let embeddings: RobertaEmbeddings
    let encoder: RobertaEncoder
    let pooler: RobertaPooler
    let projection: TextProjection

    /// laion_clap's tokenizer call pads and truncates to 77 (hook.py:65-72).
    public static let laionMaxLength = 77

    /// Binds the text tower of an open checkpoint, strictly: every tensor the tower needs must be there
    /// with its exact shape, and every other tensor must be a recomputed buffer or a part of CLAP the
    /// text embedding does not use (`TextCheckpointLayout.isIgnored`), else loading throws naming the key.
    ///
    /// - Parameters:
    ///   - config: from `config.json` (HF folders). nil: inferred from the tensor shapes, with laion_clap's
    ///     epsilon 1e-5 and `attentionHeads` (default `hidden / 64`, as in roberta-base and -large).
    public init(checkpoint binder: WeightBinder, config given: RobertaTextConfig?, tokenizer: ByteLevelBPETokenizer,
                attentionHeads: Int? = nil) throws {
        let path = binder.file.path
        let layout = try TextCheckpointLayout.detect(keys: binder.file.keys, file: path)
        var w = TextWeightBinding(binder: binder, layout: layout)
        var c = try given ?? Self.inferConfig(w, file: path, attentionHeads: attentionHeads)
        if given == nil, layout.family == .huggingFace {
            c.layerNormEps = 1e-12  // a bare HF safetensors file without its config.json: ClapTextConfig's default
        }
        self.config = c
        self.layout = layout
        self.tokenizer = tokenizer
        self.weightsPath = path
        embeddings = try RobertaEmbeddings(&w, c)
        encoder = try RobertaEncoder(&w, c)
        pooler = try RobertaPooler(&w, c)
        projection = try TextProjection(&w, c)
        try w.finish()
    }

    /// Loads a Hugging Face `ClapModel` folder (config.json + model.safetensors, a sharded index or
    /// pytorch_model.bin, + tokenizer files), or a single checkpoint file — a laion_clap `.pt`, or any
    /// file `ModelCheckpoint` recognises by content — with the tokenizer folder `tokenizer` (such files
    /// carry none). `tokenizer` also overrides a folder's own tokenizer files.
    public static func load(model: URL, tokenizer: URL? = nil, attentionHeads: Int? = nil) throws -> CLAPTextEncoder {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: model.path, isDirectory: &isFolder) else {
            throw WeightsError.cannotOpen(file: model.path, errno: ENOENT)
        }
        guard isFolder.boolValue || tokenizer != nil else { throw CLAPTextError.noTokenizer(model: model.path) }
        let (tensors, configJSON) = try ModelCheckpoint.openSource(model.path)
        let bpe = try ByteLevelBPETokenizer(folder: tokenizer ?? model)
        let layout = try TextCheckpointLayout.detect(keys: tensors.keys, file: tensors.path)
        var config: RobertaTextConfig?
        if let configJSON, layout.family == .huggingFace {
            config = try RobertaTextConfig.huggingFace(configJSON: configJSON, file: model.appendingPathComponent("config.json").path)
        }
        return try CLAPTextEncoder(checkpoint: WeightBinder(tensors), config: config, tokenizer: bpe, attentionHeads: attentionHeads)
    }

    /// What produced the embeddings: checkpoint family, architecture and layer-norm epsilon.
    public var fingerprint: String { "clap-text \(layout.family.rawValue) \(config.summary)" }

    /// Width of the embeddings (512 for released models).
    public var dimension: Int { config.projectionDim }

    // MARK: Embedding

    /// One L2-normalised embedding row per text, in input order.
    ///
    /// - Parameters:
    ///   - maxLength: ids per text at most, `<s>` and `</s>` included (77 laion_clap, 64 AudioBERT).
    ///   - threads: texts are spread over this many workers, each with its own scratch. Keep BLAS at one
    ///     thread (`BLAS.setThreadCount(1)`) when using more than one.
    public func embed(texts: [String], maxLength: Int = laionMaxLength, threads: Int = 1) throws -> [[Float]] {
        let ids = try texts.map { try tokenIDs($0, maxLength: maxLength) }
        return embed(tokenIDs: ids, threads: threads)
    }

    /// The ids the tower gets for `text`: truncated to `maxLength`, unpadded, checked against the vocabulary.
    public func tokenIDs(_ text: String, maxLength: Int = laionMaxLength) throws -> [Int] {
        guard maxLength <= config.maxTokens else {
            throw CLAPTextError.maxLengthTooLong(maxLength: maxLength, positions: config.maxPositionEmbeddings, model: weightsPath)
        }
        let ids = try tokenizer.encode(text, maxLength: maxLength).ids
        if let bad = ids.first(where: { $0 < 0 || $0 >= config.vocabSize }) {
            throw CLAPTextError.tokenOutOfVocabulary(id: bad, vocabularySize: config.vocabSize,
                                                     tokenizer: tokenizer.files.first?.deletingLastPathComponent().path ?? "")
        }
        return ids
    }

    /// Token rows run through the dense layers together: enough for sgemm to leave its small-m regime, small
    /// enough that a worker's scratch stays near 16 MB at roberta-base size (≈ 30 KB per row).
    public static let rowsPerChunk = 512

    /// Embeddings of already-tokenised, unpadded queries (each 1…`config.maxTokens` valid ids).
    ///
    /// Queries are taken in chunks of up to `rowsPerChunk` token rows; within a chunk every dense layer
    /// (query/key/value, attention output, feed-forward, pooler, projection) is one sgemm over the rows of
    /// all its queries, while attention stays within each query. A row of those products is the same bits
    /// for any number of rows around it (`RowIndependenceTests`), so a query's embedding does not depend on
    /// what else is in the batch, its position, or `threads` (`CLAPTextUnpaddedTests`).
    ///
    /// - Parameter threads: chunks are spread over this many workers, each with its own scratch. Keep BLAS
    ///   at one thread (`BLAS.setThreadCount(1)`) when using more than one.
    public func embed(tokenIDs: [[Int]], threads: Int = 1) -> [[Float]] {
        let n = tokenIDs.count
        guard n > 0 else { return [] }
        let d = config.projectionDim
        let longest = max(1, tokenIDs.map(\.count).max() ?? 1)
        let totalRows = tokenIDs.reduce(0) { $0 + $1.count }
        let wanted = max(1, threads)
        let budget = max(longest, min(Self.rowsPerChunk, (totalRows + wanted - 1) / wanted))
        let chunks = Self.chunks(tokenIDs, rows: budget)
        let maxQueries = chunks.map(\.count).max()!
        let out = RowBuffer(rows: n, columns: d)
        let workers = min(wanted, chunks.count)
        let work: @Sendable (Int) -> Void = { worker in
            let scratch = TextScratch(config: config, maxRows: budget, maxQueries: maxQueries, longestQuery: longest)
            var c = worker
            while c < chunks.count {
                let chunk = chunks[c]
                forward(tokenIDs[chunk], scratch, stages: nil)
                for (k, i) in chunk.enumerated() { out.set(row: i, from: scratch.embedding + k * d) }
                c += workers
            }
        }
        if workers == 1 { work(0) } else { DispatchQueue.concurrentPerform(iterations: workers, execute: work) }
        return out.rows()
    }

    /// Consecutive runs of queries of at most `rows` token rows each (a longer query alone).
    static func chunks(_ tokenIDs: [[Int]], rows budget: Int) -> [Range<Int>] {
        var chunks: [Range<Int>] = []
        var start = 0, rows = 0
        for (i, ids) in tokenIDs.enumerated() {
            if rows + ids.count > budget, i > start {
                chunks.append(start..<i)
                start = i
                rows = 0
            }
            rows += ids.count
        }
        chunks.append(start..<tokenIDs.count)
        return chunks
    }

    /// Every intermediate of one query (unpadded ids), for parity tests.
    public func stages(ids: [Int]) -> TextEncoderStages {
        let scratch = TextScratch(config: config, maxRows: max(ids.count, 1), maxQueries: 1, longestQuery: max(ids.count, 1))
        var stages = TextEncoderStages(tokens: ids.count, embeddings: [], layers: [], pooler: [], projection: [], embedding: [])
        withUnsafeMutablePointer(to: &stages) { forward([ids][...], scratch, stages: $0) }
        return stages
    }

    /// The forward pass of the queries `batch` on `s`; query k's embedding ends in row k of `s.embedding`.
    /// `stages` (one query only) receives every intermediate.
    func forward(_ batch: ArraySlice<[Int]>, _ s: TextScratch, stages: UnsafeMutablePointer<TextEncoderStages>?) {
        precondition(!batch.isEmpty && batch.count <= s.maxQueries && (stages == nil || batch.count == 1), "bad batch of \(batch.count)")
        let h = config.hiddenSize, d = config.projectionDim
        var queries: [Range<Int>] = []
        queries.reserveCapacity(batch.count)
        var t = 0
        for ids in batch {
            precondition(!ids.isEmpty && ids.count <= s.longestQuery && ids.count <= config.maxTokens, "bad token count \(ids.count)")
            precondition(ids.allSatisfy { $0 >= 0 && $0 < config.vocabSize }, "token id outside the vocabulary")
            precondition(t + ids.count <= s.maxRows, "chunk larger than its scratch")
            embeddings.apply(ids: ids, into: s.x + t * h)
            queries.append(t..<(t + ids.count))
            t += ids.count
        }
        func copy(_ p: UnsafeMutablePointer<Float>, _ n: Int) -> [Float] { Array(UnsafeBufferPointer(start: p, count: n)) }
        stages?.pointee.embeddings = copy(s.x, t * h)
        encoder.apply(rows: t, queries: queries, s, afterLayer: stages.map { st in { _ in st.pointee.layers.append(copy(s.x, t * h)) } })
        for (k, q) in queries.enumerated() { (s.first + k * h).update(from: s.x + q.lowerBound * h, count: h) }
        let count = queries.count
        pooler.apply(first: s.first, queries: count, into: s.pooled)
        stages?.pointee.pooler = copy(s.pooled, h)
        projection.apply(s.pooled, queries: count, hidden: s.hidden, into: s.embedding)
        stages?.pointee.projection = copy(s.embedding, d)
        Activation.l2NormalizeRows(s.embedding, rows: count, columns: d)
        stages?.pointee.embedding = copy(s.embedding, d)
    }

    // MARK: Benchmark support

    /// Bytes of weights every query reads: all layers, the pooler and the projection (the word-embedding
    /// table is only read at the query's rows). One short query is bound by streaming these.
    public var streamedWeightBytes: Int {
        var n = 0
        for l in denseLayers { n += l.weight.count + l.outFeatures }
        for layer in encoder.layers {
            n += 2 * (layer.attentionNorm.dimension + layer.outputNorm.dimension)
        }
        return n * MemoryLayout<Float>.size
    }

    /// Reads every streamed weight once (their sum, so the reads cannot be elided): the time this takes is
    /// the memory-bandwidth floor of one query's latency.
    public func streamWeights() -> Float {
        func sum<C: Collection>(_ a: C) -> Float where C.Element == Float {
            a.withContiguousStorageIfAvailable { b in
                var acc = SIMD8<Float>(), k = 0
                let p = b.baseAddress!
                while k + 8 <= b.count {
                    acc += UnsafeRawPointer(p + k).loadUnaligned(as: SIMD8<Float>.self)
                    k += 8
                }
                var s = acc.sum()
                while k < b.count { s += p[k]; k += 1 }
                return s
            }!
        }
        var total: Float = 0
        for l in denseLayers { total += sum(l.weight) + sum(l.bias!) }
        for layer in encoder.layers {
            for norm in [layer.attentionNorm, layer.outputNorm] { total += sum(norm.weight) + sum(norm.bias) }
        }
        return total
    }

    /// Every matrix product with weights a query runs: per layer query, key, value, attention output,
    /// intermediate, output; then the pooler and the two projection layers.
    var denseLayers: [Linear] {
        encoder.layers.flatMap { l in [l.attention.query, l.attention.key, l.attention.value, l.attentionOutput, l.intermediate, l.output] }
            + [pooler.dense, projection.linear1, projection.linear2]
    }

    /// True when every dense-layer weight and the embedding tables are read in place from the mapped file.
    public var weightsAreBorrowed: Bool {
        denseLayers.allSatisfy(\.weight.isBorrowed) && embeddings.wordEmbeddings.isBorrowed && embeddings.positionEmbeddings.isBorrowed
    }

    // MARK: Slow twin

    /// The whole tower the way the reference runs it: over a PADDED sequence (pad-aware positions, padded
    /// keys masked), every product a Double sum. Stage rows are those of the real tokens, in order; used by
    /// tests to prove the unpadded fast path equal to the padded computation.
    public func referenceStages(paddedIDs ids: [Int]) -> TextEncoderStages {
        let mask = ids.map { $0 == config.padTokenId ? 0 : 1 }
        let t = ids.count, h = config.hiddenSize, d = config.projectionDim
        let real = (0..<t).filter { mask[$0] == 1 }
        func realRows(_ x: [Float]) -> [Float] { real.flatMap { x[($0 * h)..<($0 * h + h)] } }
        var x = embeddings.reference(paddedIDs: ids)
        var stages = TextEncoderStages(tokens: real.count, embeddings: realRows(x), layers: [], pooler: [], projection: [], embedding: [])
        for layer in encoder.layers {
            x = layer.reference(x, rows: t, mask: mask)
            stages.layers.append(realRows(x))
        }
        stages.pooler = pooler.reference(first: Array(x[0..<h]))
        stages.projection = projection.reference(stages.pooler)
        stages.embedding = NNReference.l2NormalizeRows(stages.projection, rows: 1, columns: d)
        return stages
    }

    // MARK: Architecture from shapes (laion_clap files have no config)

    static func inferConfig(_ w: TextWeightBinding, file: String, attentionHeads: Int?) throws -> RobertaTextConfig {
        func matrix(_ canonical: String) throws -> (Int, Int) {
            let key = w.layout.fileKey(canonical)
            guard let s = w.shape(canonical) else { throw WeightsError.missingTensor(key: key, file: file) }
            guard s.count == 2, s[0] > 0, s[1] > 0 else { throw WeightsError.shapeMismatch(key: key, expected: [-1, -1], actual: s, file: file) }
            return (s[0], s[1])
        }
        let (vocab, hidden) = try matrix("text_branch.embeddings.word_embeddings.weight")
        let (positions, _) = try matrix("text_branch.embeddings.position_embeddings.weight")
        let (types, _) = try matrix("text_branch.embeddings.token_type_embeddings.weight")
        let (inner, _) = try matrix("text_branch.encoder.layer.0.intermediate.dense.weight")
        let (joint, _) = try matrix("text_projection.0.weight")
        var layers = 0
        while w.shape("text_branch.encoder.layer.\(layers).attention.self.query.weight") != nil { layers += 1 }
        let heads: Int
        if let attentionHeads {
            heads = attentionHeads
        } else {
            guard hidden % 64 == 0 else { throw CLAPTextError.headsNotInferable(file: file, hiddenSize: hidden) }
            heads = hidden / 64
        }
        let c = RobertaTextConfig(vocabSize: vocab, hiddenSize: hidden, numHiddenLayers: layers, numAttentionHeads: heads,
                                  intermediateSize: inner, maxPositionEmbeddings: positions, typeVocabSize: types,
                                  layerNormEps: TextCheckpointLayout.laionLayerNormEps, padTokenId: 1, projectionDim: joint)
        try c.validate(file: file)
        return c
    }
}

/// Embedding rows written by concurrent workers, each to rows no other worker touches.
private final class RowBuffer: @unchecked Sendable {
    let columns: Int
    private let storage: UnsafeMutableBufferPointer<Float>

    init(rows: Int, columns: Int) {
        self.columns = columns
        storage = .allocate(capacity: rows * columns)
        storage.initialize(repeating: 0)
    }

    deinit { storage.deallocate() }

    func set(row: Int, from p: UnsafePointer<Float>) {
        (storage.baseAddress! + row * columns).update(from: p, count: columns)
    }

    func rows() -> [[Float]] {
        stride(from: 0, to: storage.count, by: columns).map { Array(storage[$0..<($0 + columns)]) }
    }
}
