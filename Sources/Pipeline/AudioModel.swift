import CLAPAudio
import CLAPFrontEnd
import DSP
import FileIO
import Foundation
import LinearAlgebra
import Weights

/// A CLAP audio model ready to embed clips: the encoder, the front-end profile that fits it, and
/// what identifies it (Docs/IndexDirectory.md; issue 6 item 2).
public struct AudioModel: Sendable {
    /// As given on the command line.
    public let path: String
    public let checkpoint: ModelCheckpoint
    public let encoder: CLAPAudioEncoder
    public let profile: CLAPFrontEnd.Profile
    /// The checkpoint's own `logmel_extractor.melW` (laion_clap files), used by the `laion` profile.
    public let filterBank: MelFilterBank?
    /// Set when an HF folder has no preprocessor_config.json and a default configuration was used.
    public let note: String?

    /// Loads `path` (HF folder or single file) and resolves the profile: the model's own by default
    /// (HF folder → `hf` with its preprocessor_config.json; fused → `laion-fusion`; else `laion`);
    /// a requested profile that does not fit is refused with the reason.
    public static func load(path: String, profile requested: ProfileFamily?) throws -> AudioModel {
        let checkpoint = try ModelCheckpoint.open(path)
        let encoder = try CLAPAudioEncoder(checkpoint: checkpoint)
        let fused = encoder.configuration.enableFusion
        var isFolder: ObjCBool = false
        _ = FileManager.default.fileExists(atPath: path, isDirectory: &isFolder)
        let family = requested ?? (isFolder.boolValue ? .hf : (fused ? .laionFusion : .laion))
        var note: String?
        let profile: CLAPFrontEnd.Profile
        switch family {
        case .laion:
            if fused {
                throw PipelineError.profileMismatch(model: path, profile: "laion", detail: "the model is fused (mel_conv2d + AFF); use laion-fusion")
            }
            profile = .laion
        case .laionFusion:
            if !fused {
                throw PipelineError.profileMismatch(model: path, profile: "laion-fusion", detail: "the model is not fused; its input is one mel channel (use laion)")
            }
            profile = .laionFusion
        case .hf:
            guard isFolder.boolValue else {
                throw PipelineError.profileMismatch(model: path, profile: "hf", detail: "hf is configured by a model folder's preprocessor_config.json; a single checkpoint file uses laion or laion-fusion")
            }
            let url = URL(fileURLWithPath: path).appendingPathComponent("preprocessor_config.json")
            var config: HFFeatureExtractorConfig
            if FileManager.default.fileExists(atPath: url.path) {
                config = try HFFeatureExtractorConfig.load(contentsOf: url)
            } else {
                config = fused ? .clapHTSATFused : .clapHTSATUnfused
                note = "\(path) has no preprocessor_config.json: using the laion/clap-htsat-\(fused ? "fused" : "unfused") feature extractor settings"
            }
            if !fused && config.truncation == .fusion {
                throw PipelineError.profileMismatch(model: path, profile: "hf", detail: "preprocessor_config.json asks for fusion features, but the model is not fused")
            }
            profile = .hf(config)
        }
        var bank: MelFilterBank?
        if profile == .laion {
            let source = checkpoint.tensors
            if let key = ["audio_branch.logmel_extractor.melW", "module.audio_branch.logmel_extractor.melW"].first(where: { source.shape($0) != nil }),
               let shape = source.shape(key), shape.count == 2 {
                bank = MelFilterBank(float32: Matrix(rows: shape[0], columns: shape[1], values: try source.float32(key)))
            }
        }
        let model = AudioModel(path: path, checkpoint: checkpoint, encoder: encoder, profile: profile, filterBank: bank, note: note)
        _ = try model.makeFrontEnd()  // a melW of the wrong shape is refused now, not per clip
        return model
    }

    /// A front end for one worker (front ends are not thread-safe).
    public func makeFrontEnd() throws -> CLAPFrontEnd {
        try CLAPFrontEnd(profile: profile, filterBank: filterBank)
    }

    /// `laion`, `laion-fusion`, `hf-rand_trunc` or `hf-fusion`.
    public var profileName: String {
        switch profile {
        case .laion: return "laion"
        case .laionFusion: return "laion-fusion"
        case .hf(let c): return "hf-\(c.truncation.rawValue)"
        }
    }

    public var dimension: Int { encoder.embeddingDimension }
    public var architecture: String { encoder.configuration.description }
}
