import Foundation

/// RoBERTa / GPT-2 byte-level BPE, as CLAP's text encoder is fed: identical ids to Hugging Face `tokenizers`.
///
/// Pipeline (the reference's `Tokenizer::encode` with the pieces laion_clap's `RobertaTokenizer` configures):
/// added tokens such as `<s>` or `<mask>` are found in the raw text (`AddedVocabulary`); the rest is split
/// into words by GPT-2's pattern (`ByteLevelPreTokenizer`); each word's UTF-8 bytes are merged by rank
/// (`BPEModel`); the content is truncated to leave room for the special tokens, wrapped as `<s> … </s>`
/// (`PostProcessor`), and padded with `<pad>` (id 1 in RoBERTa) up to the maximum length on request.
///
/// laion_clap calls `tokenizer(text, padding="max_length", truncation=True, max_length=77)` (hook.py:65-72),
/// which is `encode(text, maxLength: 77, padToMaxLength: true)`.
public struct ByteLevelBPETokenizer: Sendable {
    public let model: BPEModel
    public let preTokenizer: ByteLevelPreTokenizer
    public let addedVocabulary: AddedVocabulary
    public let postProcessor: PostProcessor
    /// The padding token and its id (RoBERTa: `<pad>`, 1), if the tokenizer has one.
    public let padding: (token: String, id: Int32)?
    /// The files the tokenizer was read from.
    public let files: [URL]
    /// The piece of every id: added tokens over the vocabulary, as the reference looks them up.
    private let pieces: [String?]

    public init(model: BPEModel, preTokenizer: ByteLevelPreTokenizer, addedVocabulary: AddedVocabulary,
                postProcessor: PostProcessor, padding: (token: String, id: Int32)?, files: [URL]) {
        self.model = model
        self.preTokenizer = preTokenizer
        self.addedVocabulary = addedVocabulary
        self.postProcessor = postProcessor
        self.padding = padding
        self.files = files
        var table = model.idToToken
        for token in addedVocabulary.tokens where token.id >= 0 {
            if Int(token.id) >= table.count { table += [String?](repeating: nil, count: Int(token.id) + 1 - table.count) }
            table[Int(token.id)] = token.content
        }
        pieces = table
    }

    /// Encodes one text.
    ///
    /// - Parameters:
    ///   - maxLength: at most this many ids, special tokens included (the content is cut at the end, so
    ///     `<s>` and `</s>` stay: at most `maxLength - 2` content tokens for RoBERTa). nil: no limit.
    ///   - padToMaxLength: append the padding token (attention mask 0) up to `maxLength`.
    ///   - addSpecialTokens: false leaves out `<s>` and `</s>`.
    public func encode(_ text: String, maxLength: Int? = nil, padToMaxLength: Bool = false,
                       addSpecialTokens: Bool = true) throws -> Encoding {
        let processor = addSpecialTokens ? postProcessor : .none
        var content = contentIDs(text)
        if let maxLength {
            let room = maxLength - processor.specialTokenCount
            guard room >= 0 else {
                throw TokenizerError.maxLengthTooSmall(maxLength: maxLength, specialTokens: processor.specialTokenCount)
            }
            if content.count > room { content.removeLast(content.count - room) }
        }
        var ids = processor.prefix + content + processor.suffix
        var mask = [Int](repeating: 1, count: ids.count)
        if padToMaxLength, let maxLength, ids.count < maxLength {
            guard let padding else { throw TokenizerError.noPaddingToken(path: files.first?.path ?? "") }
            mask += [Int](repeating: 0, count: maxLength - ids.count)
            ids += [Int32](repeating: padding.id, count: maxLength - ids.count)
        }
        return Encoding(ids: ids.map(Int.init), pieces: ids.map { piece($0) ?? "" }, attentionMask: mask)
    }

    /// The ids of `text` without special tokens, truncation or padding.
    func contentIDs(_ text: String) -> [Int32] {
        let utf8 = Array(text.utf8)
        var ids: [Int32] = []
        ids.reserveCapacity(utf8.count / 3 + 1)
        for segment in addedVocabulary.split(utf8) {
            switch segment {
            case .token(let id):
                ids.append(id)
            case .text(let range):
                let stretch = String(decoding: utf8[range], as: UTF8.self)
                for word in preTokenizer.split(stretch[...]) {
                    ids += model.encode(word: word)
                }
            }
        }
        return ids
    }

    /// Text for ids: the byte-level pieces are joined, mapped back to bytes and read as UTF-8 (invalid
    /// sequences, e.g. from a cut multi-byte character, become U+FFFD). Unknown ids are skipped.
    ///
    /// Reference: tokenizers `Tokenizer::decode` and the `ByteLevel` decoder (`decode_chain`: a piece with a
    /// character outside the byte table contributes its own UTF-8; `String::from_utf8_lossy`).
    public func decode(_ ids: [Int], skipSpecialTokens: Bool = false) -> String {
        var bytes: [UInt8] = []
        for id in ids {
            guard let id32 = Int32(exactly: id), let piece = piece(id32) else { continue }
            if skipSpecialTokens, addedVocabulary.isSpecial(id32) { continue }
            bytes += ByteEncoder.decode(piece) ?? Array(piece.utf8)
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The piece for an id (added tokens first, then the vocabulary), or nil.
    public func token(for id: Int) -> String? {
        Int32(exactly: id).flatMap(piece)
    }

    /// The id of a piece (`"Ġdog"`, `"<s>"`), or nil.
    public func id(for token: String) -> Int? {
        if let added = addedVocabulary.tokens.first(where: { $0.content == token }) { return Int(added.id) }
        return model.tokenToID[token].map(Int.init)
    }

    /// The padding id (RoBERTa: 1), or nil when the tokenizer has no padding token.
    public var padID: Int? { padding.map { Int($0.id) } }

    private func piece(_ id: Int32) -> String? {
        guard id >= 0, Int(id) < pieces.count else { return nil }
        return pieces[Int(id)]
    }

    /// One past the largest id.
    public var idCount: Int { pieces.count }
}
