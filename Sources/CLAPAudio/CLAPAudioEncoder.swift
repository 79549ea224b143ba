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

    /// laion_clap's `audio_branch.logmel_extractor.melW` [513 × 64] (row-major) when the checkpoint
    /// holds it: the `laion` front end's filter bank (`CLAPFrontEnd(profile: .laion, filterBank:)`).
    public let laionMelFilterBank: [Float]?

    /// Loads any CLAP checkpoint `Weights.ModelCheckpoint` opens: a Hugging Face folder
    /// (`config.json` + `model.safetensors`, sharded safetensors or `pytorch_model.bin`), a laion_clap
    /// `.pt` (`630k-audioset-best.pt`, …) or a single `.safetensors` in either naming. The architecture
    /// comes from `config.json` when the folder has one, else from the tensor shapes. Strict: every
    /// tensor of the audio tower must be present with its exact shape, and every tensor in the file must
    /// be bound, recomputed, or outside the audio encoder by `CheckpointNaming.isOutsideAudioEncoder`.
    public init(contentsOf url: URL) throws {
        try self.init(checkpoint: ModelCheckpoint.open(url.path))
    }

    /// Binds an already opened checkpoint (see `init(contentsOf:)`), so a caller that also needs the
    /// checkpoint's other facts (layout, text tower) opens and maps the file once.
    public init(checkpoint: ModelCheckpoint) throws {
        let naming: CheckpointNaming = checkpoint.layout == .huggingFace ? .huggingFace : .laion
        var configuration: HTSATConfiguration?
        if naming == .huggingFace, let json = checkpoint.configJSON {
            configuration = try HTSATConfiguration.huggingFace(
                configData: json, path: URL(fileURLWithPath: checkpoint.path).appendingPathComponent("config.json").path)
        }
        try self.init(source: checkpoint.tensors, naming: naming, configuration: configuration)
    }

    /// Binds `source` (names per `naming`); `configuration` nil reads the architecture off the tensor shapes.
    public init(source: any TensorSource, naming: CheckpointNaming, configuration: HTSATConfiguration?) throws {
        var w = AudioWeightBinder(source, naming: naming)
        let c = try configuration ?? Self.inferConfiguration(w)
        try c.validate(file: source.path)
        self.configuration = c
        self.path = source.path
        self.naming = naming
        htsat = try HTSAT(&w, c)
        projection = try AudioProjection(&w, c)
        if naming == .laion { try LaionFrontEndTensors.checkSTFT(source, prefix: w.prefix) }
        let melW = LaionFrontEndTensors.melW
        laionMelFilterBank = naming == .laion && w.shape(melW) == [513, c.melBins] ? try source.float32(w.prefix + melW) : nil
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
