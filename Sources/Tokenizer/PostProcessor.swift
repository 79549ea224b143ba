/// Adds the special tokens around the content ids: `<s> X </s>` for RoBERTa and CLAP.
///
/// Reference: tokenizers `tokenizers/src/processors/roberta.rs` (`RobertaProcessing`: `cls` + ids + `sep`
/// for a single sequence), `processors/template.rs` (`TemplateProcessing`, single template) and
/// `processors/bert.rs` (same layout); `ByteLevel` and no processor add nothing.
public struct PostProcessor: Sendable, Equatable {
    /// Ids before the content (RoBERTa: `[0]`, `<s>`).
    public var prefix: [Int32]
    /// Ids after the content (RoBERTa: `[2]`, `</s>`).
    public var suffix: [Int32]

    public init(prefix: [Int32], suffix: [Int32]) {
        self.prefix = prefix
        self.suffix = suffix
    }

    public static let none = PostProcessor(prefix: [], suffix: [])

    /// `<s> X </s>`.
    public static func roberta(cls: Int32, sep: Int32) -> PostProcessor {
        PostProcessor(prefix: [cls], suffix: [sep])
    }

    public var specialTokenCount: Int { prefix.count + suffix.count }
}

/// The result of encoding one text.
public struct Encoding: Sendable, Equatable {
    /// Token ids, special tokens and padding included.
    public var ids: [Int]
    /// The byte-level text of each id (`<s>`, `Ġdog`, `<pad>`).
    public var pieces: [String]
    /// 1 for real tokens (specials included), 0 for padding.
    public var attentionMask: [Int]

    public init(ids: [Int], pieces: [String], attentionMask: [Int]) {
        self.ids = ids
        self.pieces = pieces
        self.attentionMask = attentionMask
    }
}
