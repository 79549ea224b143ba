import Foundation
import NN
import Weights

/// One clip's encoder input: log-mel features as the model's front end makes them.
public struct EncoderInput: Sendable {
    /// `[channels × frames × melBins]`, row-major: one channel (`laion`, `hf` rand_trunc) or four
    /// (fusion profiles: the shrunk whole clip, then the front, middle and back crops).
    public var features: [Float]
    /// Mel frames per channel (1001 for a 10 s window); at most `specSize·freqRatio` (1024).
    public var frames: Int
    /// laion_clap's `longer` flag: a fusion model fuses channels 1–3 in only when it is set.
    public var longer: Bool

    public init(features: [Float], frames: Int = 1001, longer: Bool = false) {
        self.features = features
        self.frames = frames
        self.longer = longer
    }
}

/// The CLAP audio tower: HTSAT, `audio_projection`, L2 normalisation (laion_clap
/// `CLAP.get_audio_embedding`, model.py:720-743). Immutable after loading, so one instance serves
/// any number of concurrent `embed` calls (each call owns its scratch).
///
/// Each clip goes through its own matrix products, whatever the batch: an embedding's bits do not
/// depend on the batch size, its position or the other clips (OpenBLAS's sgemm does not split the
/// inner dimension across threads, so the thread count does not change them either; tested).
public struct CLAPAudioEncoder: Sendable {
    public let configuration: HTSATConfiguration
    /// Where the weights came from and how they were named.
    public let path: String
    public let naming: CheckpointNaming
    public let htsat: HTSAT
    public let projection: AudioProjection

    /// Loads a Hugging Face `ClapModel` folder (`config.json` + `model.safetensors`) or a single
    /// `.safetensors` file in either naming (architecture from tensor shapes). Strict: every tensor
    /// of the audio tower must be present with its exact shape, and every tensor in the file must be
    /// bound, recomputed or outside the audio encoder by `CheckpointNaming.isOutsideAudioEncoder`.
    public init(contentsOf url: URL) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
            throw WeightsError.cannotOpen(file: url.path, errno: ENOENT)
        }
        if isDirectory.boolValue {
            let config = url.appendingPathComponent("config.json")
            let weights = url.appendingPathComponent("model.safetensors")
            guard FileManager.default.fileExists(atPath: config.path) else {
                throw CLAPAudioError.notAModel(path: url.path, detail: "the folder has no config.json")
            }
            guard FileManager.default.fileExists(atPath: weights.path) else {
                let hasBin = FileManager.default.fileExists(atPath: url.appendingPathComponent("pytorch_model.bin").path)
                throw CLAPAudioError.notAModel(path: url.path, detail: hasBin
                    ? "only pytorch_model.bin is present; this build reads model.safetensors"
                    : "the folder has no model.safetensors")
            }
            let c = try HTSATConfiguration.huggingFace(configJSON: config)
            try self.init(file: try SafetensorsFile(contentsOf: weights), naming: .huggingFace, configuration: c)
        } else {
            guard url.pathExtension == "safetensors" else {
                throw CLAPAudioError.notAModel(path: url.path, detail: "a single checkpoint file must be .safetensors in this build")
            }
            let file = try SafetensorsFile(contentsOf: url)
            let stripped = file.keys.map { $0.hasPrefix("module.") ? String($0.dropFirst(7)) : $0 }
            let naming: CheckpointNaming = stripped.contains { $0.hasPrefix("audio_model.") } ? .huggingFace : .laion
            try self.init(file: file, naming: naming, configuration: nil)
        }
    }

    /// Binds `file` (names per `naming`); `configuration` nil reads the architecture off the tensor shapes.
    public init(file: any TensorSource, naming: CheckpointNaming, configuration: HTSATConfiguration?) throws {
        var w = AudioWeightBinder(file, naming: naming)
        let c = try configuration ?? Self.inferConfiguration(w)
        try c.validate(file: file.path)
        self.configuration = c
        self.path = file.path
        self.naming = naming
        htsat = try HTSAT(&w, c)
        projection = try AudioProjection(&w, c)
        try w.finish()
    }

    /// The architecture from tensor shapes, as laion_clap checkpoints carry no config: embed width
    /// from `patch_embed.proj.weight`, stages and blocks from the `layers.i.blocks.j` keys, heads and
    /// window from each stage's `relative_position_bias_table` [(2w−1)², nH], the projection from
    /// `audio_projection.0.weight`, fusion from `patch_embed.mel_conv2d`.
    static func inferConfiguration(_ w: AudioWeightBinder) throws -> HTSATConfiguration {
        func need(_ key: String) throws -> [Int] {
            guard let s = w.shape(key) else { throw WeightsError.missingTensor(key: w.naming.fileKeys(for: key)[0], file: w.path) }
            return s
        }
        let proj = try need("audio_branch.patch_embed.proj.weight")
        guard proj.count == 4, proj[1] == 1, proj[2] == proj[3] else {
            throw CLAPAudioError.unsupportedArchitecture(file: w.path, detail: "patch_embed.proj.weight has shape \(proj)")
        }
        var depths: [Int] = [], heads: [Int] = [], window = 8
        while w.contains("audio_branch.layers.\(depths.count).blocks.0.norm1.weight") {
            let i = depths.count
            var blocks = 0
            while w.contains("audio_branch.layers.\(i).blocks.\(blocks).norm1.weight") { blocks += 1 }
            let table = try need("audio_branch.layers.\(i).blocks.0.attn.relative_position_bias_table")
            guard table.count == 2 else { throw CLAPAudioError.unsupportedArchitecture(file: w.path, detail: "bias table shape \(table)") }
            heads.append(table[1])
            if i == 0 {
                let side = Int(Double(table[0]).squareRoot().rounded())
                guard side * side == table[0], side % 2 == 1 else {
                    throw CLAPAudioError.unsupportedArchitecture(file: w.path, detail: "bias table with \(table[0]) rows")
                }
                window = (side + 1) / 2
            }
            depths.append(blocks)
        }
        guard !depths.isEmpty else { throw WeightsError.missingTensor(key: w.naming.fileKeys(for: "audio_branch.layers.0.blocks.0.norm1.weight")[0], file: w.path) }
        let projection = try need("audio_projection.0.weight")
        var c = HTSATConfiguration(embedDim: proj[0], depths: depths, numHeads: heads, projectionDim: projection[0],
                                   enableFusion: w.contains("audio_branch.patch_embed.mel_conv2d.weight"))
        c.patchSize = proj[2]
        c.windowSize = window
        c.melBins = try need("audio_branch.bn0.weight")[0]
        if c.enableFusion, let inner = w.shape("audio_branch.patch_embed.fusion_model.local_att.0.weight")?.first, inner > 0 {
            c.affReduction = c.embedDim / inner
        }
        return c
    }

    /// Output width (512 for released checkpoints).
    public var embeddingDimension: Int { configuration.projectionDim }

    /// The L2-normalised embedding of one clip.
    public func embed(_ input: EncoderInput, observe: StageObserver? = nil) throws -> [Float] {
        let c = configuration
        let plane = input.frames * c.melBins
        guard input.frames > 0, input.frames <= c.targetFrames, plane > 0, input.features.count % plane == 0 else {
            throw CLAPAudioError.featureShape(expected: "channels × frames × \(c.melBins) with 1 ≤ frames (\(input.frames)) ≤ \(c.targetFrames)",
                                              actual: input.features.count)
        }
        let channels = input.features.count / plane
        let allowed = c.enableFusion ? (input.longer ? [4] : [1, 4]) : [1]
        guard allowed.contains(channels) else {
            throw CLAPAudioError.featureShape(expected: allowed.map { "\($0) × \(input.frames) × \(c.melBins)" }.joined(separator: " or ")
                                              + (c.enableFusion && input.longer ? " (a longer clip needs its 4 fusion channels)" : ""),
                                              actual: input.features.count)
        }
        let scratch = HTSATScratch(c, channels: channels, frames: input.frames)
        let pooled = input.features.withUnsafeBufferPointer {
            htsat.forward($0.baseAddress!, channels: channels, frames: input.frames, longer: input.longer && c.enableFusion,
                          scratch: scratch, observe: observe)
        }
        var embedding = projection.apply(pooled)
        observe?("projected", embedding)
        embedding.withUnsafeMutableBufferPointer { Activation.l2NormalizeRows($0.baseAddress!, rows: 1, columns: $0.count) }
        observe?("embedding", embedding)
        return embedding
    }

    /// Embeddings of a batch, in order. A batch is a loop: each clip gets exactly the computation it
    /// gets alone, so its bits do not depend on the batch.
    public func embed(batch: [EncoderInput]) throws -> [[Float]] {
        try batch.map { try embed($0) }
    }
}
