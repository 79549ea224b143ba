import Foundation

/// The front-end profiles a user can name (`--profile`).
public enum ProfileFamily: String, CaseIterable, Sendable {
    case laion
    case laionFusion = "laion-fusion"
    /// Hugging Face `ClapFeatureExtractor`, configured by a model folder's `preprocessor_config.json`.
    case hf
}

extension CLAPFrontEnd.Profile {
    /// The family a profile belongs to.
    public var family: ProfileFamily {
        switch self {
        case .laion: return .laion
        case .laionFusion: return .laionFusion
        case .hf: return .hf
        }
    }

    /// Resolves the front end for a model and/or a requested profile family.
    ///
    /// - A Hugging Face model folder (or its `preprocessor_config.json` itself) gives `.hf` with that
    ///   configuration; requesting `laion` or `laion-fusion` for it is an error.
    /// - A laion_clap checkpoint (`.pt`, `.pth`, `.ckpt`) is not supported yet: its front end is
    ///   `laion` or `laion-fusion` depending on the checkpoint, which this build cannot read.
    /// - No model: the requested family, `laion` by default; `hf` alone means the
    ///   `laion/clap-htsat-fused` configuration (`HFFeatureExtractorConfig.clapHTSATFused`).
    public static func resolve(model: URL?, requested: ProfileFamily?) throws -> CLAPFrontEnd.Profile {
        guard let model else {
            switch requested ?? .laion {
            case .laion: return .laion
            case .laionFusion: return .laionFusion
            case .hf: return .hf(.clapHTSATFused)
            }
        }
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: model.path, isDirectory: &isFolder) else {
            throw CLAPFrontEndError.notAModel(path: model.path, detail: "no such file or folder")
        }
        let configURL: URL
        if isFolder.boolValue {
            configURL = model.appendingPathComponent("preprocessor_config.json")
            guard FileManager.default.fileExists(atPath: configURL.path) else {
                throw CLAPFrontEndError.notAModel(path: model.path, detail: "the folder has no preprocessor_config.json")
            }
        } else if ["pt", "pth", "ckpt"].contains(model.pathExtension.lowercased()) {
            throw CLAPFrontEndError.unsupportedModel(path: model.path, detail: "laion_clap checkpoints (.pt) are not supported yet")
        } else if model.lastPathComponent == "preprocessor_config.json" {
            configURL = model
        } else {
            throw CLAPFrontEndError.notAModel(path: model.path, detail: "not a model folder or a known checkpoint format")
        }
        let profile = CLAPFrontEnd.Profile.hf(try HFFeatureExtractorConfig.load(contentsOf: configURL))
        if let requested, requested != .hf {
            throw CLAPFrontEndError.profileMismatch(path: model.path, requested: requested.rawValue, model: "hf")
        }
        return profile
    }
}
