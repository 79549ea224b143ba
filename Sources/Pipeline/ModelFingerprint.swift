import CLAPAudio
import FileIO
import Foundation
import Weights

/// The model fingerprint an index records (issue 6 item 2): SHA-256 over the audio-tower tensors the
/// encoder binds — under their laion_clap names (`qkv` fused), sorted, extractor and ignore-listed
/// keys excluded — plus architecture, profile, long-clip policy and dimension. The HF and `.pt`
/// forms of the same weights give the same fingerprint because both are hashed as the canonical
/// (laion-named, float32) tensors the model actually binds.
public enum ModelFingerprint {
    /// The canonical keys of the audio tower in `source` with the file keys holding each (three for
    /// an HF `qkv`), sorted by canonical key (byte order).
    static func canonicalKeys(_ source: any TensorSource, naming: CheckpointNaming) throws -> [(canonical: String, fileKeys: [String])] {
        let keys = source.keys
        let prefix = !keys.isEmpty && keys.allSatisfy({ $0.hasPrefix("module.") }) ? "module." : ""
        let present = Set(keys)
        var seen = Set<String>()
        var out: [(String, [String])] = []
        for raw in keys {
            let key = String(raw.dropFirst(prefix.count))
            guard !WeightBinder.isRecomputedBuffer(key), !naming.isOutsideAudioEncoder(key) else { continue }
            var canonical = key
            switch naming {
            case .laion:
                guard key.hasPrefix("audio_branch.") || key.hasPrefix("audio_projection.") else { continue }
            case .huggingFace:
                guard key.hasPrefix("audio_model.") || key.hasPrefix("audio_projection.") else { continue }
                // ".attention.output.dense." first: it also ends like fc2's ".output.dense."
                canonical = canonical.replacingOccurrences(of: ".attention.output.dense.", with: ".attn.proj.")
                for part in ["query", "key", "value"] {
                    canonical = canonical.replacingOccurrences(of: ".attention.self.\(part).", with: ".attn.qkv.")
                }
                for (laion, hf) in CheckpointNaming.huggingFaceRenames.reversed() where canonical.contains(hf) {
                    canonical = canonical.replacingOccurrences(of: hf, with: laion)
                }
            }
            guard seen.insert(canonical).inserted else { continue }
            let fileKeys = naming.fileKeys(for: canonical).map { prefix + $0 }
            // The mapping must lead back to tensors the file holds, or the hash would not be the bound model's.
            guard fileKeys.allSatisfy(present.contains) else {
                throw WeightsError.missingTensor(key: fileKeys.first { !present.contains($0) }!, file: source.path)
            }
            out.append((canonical, fileKeys))
        }
        return out.sorted { Array($0.0.utf8).lexicographicallyPrecedes(Array($1.0.utf8)) }
    }

    /// Lower-case hex SHA-256 over, per canonical key in order: the key's UTF-8 bytes, a 0 byte, the
    /// rank and shape as little-endian int64, then the float32 values (little-endian) of its file
    /// keys in order (q, k, v concatenated = laion's fused `qkv`).
    public static func tensorDigest(_ source: any TensorSource, naming: CheckpointNaming) throws -> String {
        var hash = SHA256()
        for (canonical, fileKeys) in try canonicalKeys(source, naming: naming) {
            hash.update(Array(canonical.utf8) + [0])
            let shapes = fileKeys.map { source.shape($0) ?? [] }
            var shape = shapes[0]
            if shapes.count > 1, !shape.isEmpty { shape[0] = shapes.reduce(0) { $0 + ($1.first ?? 0) } }
            hash.update(contentsOf: ([shape.count] + shape).map { Int64($0).littleEndian })
            for k in fileKeys {
                hash.update(contentsOf: try source.float32(k).map { $0.bitPattern.littleEndian })
            }
        }
        return SHA256.hex(hash.finalize())
    }

    /// The recorded fingerprint: SHA-256 of the tensor digest and the facts that change embeddings.
    public static func fingerprint(tensorDigest: String, architecture: String, profile: String, longClipPolicy: String, dimension: Int) -> String {
        let text = "audio-index model fingerprint v1\ntensors \(tensorDigest)\narchitecture \(architecture)\nprofile \(profile)\nlong-clip \(longClipPolicy)\ndimension \(dimension)\n"
        return SHA256.hexDigest(Array(text.utf8))
    }
}

extension AudioModel {
    /// `ModelFingerprint.tensorDigest` of this model's checkpoint.
    public func tensorDigest() throws -> String {
        try ModelFingerprint.tensorDigest(checkpoint.tensors, naming: encoder.naming)
    }

    public func fingerprint(tensorDigest: String, longClipPolicy: String) -> String {
        ModelFingerprint.fingerprint(tensorDigest: tensorDigest, architecture: architecture, profile: profileName,
                                     longClipPolicy: longClipPolicy, dimension: dimension)
    }
}
