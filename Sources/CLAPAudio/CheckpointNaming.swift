import Foundation
import Weights

/// How a checkpoint spells the audio tower's tensors. The model binds every tensor by its
/// **laion_clap name** (the canonical one: `audio_branch.layers.0.blocks.1.attn.qkv.weight`, the
/// `state_dict` names of the released `630k-*.pt` files without `module.`); Hugging Face names are
/// mapped onto those by `huggingFaceKeys(for:)` (clap-reference-facts.md §2.6, §9).
public enum CheckpointNaming: String, Sendable {
    case laion
    case huggingFace

    /// Component renames from laion_clap to transformers' `ClapModel` (applied left to right to the
    /// canonical key; the first matching prefix rule, then every matching infix rule). `attn.qkv` is
    /// not a rename: transformers splits it into `query`, `key`, `value`, which are concatenated
    /// along the output dimension ([q; k; v], htsat.py `WindowAttention.forward` reshape(B_, N, 3, nH, d)).
    public static let huggingFaceRenames: [(laion: String, huggingFace: String)] = [
        ("audio_branch.", "audio_model.audio_encoder."),
        ("audio_projection.0.", "audio_projection.linear1."),
        ("audio_projection.2.", "audio_projection.linear2."),
        ("audio_encoder.bn0.", "audio_encoder.batch_norm."),
        (".norm1.", ".layernorm_before."),
        (".norm2.", ".layernorm_after."),
        (".attn.proj.", ".attention.output.dense."),
        (".attn.relative_position_bias_table", ".attention.self.relative_position_bias_table"),
        (".attn.relative_position_index", ".attention.self.relative_position_index"),
        (".mlp.fc1.", ".intermediate.dense."),
        (".mlp.fc2.", ".output.dense."),
    ]

    /// The file key(s) holding canonical tensor `key`: one, or three (query, key, value) for `attn.qkv.*`.
    public func fileKeys(for key: String) -> [String] {
        switch self {
        case .laion:
            return [key]
        case .huggingFace:
            var k = key
            for (from, to) in Self.huggingFaceRenames where k.contains(from) {
                k = k.replacingOccurrences(of: from, with: to)
            }
            if let r = k.range(of: ".attn.qkv.") {
                let head = k[..<r.lowerBound], tail = k[r.upperBound...]
                return ["query", "key", "value"].map { "\(head).attention.self.\($0).\(tail)" }
            }
            return [k]
        }
    }

    /// Tensors the audio encoder deliberately does not read, by an explicit rule (never silently):
    /// the text tower and its projection, the logit scales, laion_clap's training-only heads
    /// (`tscam_conv`, `head`, `audio_transform`, `text_transform`), the shifted-window `attn_mask`
    /// buffers (recomputed), and the STFT/mel modules `spectrogram_extractor.*` /
    /// `logmel_extractor.melW`, which belong to the `laion` front end, not to the encoder.
    /// Index buffers (`relative_position_index`, `num_batches_tracked`, `position_ids`) are
    /// `WeightBinder.recomputedBuffers`.
    public func isOutsideAudioEncoder(_ key: String) -> Bool {
        switch self {
        case .laion:
            let prefixes = ["text_branch.", "text_projection.", "text_transform.", "audio_transform.",
                            "audio_branch.tscam_conv.", "audio_branch.head.",
                            "audio_branch.spectrogram_extractor.", "audio_branch.logmel_extractor."]
            return prefixes.contains { key.hasPrefix($0) } || key == "logit_scale_a" || key == "logit_scale_t"
                || key.hasSuffix(".attn_mask")
        case .huggingFace:
            return ["text_model.", "text_projection."].contains { key.hasPrefix($0) }
                || key == "logit_scale_a" || key == "logit_scale_t"
        }
    }
}

/// Strict binding of a checkpoint in either naming to canonical keys (`WeightBinder` underneath:
/// a missing, mis-shaped or left-over tensor throws naming the file's key and both shapes).
struct AudioWeightBinder {
    private(set) var binder: WeightBinder
    let naming: CheckpointNaming
    /// `module.` when the file was saved from a DistributedDataParallel wrapper (laion_clap
    /// checkpoints; factory.py:53-70 strips it the same way).
    let prefix: String

    init(_ file: any TensorSource, naming: CheckpointNaming) {
        binder = WeightBinder(file)
        self.naming = naming
        let keys = file.keys
        prefix = !keys.isEmpty && keys.allSatisfy({ $0.hasPrefix("module.") }) ? "module." : ""
    }

    var path: String { binder.file.path }

    /// The file's shape for canonical `key` (q, k and v stacked for `attn.qkv`), nil when absent.
    func shape(_ key: String) -> [Int]? {
        let shapes = naming.fileKeys(for: key).map { binder.file.shape(prefix + $0) }
        guard let first = shapes.first ?? nil, shapes.allSatisfy({ $0 != nil }) else { return nil }
        if shapes.count == 1 { return first }
        return [shapes.reduce(0) { $0 + ($1?.first ?? 0) }] + first.dropFirst()
    }

    func contains(_ key: String) -> Bool { shape(key) != nil }

    /// Canonical `key` as float32 after checking its shape; `attn.qkv` is read as its three parts.
    mutating func take(_ key: String, _ shape: [Int]) throws -> [Float] {
        let keys = naming.fileKeys(for: key)
        if keys.count == 1 { return try binder.take(prefix + keys[0], shape: shape) }
        precondition(shape.first.map { $0 % keys.count == 0 } ?? false, "split tensor \(key) of shape \(shape)")
        let part = [shape[0] / keys.count] + shape.dropFirst()
        var values: [Float] = []
        for k in keys { values += try binder.take(prefix + k, shape: part) }
        return values
    }

    /// An optional buffer that, when present, must equal what the model recomputes (a file whose
    /// `relative_position_index` differs would otherwise give plausible wrong embeddings).
    func checkRecomputed(_ key: String, expected: [Float]) throws {
        let fileKey = prefix + naming.fileKeys(for: key)[0]
        guard let shape = binder.file.shape(fileKey) else { return }
        guard shape.reduce(1, *) == expected.count, try binder.file.float32(fileKey) == expected else {
            throw WeightsError.corrupt(file: path, detail: "buffer '\(fileKey)' \(shape) differs from the one the model computes")
        }
    }

    /// Throws `unexpectedTensors` for every tensor neither bound, recomputed, nor outside the encoder.
    func finish() throws {
        let p = prefix
        try binder.finish(ignoring: { key in
            let k = key.hasPrefix(p) ? String(key.dropFirst(p.count)) : key
            return naming.isOutsideAudioEncoder(k)
        })
    }
}
