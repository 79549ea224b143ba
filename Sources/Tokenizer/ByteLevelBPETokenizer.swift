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
    /// One past the largest id of the vocabulary and the added tokens.
    public let idCount: Int

    public init(model: BPEModel, preTokenizer: ByteLevelPreTokenizer, addedVocabulary: AddedVocabulary,
                postProcessor: PostProcessor, padding: (token: String, id: Int32)?, files: [URL]) {
        self.model = model
        self.preTokenizer = preTokenizer
        self.addedVocabulary = addedVocabulary
        self.postProcessor = postProcessor
        self.padding = padding
        self.files = files
        idCount = max(model.idCount, Int(addedVocabulary.tokens.map(\.id).max() ?? -1) + 1)
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
        var content: [Int32]
        if let maxLength {
            let room = maxLength - processor.specialTokenCount
            guard room >= 0 else {
                throw TokenizerError.maxLengthTooSmall(maxLength: maxLength, specialTokens: processor.specialTokenCount)
            }
            content = contentIDs(text, limit: room)
            if content.count > room { content.removeLast(content.count - room) }
        } else {
            content = contentIDs(text)
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

    /// The ids of `text` without special tokens, truncation or padding: all of them, or (with `limit`) at
    /// least the first `limit` of them — exactly the first `limit` ids of the unlimited result, or all of it
    /// when it is shorter — with work bounded by about the text those ids come from (`encodeStretch`).
    func contentIDs(_ text: String, limit: Int? = nil) -> [Int32] {
        let utf8 = Array(text.utf8)
        var ids: [Int32] = []
        ids.reserveCapacity(min(utf8.count / 3 + 1, (limit ?? Int.max - 1) + 1))
        for segment in addedVocabulary.split(utf8) {
            if let limit, ids.count >= limit { break }
            switch segment {
            case .token(let id):
                ids.append(id)
            case .text(let range):
                encodeStretch(utf8[range], into: &ids, limit: limit)
            }
        }
        return ids
    }

    /// Appends the ids of one stretch between added tokens (the unlimited path: the whole stretch).
    ///
    /// With a limit, only a prefix of the stretch is split and encoded, which keeps a 1 MB query about as
    /// cheap as a short one when the result is cut to 77 ids anyway. Why the result is unchanged:
    /// - Each word the pre-tokenizer returns gives at least one id when every byte has an id or there is an
    ///   unknown token (`everyWordGivesAnID`), so the words after the `limit`-th cannot reach the kept ids.
    /// - The pre-tokenizer's choice of a word [start, end) depends only on the scalars up to index end + 1
    ///   (`ByteLevelPreTokenizer.wordRanges`: a class run looks at the scalar after it; `\s+(?!\S)` at the
    ///   one after the white-space run, which is end + 1 when it gives back its last space; a failed
    ///   contraction `'r`/`'v`/`'l` at the scalar after the next). So splitting a prefix of P scalars gives
    ///   the same words as splitting the whole stretch for every word with end ≤ P − 2 (by induction from
    ///   the first word). Only those words are used; when they do not reach the limit, the prefix doubles
    ///   (up to the whole stretch), so the work stays proportional to the prefix needed.
    /// The test `cappedEqualsUncapped` compares the two on the committed strings at many limits and on long
    /// texts of many scripts.
    func encodeStretch(_ bytes: ArraySlice<UInt8>, into ids: inout [Int32], limit: Int?) {
        guard let limit, preTokenizer.useRegex, model.everyWordGivesAnID else {
            for word in preTokenizer.split(String(decoding: bytes, as: UTF8.self)[...]) {
                ids += model.encode(word: word)
            }
            return
        }
        let base = ids.count
        var scalarBudget = 4 * max(0, limit - base) + 64
        while true {
            ids.removeLast(ids.count - base)
            // The first `scalarBudget` scalars (a scalar starts at every byte that is not 10xxxxxx).
            var end = bytes.startIndex, count = 0
            while end < bytes.endIndex {
                if bytes[end] & 0xC0 != 0x80 {
                    if count == scalarBudget { break }
                    count += 1
                }
                end += 1
            }
            let whole = end == bytes.endIndex
            let scalars = preTokenizer.scalars(of: String(decoding: bytes[bytes.startIndex..<end], as: UTF8.self)[...])
            for word in ByteLevelPreTokenizer.wordRanges(scalars) {
                if !whole, word.upperBound > scalars.count - 2 { break }
                ids += model.encode(word: preTokenizer.utf8(scalars[word]))
                if ids.count >= limit { return }
            }
            if whole { return }
            scalarBudget *= 2
        }
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
        return model.vocabulary.id(token).map(Int.init)
    }

    /// The padding id (RoBERTa: 1), or nil when the tokenizer has no padding token.
    public var padID: Int? { padding.map { Int($0.id) } }

    /// The piece of an id: added tokens over the vocabulary, as the reference looks them up.
    private func piece(_ id: Int32) -> String? {
        guard id >= 0 else { return nil }
        return addedVocabulary.token(for: id)?.content ?? model.vocabulary.token(id)
    }
}
