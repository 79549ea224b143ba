/// Every intermediate of one query, for parity tests against the reference's forward hooks.
public struct TextEncoderStages: Sendable, Equatable {
    /// Number of tokens T (special tokens included).
    public var tokens: Int
    /// `embeddings` output, [T, H] row-major.
    public var embeddings: [Float]
    /// Output of `encoder.layer.i`, [T, H] each.
    public var layers: [[Float]]
    /// `pooler_output`, [H].
    public var pooler: [Float]
    /// `text_projection` output, [D].
    public var projection: [Float]
    /// The L2-normalised embedding, [D].
    public var embedding: [Float]

    public init(tokens: Int, embeddings: [Float], layers: [[Float]], pooler: [Float], projection: [Float], embedding: [Float]) {
        self.tokens = tokens
        self.embeddings = embeddings
        self.layers = layers
        self.pooler = pooler
        self.projection = projection
        self.embedding = embedding
    }
}
