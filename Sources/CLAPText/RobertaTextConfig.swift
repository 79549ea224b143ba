import Foundation

/// The shape of CLAP's RoBERTa text tower and its projection, with the one number that differs between
/// the two checkpoint families: the layer-norm epsilon.
///
/// Field names follow Hugging Face's `ClapTextConfig` (`config.json` `text_config`), so a config diff is
/// a key-by-key diff. laion_clap `.pt` files have no config: every field but the head count follows from
/// the tensor shapes, and the epsilon is roberta-base's 1e-5 (clap-reference-facts.md §8 item 11).
public struct RobertaTextConfig: Sendable, Equatable {
    public var vocabSize: Int               // vocab_size
    public var hiddenSize: Int              // hidden_size
    public var numHiddenLayers: Int         // num_hidden_layers
    public var numAttentionHeads: Int       // num_attention_heads
    public var intermediateSize: Int        // intermediate_size
    public var maxPositionEmbeddings: Int   // max_position_embeddings
    public var typeVocabSize: Int           // type_vocab_size
    public var layerNormEps: Float          // layer_norm_eps: 1e-12 in HF CLAP configs, 1e-5 in laion_clap
    public var padTokenId: Int              // pad_token_id (RoBERTa: 1); positions start at padTokenId + 1
    public var projectionDim: Int           // ClapConfig.projection_dim (512 in every released model)

    public init(vocabSize: Int, hiddenSize: Int, numHiddenLayers: Int, numAttentionHeads: Int, intermediateSize: Int,
                maxPositionEmbeddings: Int, typeVocabSize: Int, layerNormEps: Float, padTokenId: Int, projectionDim: Int) {
        self.vocabSize = vocabSize
        self.hiddenSize = hiddenSize
        self.numHiddenLayers = numHiddenLayers
        self.numAttentionHeads = numAttentionHeads
        self.intermediateSize = intermediateSize
        self.maxPositionEmbeddings = maxPositionEmbeddings
        self.typeVocabSize = typeVocabSize
        self.layerNormEps = layerNormEps
        self.padTokenId = padTokenId
        self.projectionDim = projectionDim
    }

    /// roberta-base as laion_clap builds it (its `config.json` with `layer_norm_eps` 1e-5), joint width 512.
    public static let robertaBase = RobertaTextConfig(
        vocabSize: 50265, hiddenSize: 768, numHiddenLayers: 12, numAttentionHeads: 12, intermediateSize: 3072,
        maxPositionEmbeddings: 514, typeVocabSize: 1, layerNormEps: 1e-5, padTokenId: 1, projectionDim: 512)

    public var headDim: Int { hiddenSize / numAttentionHeads }

    /// Longest input (special tokens included) the position table allows: positions run from
    /// `padTokenId + 1` (reference: `create_position_ids_from_input_ids`).
    public var maxTokens: Int { maxPositionEmbeddings - padTokenId - 1 }

    /// Parameters the forward pass reads per query (word-embedding rows aside), for the bandwidth floor.
    public var streamedParameterCount: Int {
        let h = hiddenSize, i = intermediateSize
        let layer = 4 * h * h + 4 * h + 2 * h * i + i + h + 4 * h
        return numHiddenLayers * layer + h * h + h + h * projectionDim + projectionDim + projectionDim * projectionDim + projectionDim
    }

    /// Floating-point operations of one unpadded query of `tokens` tokens (a multiply-add is 2): the
    /// layers' four matrix products and attention, the pooler and the projection.
    public func queryFLOPs(tokens t: Int) -> Double {
        let t = Double(t), h = Double(hiddenSize), i = Double(intermediateSize), d = Double(projectionDim)
        let layer = 2 * t * (4 * h * h + 2 * h * i) + 2 * 2 * t * t * h
        return Double(numHiddenLayers) * layer + 2 * (h * h + h * d + d * d)
    }

    /// One line recorded in the model fingerprint: architecture and epsilon.
    public var summary: String {
        "roberta L\(numHiddenLayers) H\(hiddenSize) A\(numAttentionHeads) I\(intermediateSize) V\(vocabSize) "
            + "P\(maxPositionEmbeddings) T\(typeVocabSize) pad\(padTokenId) D\(projectionDim) eps\(layerNormEps)"
    }

    /// Reads `text_config` and `projection_dim` of a Hugging Face `ClapModel` `config.json`; absent fields
    /// take `ClapTextConfig`'s defaults. Activations other than exact GELU in the tower and ReLU in the
    /// projection are refused.
    public static func huggingFace(configJSON url: URL) throws -> RobertaTextConfig {
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw CLAPTextError.badConfig(file: url.path, detail: "the file is missing or cannot be read")
        }
        return try huggingFace(configJSON: data, file: url.path)
    }

    /// The same from the file's bytes; `file` names it in errors.
    public static func huggingFace(configJSON data: Data, file path: String) throws -> RobertaTextConfig {
        func bad(_ d: String) -> CLAPTextError { .badConfig(file: path, detail: d) }
        let file: HFClapConfig
        do {
            file = try JSONDecoder().decode(HFClapConfig.self, from: data)
        } catch let DecodingError.typeMismatch(_, context), let DecodingError.dataCorrupted(context) {
            let at = context.codingPath.map(\.stringValue).joined(separator: ".")
            throw bad((at.isEmpty ? "" : "\(at): ") + context.debugDescription)
        } catch {
            throw bad("not a ClapModel config (\(error))")
        }
        guard let text = file.text_config else { throw bad("no \"text_config\" object") }
        let act = text.hidden_act ?? "gelu"
        guard act == "gelu" else { throw bad("text_config.hidden_act is \"\(act)\"; only \"gelu\" (exact erf) is implemented") }
        let projAct = file.projection_hidden_act ?? text.projection_hidden_act ?? "relu"
        guard projAct == "relu" else { throw bad("projection_hidden_act is \"\(projAct)\"; only \"relu\" is implemented") }
        let c = RobertaTextConfig(
            vocabSize: text.vocab_size ?? 50265, hiddenSize: text.hidden_size ?? 768,
            numHiddenLayers: text.num_hidden_layers ?? 12, numAttentionHeads: text.num_attention_heads ?? 12,
            intermediateSize: text.intermediate_size ?? 3072, maxPositionEmbeddings: text.max_position_embeddings ?? 514,
            typeVocabSize: text.type_vocab_size ?? 1, layerNormEps: Float(text.layer_norm_eps ?? 1e-12),
            padTokenId: text.pad_token_id ?? 1, projectionDim: file.projection_dim ?? text.projection_dim ?? 512)
        try c.validate(file: path)
        return c
    }

    func validate(file: String) throws {
        let positive = [("vocab_size", vocabSize), ("hidden_size", hiddenSize), ("num_hidden_layers", numHiddenLayers),
                        ("num_attention_heads", numAttentionHeads), ("intermediate_size", intermediateSize),
                        ("max_position_embeddings", maxPositionEmbeddings), ("type_vocab_size", typeVocabSize),
                        ("projection_dim", projectionDim)]
        for (k, v) in positive where v <= 0 {
            throw CLAPTextError.badConfig(file: file, detail: "\"\(k)\" must be positive, found \(v)")
        }
        guard hiddenSize % numAttentionHeads == 0 else {
            throw CLAPTextError.badConfig(file: file, detail: "hidden_size \(hiddenSize) is not a multiple of num_attention_heads \(numAttentionHeads)")
        }
        guard padTokenId >= 0, padTokenId < vocabSize, maxTokens >= 2 else {
            throw CLAPTextError.badConfig(file: file, detail: "pad_token_id \(padTokenId) leaves no room in \(maxPositionEmbeddings) positions or vocabulary \(vocabSize)")
        }
        guard layerNormEps.isFinite, layerNormEps >= 0 else {
            throw CLAPTextError.badConfig(file: file, detail: "layer_norm_eps must be a non-negative number")
        }
    }
}

/// The fields of a Hugging Face `ClapModel` config.json the text tower needs (configuration_clap.py).
private struct HFClapConfig: Decodable {
    struct Text: Decodable {
        var vocab_size: Int?, hidden_size: Int?, num_hidden_layers: Int?, num_attention_heads: Int?
        var intermediate_size: Int?, max_position_embeddings: Int?, type_vocab_size: Int?, pad_token_id: Int?
        var projection_dim: Int?, layer_norm_eps: Double?, hidden_act: String?, projection_hidden_act: String?
    }
    var text_config: Text?
    var projection_dim: Int?
    var projection_hidden_act: String?
}
