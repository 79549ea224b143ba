import Foundation

/// The shape of an HTSAT audio tower plus its projection, read from a checkpoint.
///
/// laion_clap hard-codes three variants in `create_htsat_model` (htsat.py:981-1030): tiny
/// (96, depths 2-2-6-2), base (128, 2-2-12-2; the `larger_clap_*` and music checkpoints) and large
/// (256); all with heads 4-8-16-32, window 8, patch 4, spectrogram 256 and 64 mel bins. This port
/// implements that family for any width, depths and heads, read from `config.json` (Hugging Face)
/// or from tensor shapes (laion names).
public struct HTSATConfiguration: Sendable, Equatable, CustomStringConvertible {
    /// Patch-embedding width (96 tiny, 128 base); stage `i` has width `embedDim << i`.
    public var embedDim: Int
    public var depths: [Int]
    public var numHeads: [Int]
    /// Output width of `audio_projection` (512 for every released checkpoint).
    public var projectionDim: Int
    /// `enable_fusion`: the fused patch embedding (`mel_conv2d` + AFF) for `longer` clips.
    public var enableFusion: Bool
    public var melBins = 64
    public var specSize = 256
    public var patchSize = 4
    public var windowSize = 8
    public var mlpRatio = 4
    /// AFF channel reduction `r` (`AFF(channels, r=4)`, feature_fusion.py:138).
    public var affReduction = 4
    public var layerNormEpsilon: Float = 1e-5

    public init(embedDim: Int, depths: [Int], numHeads: [Int], projectionDim: Int, enableFusion: Bool) {
        self.embedDim = embedDim
        self.depths = depths
        self.numHeads = numHeads
        self.projectionDim = projectionDim
        self.enableFusion = enableFusion
    }

    /// Width after the last stage (768 tiny, 1024 base): the pooled embedding's size.
    public var finalDim: Int { embedDim << (depths.count - 1) }
    /// `spec_size // mel_bins` (4): how many time chunks are stacked into the square image.
    public var freqRatio: Int { specSize / melBins }
    /// Time frames the image holds (1024); shorter inputs are resized to this.
    public var targetFrames: Int { specSize * freqRatio }
    /// Patch grid side after patch embedding (64).
    public var gridSize: Int { specSize / patchSize }

    public var description: String {
        "HTSAT(embed \(embedDim), depths \(depths.map(String.init).joined(separator: "-")), heads \(numHeads.map(String.init).joined(separator: "-")), window \(windowSize), projection \(projectionDim)\(enableFusion ? ", fusion" : ""))"
    }

    /// Rejects what this port does not implement, naming `file`.
    func validate(file: String) throws {
        func fail(_ d: String) -> CLAPAudioError { .unsupportedArchitecture(file: file, detail: d) }
        guard embedDim > 0, projectionDim > 0, !depths.isEmpty, depths.count == numHeads.count,
              depths.allSatisfy({ $0 > 0 }) else {
            throw fail("embed \(embedDim), depths \(depths), heads \(numHeads), projection \(projectionDim)")
        }
        guard melBins > 0, specSize % melBins == 0, specSize % patchSize == 0, patchSize > 0 else {
            throw fail("spec size \(specSize), mel bins \(melBins), patch \(patchSize)")
        }
        var side = gridSize
        for (i, heads) in numHeads.enumerated() {
            let width = embedDim << i
            guard heads > 0, width % heads == 0 else { throw fail("stage \(i): width \(width) is not divisible by \(heads) heads") }
            let window = min(side, windowSize)
            guard side % window == 0 else { throw fail("stage \(i): a \(side)×\(side) grid does not tile into \(windowSize)×\(windowSize) windows") }
            if i < depths.count - 1 {
                guard side % 2 == 0 else { throw fail("stage \(i): odd grid \(side) cannot be merged") }
                side /= 2
            }
        }
        if enableFusion {
            guard affReduction > 0, embedDim / affReduction > 0 else { throw fail("AFF needs embed ≥ \(affReduction)") }
        }
    }

    // MARK: - Hugging Face config.json

    /// Reads `audio_config` (and `projection_dim`) of a `ClapModel` `config.json`; absent fields take
    /// `ClapAudioConfig`'s defaults (transformers/models/clap/configuration_clap.py).
    public static func huggingFace(configJSON url: URL) throws -> HTSATConfiguration {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw CLAPAudioError.notAModel(path: url.path, detail: "cannot read config.json (\(error.localizedDescription))")
        }
        return try huggingFace(configData: data, path: url.path)
    }

    /// The same from the bytes of `config.json`; `path` names it in errors.
    public static func huggingFace(configData data: Data, path: String) throws -> HTSATConfiguration {
        func bad(_ d: String) -> CLAPAudioError { .badConfiguration(file: path, detail: d) }
        guard let root = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw bad("config.json is not a JSON object")
        }
        guard let audio = root["audio_config"] as? [String: Any] else { throw bad("no \"audio_config\" object") }
        func int(_ key: String, _ fallback: Int, in d: [String: Any] = audio) throws -> Int {
            guard let v = d[key] else { return fallback }
            if let n = v as? NSNumber, n.doubleValue == n.doubleValue.rounded() { return n.intValue }
            throw bad("\"\(key)\" must be an integer")
        }
        func ints(_ key: String, _ fallback: [Int]) throws -> [Int] {
            guard let v = audio[key] else { return fallback }
            guard let a = v as? [NSNumber] else { throw bad("\"\(key)\" must be a list of integers") }
            return a.map(\.intValue)
        }
        func pair(_ key: String, _ fallback: Int) throws -> Int {
            if let a = audio[key] as? [NSNumber] {
                guard a.count == 2, a[0] == a[1] else { throw CLAPAudioError.unsupportedArchitecture(file: path, detail: "non-square \(key) \(a)") }
                return a[0].intValue
            }
            return try int(key, fallback)
        }
        let projection = try int("projection_dim", try int("projection_dim", 512, in: root))
        var c = HTSATConfiguration(
            embedDim: try int("patch_embeds_hidden_size", 96),
            depths: try ints("depths", [2, 2, 6, 2]),
            numHeads: try ints("num_attention_heads", [4, 8, 16, 32]),
            projectionDim: projection,
            enableFusion: (audio["enable_fusion"] as? Bool) ?? false)
        c.melBins = try int("num_mel_bins", 64)
        c.specSize = try int("spec_size", 256)
        c.windowSize = try int("window_size", 8)
        c.affReduction = try int("aff_block_r", 4)
        let patch = try pair("patch_size", 4)
        let stride = try pair("patch_stride", 4)
        guard patch == stride else {
            throw CLAPAudioError.unsupportedArchitecture(file: path, detail: "patch size \(patch) ≠ stride \(stride)")
        }
        c.patchSize = patch
        if let r = audio["mlp_ratio"] as? NSNumber {
            guard r.doubleValue == r.doubleValue.rounded() else { throw CLAPAudioError.unsupportedArchitecture(file: path, detail: "mlp_ratio \(r)") }
            c.mlpRatio = r.intValue
        }
        if let e = audio["layer_norm_eps"] as? NSNumber { c.layerNormEpsilon = e.floatValue }
        let unsupported: [(String, Bool)] = [
            ("fusion_type \(audio["fusion_type"] ?? "nil") (only aff_2d)", c.enableFusion && !["aff_2d", nil].contains(audio["fusion_type"] as? String)),
            ("qkv_bias false", (audio["qkv_bias"] as? Bool) == false),
            ("enable_patch_layer_norm false", (audio["enable_patch_layer_norm"] as? Bool) == false),
            ("patch_embed_input_channels ≠ 1", try int("patch_embed_input_channels", 1) != 1),
            ("projection_hidden_act \(audio["projection_hidden_act"] ?? "") (only relu)", (audio["projection_hidden_act"] as? String).map { $0 != "relu" } ?? false),
            ("hidden_act \(audio["hidden_act"] ?? "") (only gelu)", (audio["hidden_act"] as? String).map { $0 != "gelu" } ?? false),
        ]
        if let (what, _) = unsupported.first(where: { $0.1 }) {
            throw CLAPAudioError.unsupportedArchitecture(file: path, detail: what)
        }
        if let hidden = audio["hidden_size"] as? NSNumber, hidden.intValue != c.finalDim {
            throw bad("audio_config.hidden_size \(hidden) ≠ patch_embeds_hidden_size·2^(stages−1) = \(c.finalDim)")
        }
        try c.validate(file: path)
        return c
    }
}
