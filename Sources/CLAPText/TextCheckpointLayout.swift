import Foundation
import NN
import Weights

/// The two ways CLAP checkpoints name the text tower, and the mapping between them.
///
/// Every weight is bound under its **canonical** name, laion_clap's `state_dict` key
/// (`text_branch.encoder.layer.0.attention.self.query.weight`, `text_projection.0.weight`), verbatim
/// at the line that loads it. The table below is the only place that knows the other spelling:
///
/// | canonical (laion_clap, `model.py:506-514`) | Hugging Face `ClapModel` (`modeling_clap.py`) |
/// |---|---|
/// | `text_branch.<rest>`                       | `text_model.<rest>` (RoBERTa's own names are the same) |
/// | `text_projection.0.{weight,bias}`          | `text_projection.linear1.{weight,bias}` |
/// | `text_projection.2.{weight,bias}`          | `text_projection.linear2.{weight,bias}` |
///
/// Released laion_clap files were saved from `DataParallel`, so their keys carry a `module.` prefix,
/// which `load_state_dict` strips (`factory.py:53-70`). `PyTorchCheckpoint` strips it already; for
/// other sources (a converted .safetensors) `keyPrefix` keeps it.
public struct TextCheckpointLayout: Sendable, Equatable {
    public enum Family: String, Sendable {
        case laion, huggingFace = "hugging-face"
    }

    public let family: Family
    /// Prepended to every file key: `"module."` for DataParallel-saved laion files, else `""`.
    public let keyPrefix: String

    public init(family: Family, keyPrefix: String = "") {
        self.family = family
        self.keyPrefix = keyPrefix
    }

    /// The layout of a checkpoint, from its keys: the family whose text-tower prefix appears.
    public static func detect(keys: [String], file: String) throws -> TextCheckpointLayout {
        for prefix in ["", "module."] {
            if keys.contains(where: { $0.hasPrefix(prefix + "text_branch.") }) { return .init(family: .laion, keyPrefix: prefix) }
            if keys.contains(where: { $0.hasPrefix(prefix + "text_model.") }) { return .init(family: .huggingFace, keyPrefix: prefix) }
        }
        throw CLAPTextError.unknownLayout(file: file, sampleKeys: Array(keys.prefix(4)))
    }

    /// The file's key for a canonical key.
    public func fileKey(_ canonical: String) -> String {
        guard family == .huggingFace else { return keyPrefix + canonical }
        let table: [(String, String)] = [
            ("text_branch.", "text_model."),
            ("text_projection.0.", "text_projection.linear1."),
            ("text_projection.2.", "text_projection.linear2."),
        ]
        for (laion, hf) in table where canonical.hasPrefix(laion) {
            return keyPrefix + hf + canonical.dropFirst(laion.count)
        }
        return keyPrefix + canonical
    }

    /// Tensors that are in CLAP checkpoints but not part of the text embedding, left unbound on purpose:
    /// the audio tower and its projection, the logit scales (only softmax probabilities use them), the
    /// training-only MLPs `audio_transform`/`text_transform` (laion `model.py:530-546`), and HF's
    /// all-zero `token_type_ids` buffer (int64, recomputed; `position_ids` is already one of
    /// `WeightBinder.recomputedBuffers`). Everything else must be bound or loading fails.
    public func isIgnored(_ fileKey: String) -> Bool {
        guard fileKey.hasPrefix(keyPrefix) else { return false }
        let key = fileKey.dropFirst(keyPrefix.count)
        let prefixes: [String]
        let exact: Set<String>
        switch family {
        case .laion:
            prefixes = ["audio_branch.", "audio_projection.", "audio_transform.", "text_transform."]
            exact = ["logit_scale_a", "logit_scale_t"]
        case .huggingFace:
            prefixes = ["audio_model.", "audio_projection."]
            exact = ["logit_scale_a", "logit_scale_t", "text_model.embeddings.token_type_ids"]
        }
        return exact.contains(String(key)) || prefixes.contains { key.hasPrefix($0) }
    }

    /// laion_clap's `RobertaModel` is roberta-base with `layer_norm_eps` 1e-5; HF folders say theirs.
    public static let laionLayerNormEps: Float = 1e-5
}

/// A `WeightBinder` that takes canonical names and reads the layout's spelling, so errors name the key
/// as it is in the user's file.
struct TextWeightBinding {
    var binder: WeightBinder
    let layout: TextCheckpointLayout

    /// `[Float]` of the tensor with canonical name `canonical`, shape checked exactly.
    mutating func take(_ canonical: String, _ shape: [Int]) throws -> [Float] {
        try binder.take(layout.fileKey(canonical), shape: shape)
    }

    /// The tensor as layer storage, shape checked exactly: aligned F32 tensors of a memory-mapped file are
    /// borrowed in place (the layer keeps the file alive), anything else is converted once.
    mutating func storage(_ canonical: String, _ shape: [Int]) throws -> WeightStorage {
        switch try binder.takeInPlace(layout.fileKey(canonical), shape: shape) {
        case .mapped(let view, let owner): return WeightStorage(borrowing: view, keepingAlive: owner)
        case .converted(let values): return WeightStorage(values)
        }
    }

    /// A `Linear` whose weight is `<prefix>.weight` [out, in] (borrowed when possible) and bias `<prefix>.bias` [out].
    mutating func linear(_ prefix: String, in inFeatures: Int, out outFeatures: Int) throws -> Linear {
        Linear(weight: try storage("\(prefix).weight", [outFeatures, inFeatures]), bias: try take("\(prefix).bias", [outFeatures]),
               inFeatures: inFeatures, outFeatures: outFeatures)
    }

    /// The stored shape of a canonical key, nil when absent.
    func shape(_ canonical: String) -> [Int]? { binder.file.shape(layout.fileKey(canonical)) }

    /// Strict end of loading: anything neither bound, a recomputed buffer, nor ignored by the layout throws.
    func finish() throws {
        let layout = self.layout
        try binder.finish(ignoring: { layout.isIgnored($0) })
    }
}
