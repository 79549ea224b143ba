import Foundation
import Weights

extension CLAPAudioEncoder {
    /// Loads the audio tower from any checkpoint `ModelCheckpoint.open` reads: a Hugging Face folder
    /// (`model.safetensors`, sharded safetensors or `pytorch_model.bin`, architecture from its
    /// `config.json`) or a single file (a laion_clap `.pt`, a `.safetensors`; architecture from the
    /// tensor shapes). Binding is as strict as `init(contentsOf:)`.
    public init(checkpoint: ModelCheckpoint) throws {
        let naming: CheckpointNaming = checkpoint.layout == .huggingFace ? .huggingFace : .laion
        var configuration: HTSATConfiguration?
        var isDirectory: ObjCBool = false
        if checkpoint.configJSON != nil,
           FileManager.default.fileExists(atPath: checkpoint.path, isDirectory: &isDirectory), isDirectory.boolValue {
            configuration = try HTSATConfiguration.huggingFace(
                configJSON: URL(fileURLWithPath: checkpoint.path).appendingPathComponent("config.json"))
        }
        try self.init(file: checkpoint.tensors, naming: naming, configuration: configuration)
    }
}
