import CLAPText
import Foundation
import Testing
import TestSupport

/// Parity with the real references (laion_clap get_text_embedding, transformers get_text_features) on
/// random weights: ids identical, every stage ‖Δ‖/‖ref‖ ≤ 1e-5, final max |Δ| ≤ 1e-4.
@Suite("CLAP text tower against the reference goldens")
struct CLAPTextParityTests {
    @Test("the fixture files match their MANIFEST.json")
    func manifest() throws {
        #expect(try Fixtures.filesNotMatchingManifest("text/MANIFEST.json") == [])
    }

    /// Compares every stage of every query; stage rows of the reference are those of the real tokens.
    func checkStages(_ encoder: CLAPTextEncoder, ref: String, maxLength: Int) throws {
        let texts = try TextFixture.texts()
        let inputs = try TextFixture.inputs(ref)
        let h = encoder.config.hiddenSize, d = encoder.dimension
        var expected: [String: [Float]] = [:]
        var names = ["embeddings", "pooler", "projection", "embedding"]
        names += (0..<encoder.config.numHiddenLayers).map { "layer\($0)" }
        for name in names { expected[name] = try TextFixture.floats("\(ref).\(name).npy").values }
        var row = 0
        for (q, text) in texts.enumerated() {
            let ids = try encoder.tokenIDs(text, maxLength: maxLength)
            #expect(ids == inputs.real[q], "\(ref) query \(q) ids")
            let s = encoder.stages(ids: ids)
            let t = ids.count
            func tokens(_ name: String) -> [Float] { Array(expected[name]![(row * h)..<((row + t) * h)]) }
            #expect(relativeError(s.embeddings, tokens("embeddings")) <= 1e-5, "\(ref) q\(q) embeddings")
            for (i, layer) in s.layers.enumerated() {
                #expect(relativeError(layer, tokens("layer\(i)")) <= 1e-5, "\(ref) q\(q) layer \(i)")
            }
            #expect(relativeError(s.pooler, Array(expected["pooler"]![(q * h)..<((q + 1) * h)])) <= 1e-5, "\(ref) q\(q) pooler")
            #expect(relativeError(s.projection, Array(expected["projection"]![(q * d)..<((q + 1) * d)])) <= 1e-5, "\(ref) q\(q) projection")
            #expect(maxAbsDifference(s.embedding, Array(expected["embedding"]![(q * d)..<((q + 1) * d)])) <= 1e-4, "\(ref) q\(q) embedding")
            row += t
        }
        #expect(row * h == expected["embeddings"]!.count, "every reference token row compared")
    }

    @Test("HF folder: ids (padding 64) and every stage match ClapModel.get_text_features")
    func huggingFaceFolder() throws {
        let encoder = try TextFixture.hfEncoder()
        #expect(encoder.layout.family == .huggingFace)
        #expect(encoder.config.layerNormEps == 1e-12)
        try checkStages(encoder, ref: "hf", maxLength: 64)
    }

    @Test("laion epsilon 1e-5: ids (padding 77) and every stage match laion_clap get_text_embedding")
    func laionEpsilon() throws {
        try checkStages(try TextFixture.hfWeightsWithLaionEpsilon(), ref: "laion", maxLength: 77)
    }

    @Test("laion_clap .pt (module. keys, audio tower, NumPy scalar, int64 position_ids): ids (77) and every stage match get_text_embedding")
    func laionCheckpoint() throws {
        let encoder = try CLAPTextEncoder.load(model: TextFixture.laionPT, tokenizer: TextFixture.hfModel, attentionHeads: 4)
        #expect(encoder.layout.family == .laion)
        #expect(encoder.config.layerNormEps == 1e-5)
        let expected = RobertaTextConfig(vocabSize: 3261, hiddenSize: 48, numHiddenLayers: 2, numAttentionHeads: 4, intermediateSize: 128,
                                         maxPositionEmbeddings: 80, typeVocabSize: 1, layerNormEps: 1e-5, padTokenId: 1, projectionDim: 32)
        #expect(encoder.config == expected, "architecture inferred from the tensor shapes")
        try checkStages(encoder, ref: "laion", maxLength: 77)
    }

    @Test("embed(texts:) rows equal the reference's final embeddings, in input order")
    func embedRows() throws {
        let encoder = try TextFixture.hfEncoder()
        let texts = try TextFixture.texts()
        let rows = try encoder.embed(texts: texts, maxLength: 64)
        let expected = try TextFixture.floats("hf.embedding.npy")
        #expect(rows.count == texts.count && expected.shape == [texts.count, encoder.dimension])
        for (q, row) in rows.enumerated() {
            #expect(maxAbsDifference(row, Array(expected.values[(q * encoder.dimension)..<((q + 1) * encoder.dimension)])) <= 1e-4, "query \(q)")
        }
    }

    @Test("the two epsilons really differ: 1e-12 weights do not reproduce laion's embedding bit for bit")
    func epsilonMatters() throws {
        let laion = try TextFixture.hfWeightsWithLaionEpsilon(), hf = try TextFixture.hfEncoder()
        let text = try TextFixture.texts()[0]
        #expect(try laion.embed(texts: [text]) != hf.embed(texts: [text]))
    }
}
