import Foundation

/// The parts of a `tokenizer.json` (the `tokenizers` serialisation) a byte-level BPE tokenizer needs.
/// Unknown keys are ignored; the loader rejects components it does not reproduce.
///
/// Reference: tokenizers `tokenizers/src/tokenizer/serialization.rs` and the serde forms of
/// `models/bpe/serialization.rs`, `pre_tokenizers/byte_level.rs`, `processors/{roberta,template}.rs`.
struct TokenizerJSONFile: Decodable {
    struct AddedTokenEntry: Decodable {
        var id: Int
        var content: String
        var singleWord: Bool?
        var lstrip: Bool?
        var rstrip: Bool?
        var normalized: Bool?
        var special: Bool?

        enum CodingKeys: String, CodingKey {
            case id, content, lstrip, rstrip, normalized, special
            case singleWord = "single_word"
        }
    }

    /// `["</s>", 2]`
    struct SpecialPair: Decodable {
        var token: String
        var id: Int

        init(from decoder: Decoder) throws {
            var c = try decoder.unkeyedContainer()
            token = try c.decode(String.self)
            id = try c.decode(Int.self)
        }
    }

    /// `{"SpecialToken": {"id": "<s>", "type_id": 0}}` or `{"Sequence": {"id": "A", "type_id": 0}}`
    enum TemplatePiece: Decodable {
        case special(String)
        case sequence(String)

        private struct Named: Decodable { var id: String }
        private enum Keys: String, CodingKey {
            case specialToken = "SpecialToken"
            case sequence = "Sequence"
        }

        init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: Keys.self)
            if let s = try c.decodeIfPresent(Named.self, forKey: .specialToken) {
                self = .special(s.id)
            } else {
                self = .sequence(try c.decode(Named.self, forKey: .sequence).id)
            }
        }
    }

    struct TemplateSpecialToken: Decodable {
        var ids: [Int]
    }

    /// A normalizer, pre-tokenizer, post-processor or decoder: `type` plus the fields this code reads.
    struct Component: Decodable {
        var type: String
        var addPrefixSpace: Bool?
        var useRegex: Bool?
        var sep: SpecialPair?
        var cls: SpecialPair?
        var single: [TemplatePiece]?
        var specialTokens: [String: TemplateSpecialToken]?
        var processors: [Component]?
        var pretokenizers: [Component]?
        var normalizers: [Component]?

        enum CodingKeys: String, CodingKey {
            case type, sep, cls, single, processors, pretokenizers, normalizers
            case addPrefixSpace = "add_prefix_space"
            case useRegex = "use_regex"
            case specialTokens = "special_tokens"
        }

        /// `{"type": "Sequence", "normalizers": []}` does nothing.
        var isEmptySequence: Bool { type == "Sequence" && (normalizers ?? []).isEmpty }
    }

    /// `model.merges`: `["Ġ t", …]` (tokenizers < 0.20) or `[["Ġ", "t"], …]`.
    enum Merges: Decodable {
        case strings([String])
        case pairs([[String]])

        init(from decoder: Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let strings = try? c.decode([String].self) {
                self = .strings(strings)
            } else {
                self = .pairs(try c.decode([[String]].self))
            }
        }

        func pairs(path: String) throws -> [(String, String)] {
            func bad(_ index: Int, _ detail: String) -> TokenizerError {
                .malformedMerges(path: path, location: "model.merges[\(index)]", detail: detail)
            }
            switch self {
            case .strings(let lines):
                return try lines.enumerated().map { index, line in
                    let parts = line.split(separator: " ", omittingEmptySubsequences: false)
                    guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
                        throw bad(index, "\(parts.count) parts in \(String(reflecting: line))")
                    }
                    return (String(parts[0]), String(parts[1]))
                }
            case .pairs(let pairs):
                return try pairs.enumerated().map { index, pair in
                    guard pair.count == 2, !pair[0].isEmpty, !pair[1].isEmpty else {
                        throw bad(index, "\(pair.count) symbols")
                    }
                    return (pair[0], pair[1])
                }
            }
        }
    }

    struct Model: Decodable {
        var type: String?
        var vocab: [String: Int]
        var merges: Merges
        var dropout: Double?
        var unkToken: String?
        var continuingSubwordPrefix: String?
        var endOfWordSuffix: String?
        var fuseUnk: Bool?
        var byteFallback: Bool?
        var ignoreMerges: Bool?

        enum CodingKeys: String, CodingKey {
            case type, vocab, merges, dropout
            case unkToken = "unk_token"
            case continuingSubwordPrefix = "continuing_subword_prefix"
            case endOfWordSuffix = "end_of_word_suffix"
            case fuseUnk = "fuse_unk"
            case byteFallback = "byte_fallback"
            case ignoreMerges = "ignore_merges"
        }
    }

    struct Padding: Decodable {
        var padToken: String?
        enum CodingKeys: String, CodingKey { case padToken = "pad_token" }
    }

    var addedTokens: [AddedTokenEntry]?
    var normalizer: Component?
    var preTokenizer: Component?
    var postProcessor: Component?
    var decoder: Component?
    var padding: Padding?
    var model: Model

    enum CodingKeys: String, CodingKey {
        case normalizer, decoder, padding, model
        case addedTokens = "added_tokens"
        case preTokenizer = "pre_tokenizer"
        case postProcessor = "post_processor"
    }

    /// Reads the file: `model.vocab` and `model.merges` (nearly all of its bytes) through
    /// `VocabularyJSONScanner`, the small rest through `JSONDecoder`. A file the scanner does not accept
    /// goes through `readSlow` instead, so errors (and any leniency) are exactly the decoder's.
    static func read(_ url: URL) throws -> TokenizerJSONFile {
        let data = try readFile(url)
        if let fast = try fastDecode(data, path: url.path) { return fast }
        return try decodeSlow(data, path: url.path)
    }

    /// The obviously-correct twin: the whole file through `JSONDecoder`.
    static func readSlow(_ url: URL) throws -> TokenizerJSONFile {
        try decodeSlow(try readFile(url), path: url.path)
    }

    private static func decodeSlow(_ data: Data, path: String) throws -> TokenizerJSONFile {
        do {
            return try JSONDecoder().decode(TokenizerJSONFile.self, from: data)
        } catch let error as DecodingError {
            throw TokenizerError.malformedJSON(path: path, detail: describe(error, expected: "the tokenizers format"))
        }
    }

    /// nil when the scanner refuses the file or finds no `model.vocab` / `model.merges` (the slow path decides).
    private static func fastDecode(_ data: Data, path: String) throws -> TokenizerJSONFile? {
        let found: (vocab: [String: Int], vocabRange: Range<Int>, merges: Merges, mergesRange: Range<Int>)?
        found = data.withUnsafeBytes { raw -> (vocab: [String: Int], vocabRange: Range<Int>, merges: Merges, mergesRange: Range<Int>)? in
            var scanner = VocabularyJSONScanner(raw)
            var vocab: ([String: Int], Range<Int>)?, merges: (Merges, Range<Int>)?
            do {
                try scanner.object { (s: inout VocabularyJSONScanner, key: String) throws(VocabularyJSONScanner.Failure) in
                    guard key == "model" else { try s.skipValue(); return }
                    try s.object { (m: inout VocabularyJSONScanner, field: String) throws(VocabularyJSONScanner.Failure) in
                        m.skipSpace()
                        let start = m.offset
                        switch field {
                        case "vocab": let v = try m.vocabularyValue(); vocab = (v, start..<m.offset)
                        case "merges": let v = try m.mergesValue(); merges = (v, start..<m.offset)
                        default: try m.skipValue()
                        }
                    }
                }
                try scanner.expectEnd()
            } catch {
                return nil
            }
            guard let vocab, let merges else { return nil }
            return (vocab.0, vocab.1, merges.0, merges.1)
        }
        guard let found else { return nil }
        // The rest of the file with the two values emptied, for the decoder.
        var rest = Data(capacity: data.count - found.vocabRange.count - found.mergesRange.count + 4)
        let cuts = [(found.vocabRange, "{}"), (found.mergesRange, "[]")].sorted { $0.0.lowerBound < $1.0.lowerBound }
        var cursor = data.startIndex
        for (range, empty) in cuts {
            rest.append(data[cursor..<(data.startIndex + range.lowerBound)])
            rest.append(contentsOf: Array(empty.utf8))
            cursor = data.startIndex + range.upperBound
        }
        rest.append(data[cursor...])
        var file = try decodeSlow(rest, path: path)
        file.model.vocab = found.vocab
        file.model.merges = found.merges
        return file
    }
}

/// Special-token names and flags from `tokenizer_config.json` or `special_tokens_map.json` (transformers).
struct SpecialTokenConfig {
    struct Token: Equatable {
        var content: String
        var lstrip = false
        var rstrip = false
        var normalized = false
    }

    /// Role ("bos_token") → token, in transformers' `SPECIAL_TOKENS_ATTRIBUTES` order.
    var tokens: [String: Token] = [:]
    /// `added_tokens_decoder` entries by content (their flags win).
    var addedTokensDecoder: [String: Token] = [:]
    var addPrefixSpace: Bool?

    static let roles = ["bos_token", "eos_token", "unk_token", "sep_token", "pad_token", "cls_token", "mask_token"]

    /// `RobertaTokenizer.__init__` defaults in transformers 5.x (`<mask>` without lstrip, as 5.24 builds it
    /// from vocab.json + merges.txt).
    static let robertaDefaults = SpecialTokenConfig(tokens: [
        "bos_token": Token(content: "<s>"), "eos_token": Token(content: "</s>"), "unk_token": Token(content: "<unk>"),
        "sep_token": Token(content: "</s>"), "pad_token": Token(content: "<pad>"), "cls_token": Token(content: "<s>"),
        "mask_token": Token(content: "<mask>"),
    ])

    static func read(_ url: URL) throws -> SpecialTokenConfig {
        let data = try readFile(url)
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: data)
        } catch {
            throw TokenizerError.malformedJSON(path: url.path, detail: (error as NSError).debugDescription)
        }
        guard let dictionary = object as? [String: Any] else {
            throw TokenizerError.malformedJSON(path: url.path, detail: "expected a JSON object")
        }
        func token(_ value: Any?) -> Token? {
            if let s = value as? String { return Token(content: s) }
            guard let d = value as? [String: Any], let content = d["content"] as? String else { return nil }
            return Token(content: content, lstrip: d["lstrip"] as? Bool ?? false, rstrip: d["rstrip"] as? Bool ?? false,
                         normalized: d["normalized"] as? Bool ?? false)
        }
        var config = SpecialTokenConfig()
        for role in roles {
            if let t = token(dictionary[role]) { config.tokens[role] = t }
        }
        if let decoder = dictionary["added_tokens_decoder"] as? [String: Any] {
            for value in decoder.values {
                if let t = token(value) { config.addedTokensDecoder[t.content] = t }
            }
        }
        config.addPrefixSpace = dictionary["add_prefix_space"] as? Bool
        return config
    }
}
