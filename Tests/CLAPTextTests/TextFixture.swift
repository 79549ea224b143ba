import CLAPText
import Foundation
import NumPyFormat
import Testing
import TestSupport
import Tokenizer
import Weights

/// Tests/Fixtures/text, written by Scripts/reference/make_text_fixtures.py.
enum TextFixture {
    static let folder = Fixtures.url("text")
    static let hfModel = folder.appendingPathComponent("hf-model")
    static let laionPT = folder.appendingPathComponent("laion.pt")

    struct Queries: Decodable { let template: String; let spans: [String]; let texts: [String] }

    static func texts() throws -> [String] {
        try JSONDecoder().decode(Queries.self, from: Data(contentsOf: folder.appendingPathComponent("queries.json"))).texts
    }

    static func array(_ name: String) throws -> NPYArray {
        try NPY.read(contentsOf: folder.appendingPathComponent(name))
    }

    static func floats(_ name: String) throws -> (shape: [Int], values: [Float]) {
        let a = try array(name)
        return (a.shape, try #require(a.float32Values()))
    }

    /// Rows of an int64 [N, L] array.
    static func intRows(_ name: String) throws -> [[Int]] {
        let a = try array(name)
        let v = try #require(a.int64Values()).map(Int.init)
        return (0..<a.shape[0]).map { Array(v[($0 * a.shape[1])..<(($0 + 1) * a.shape[1])]) }
    }

    /// The reference's input for query i: padded ids and their unpadded (mask = 1) prefix.
    struct Inputs { let padded: [[Int]]; let real: [[Int]] }

    static func inputs(_ ref: String) throws -> Inputs {
        let ids = try intRows("\(ref).input_ids.npy"), mask = try intRows("\(ref).attention_mask.npy")
        let real = zip(ids, mask).map { row, m in zip(row, m).filter { $0.1 == 1 }.map(\.0) }
        return Inputs(padded: ids, real: real)
    }

    /// The HF folder's text tower (its own config: eps 1e-12).
    static func hfEncoder() throws -> CLAPTextEncoder { try CLAPTextEncoder.load(model: hfModel) }

    /// The same weights with laion_clap's epsilon, as the laion .pt in the fixture holds them (the generator
    /// loads one set of weights into both references).
    static func hfWeightsWithLaionEpsilon() throws -> CLAPTextEncoder {
        var config = try RobertaTextConfig.huggingFace(configJSON: hfModel.appendingPathComponent("config.json"))
        config.layerNormEps = 1e-5
        let weights = try SafetensorsFile(contentsOf: hfModel.appendingPathComponent("model.safetensors"))
        return try CLAPTextEncoder(checkpoint: WeightBinder(weights), config: config,
                                   tokenizer: try ByteLevelBPETokenizer(folder: hfModel))
    }
}

/// ‖a − b‖ / ‖b‖ in Double.
func relativeError(_ a: [Float], _ b: [Float]) -> Double {
    precondition(a.count == b.count, "\(a.count) vs \(b.count) values")
    var d = 0.0, r = 0.0
    for (x, y) in zip(a, b) { d += Double(x - y) * Double(x - y); r += Double(y) * Double(y) }
    return (d / max(r, 1e-300)).squareRoot()
}

func maxAbsDifference(_ a: [Float], _ b: [Float]) -> Float {
    precondition(a.count == b.count)
    return zip(a, b).map { abs($0 - $1) }.max() ?? 0
}
