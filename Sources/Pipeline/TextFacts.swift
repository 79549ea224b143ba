import Catalog
import CLAPText
import FileIO
import Foundation
import Weights

/// The text side of an index's model (issue 6 item 2): recorded beside the fingerprint and shown by
/// `info`, never compared on `add` (a build only uses the audio tower).
public struct TextFacts: Sendable, Equatable {
    /// SHA-256 over the text-tower tensors (`text_branch.`/`text_model.` and `text_projection.`), sorted.
    public var textTowerHash: String
    public var layerNormEpsilon: Double
    /// The tokenizer folder (given, else the model folder) and the SHA-256 of its files.
    public var tokenizerPath: String
    public var tokenizerHash: String

    /// The facts, or nil when the checkpoint has no loadable text tower or no tokenizer (the build
    /// goes on; `query --text` will then need --model/--tokenizer).
    public static func compute(model: AudioModel, tokenizer: String?) -> TextFacts? {
        guard let encoder = try? CLAPTextEncoder.load(model: URL(fileURLWithPath: model.path),
                                                      tokenizer: tokenizer.map { URL(fileURLWithPath: $0) }) else { return nil }
        let source = model.checkpoint.tensors
        var hash = SHA256()
        for key in source.keys {
            let k = key.hasPrefix("module.") ? String(key.dropFirst(7)) : key
            guard ["text_branch.", "text_model.", "text_projection."].contains(where: k.hasPrefix),
                  source.dtype(key)?.isFloatingPoint == true, let values = try? source.float32(key) else { continue }
            hash.update(Array(k.utf8) + [0])
            hash.update(contentsOf: values.map { $0.bitPattern.littleEndian })
        }
        let folder = IndexBuilder.absolute(tokenizer ?? model.path)
        var tok = SHA256()
        for name in ["tokenizer.json", "vocab.json", "merges.txt", "tokenizer_config.json", "special_tokens_map.json"] {
            guard let data = FileManager.default.contents(atPath: URL(fileURLWithPath: folder).appendingPathComponent(name).path) else { continue }
            tok.update(Array(name.utf8) + [0])
            tok.update(Array(SHA256.hexDigest(data).utf8))
        }
        return TextFacts(textTowerHash: SHA256.hex(hash.finalize()), layerNormEpsilon: Double(encoder.config.layerNormEps),
                         tokenizerPath: folder, tokenizerHash: SHA256.hex(tok.finalize()))
    }
}
