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
                // Split on Unicode scalars (a space before a combining mark is one `Character`).
                return try lines.enumerated().map { index, line in
                    let parts = line.unicodeScalars.split(separator: " ", omittingEmptySubsequences: false)
                    guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
                        throw bad(index, mergeLineProblem(line))
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

    /// `model.vocab` and the place of `model.merges`, read by `VocabularyJSONScanner` (nearly all of the file's
    /// bytes) with no `String` per token or merge.
    struct ScannedModel {
        /// Not yet `finish()`ed.
        var vocabulary: TokenTable
        /// The merges, resolved during the scan when `model.vocab` comes before `model.merges` (as tokenizers
        /// writes them); nil otherwise, and `merges(vocabulary:path:)` reads them in a second pass.
        var resolved: Result<[UInt64: BPEModel.Merge], Error>?
        let data: Data
        let mergesRange: Range<Int>

        /// The merges resolved against `vocabulary` (the fast twin of `Merges.pairs` + the slow model initialiser).
        func merges(vocabulary: TokenTable, path: String) throws -> [UInt64: BPEModel.Merge] {
            if let resolved { return try resolved.get() }
            let second: Result<[UInt64: BPEModel.Merge], Error>? = data.withUnsafeBytes { raw in
                var s = VocabularyJSONScanner(raw, offset: mergesRange.lowerBound)
                return try? Self.resolve(&s, vocabulary: vocabulary, path: path)
            }
            // The first pass read these very bytes.
            guard let second else { throw TokenizerError.malformedJSON(path: path, detail: "model.merges changed while reading") }
            return try second.get()
        }

        /// Reads `model.merges` at the cursor and resolves each merge against `vocabulary`. A merge that is
        /// malformed or not in the vocabulary is the result's failure (the scan still reads the whole value).
        static func resolve(_ s: inout VocabularyJSONScanner, vocabulary: TokenTable, path: String)
            throws(VocabularyJSONScanner.Failure) -> Result<[UInt64: BPEModel.Merge], Error> {
            var builder = MergeTableBuilder(vocabulary: vocabulary, path: path, expectedCount: vocabulary.entryCount)
            var problem: Error?
            try s.forEachMerge { index, item in
                guard problem == nil else { return }
                do {
                    switch item {
                    case .line(let line):
                        guard let (left, right) = splitMergeLine(line) else {
                            throw TokenizerError.malformedMerges(path: path, location: "model.merges[\(index)]",
                                                                 detail: mergeLineProblem(String(decoding: line, as: UTF8.self)))
                        }
                        try builder.add(left, right, location: "model.merges[\(index)]")
                    case .pair(let count, let first, let second):
                        guard count == 2, !first.isEmpty, !second.isEmpty else {
                            throw TokenizerError.malformedMerges(path: path, location: "model.merges[\(index)]", detail: "\(count) symbols")
                        }
                        try builder.add(first, second, location: "model.merges[\(index)]")
                    }
                } catch {
                    problem = error
                }
            }
            return problem.map { .failure($0) } ?? .success(builder.merges)
        }
    }

    /// Reads the file: `model.vocab` and `model.merges` (nearly all of its bytes) through
    /// `VocabularyJSONScanner` (returned as `ScannedModel`; `model.vocab` and `model.merges` of the file are then
    /// empty), the small rest through `JSONDecoder`. A file the scanner does not accept goes through `readSlow`
    /// instead (scanned nil), so errors (and any leniency) are exactly the decoder's.
    static func read(_ url: URL) throws -> (file: TokenizerJSONFile, scanned: ScannedModel?) {
        let data = try readFile(url)
        if let fast = try fastDecode(data, path: url.path) { return fast }
        return (try decodeSlow(data, path: url.path), nil)
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
    private static func fastDecode(_ data: Data, path: String) throws -> (file: TokenizerJSONFile, scanned: ScannedModel?)? {
        typealias Found = (vocab: TokenTable, vocabRange: Range<Int>, mergesRange: Range<Int>,
                           resolved: Result<[UInt64: BPEModel.Merge], Error>?)
        let found: Found? = data.withUnsafeBytes { raw -> Found? in
            guard VocabularyJSONScanner.isValidUTF8(raw) else { return nil }
            var scanner = VocabularyJSONScanner(raw)
            var vocab: (TokenTable, Range<Int>)?, merges: Range<Int>?
            var resolved: Result<[UInt64: BPEModel.Merge], Error>?
            do {
                try scanner.object { (s: inout VocabularyJSONScanner, key: String) throws(VocabularyJSONScanner.Failure) in
                    guard key == "model" else { try s.skipValue(); return }
                    try s.object { (m: inout VocabularyJSONScanner, field: String) throws(VocabularyJSONScanner.Failure) in
                        m.skipSpace()
                        let start = m.offset
                        switch field {
                        case "vocab": let v = try m.tokenTableValue(); vocab = (v, start..<m.offset)
                        case "merges":
                            if let vocab {
                                resolved = try ScannedModel.resolve(&m, vocabulary: vocab.0, path: path)
                            } else {
                                try m.forEachMerge { _, _ in }
                            }
                            merges = start..<m.offset
                        default: try m.skipValue()
                        }
                    }
                }
                try scanner.expectEnd()
            } catch {
                return nil
            }
            guard let vocab, let merges else { return nil }
            return (vocab.0, vocab.1, merges, resolved)
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
        let file = try decodeSlow(rest, path: path)
        return (file, ScannedModel(vocabulary: found.vocab, resolved: found.resolved, data: data, mergesRange: found.mergesRange))
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
