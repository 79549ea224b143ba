import Foundation

/// Reading a tokenizer from a Hugging Face model folder, unchanged: `tokenizer.json` (what the fast
/// tokenizer loads), or `vocab.json` + `merges.txt` with `tokenizer_config.json` / `special_tokens_map.json`
/// when present (what `RobertaTokenizer(vocab_file, merges_file)` reads).
///
/// Tokens are kept as Swift `String`s, which compare by canonical equivalence. Byte-level tokens cannot
/// collide that way (GPT-2's byte alphabet has no combining marks, so distinct byte-level strings are never
/// canonically equivalent); only exotic added tokens could, and none of the supported models has such.
extension ByteLevelBPETokenizer {
    /// Which files of a folder to read.
    public enum FileChoice: Sendable {
        /// `tokenizer.json` if the folder has one, else `vocab.json` + `merges.txt`.
        case automatic
        case tokenizerJSON
        case vocabularyAndMerges
    }

    /// How the big values (vocabulary, merges) are read (`package`: the benchmarks time both).
    package enum Reader: Sendable {
        /// Straight from the bytes into `TokenTable` and the merge map (`VocabularyJSONScanner`, `scanMerges`).
        case fast
        /// The obviously-correct twin: `JSONDecoder`, `String` splitting, `String` dictionaries.
        case slow
    }

    /// Reads the tokenizer of a model folder (e.g. a Hugging Face CLAP or RoBERTa snapshot).
    public init(folder: URL, choice: FileChoice = .automatic) throws {
        try self.init(folder: folder, choice: choice, reader: .fast)
    }

    package init(folder: URL, choice: FileChoice, reader: Reader) throws {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder.path, isDirectory: &isFolder) else {
            throw TokenizerError.missing(path: folder.path)
        }
        guard isFolder.boolValue else { throw TokenizerError.notAFolder(path: folder.path) }
        let json = folder.appendingPathComponent("tokenizer.json")
        let vocabulary = folder.appendingPathComponent("vocab.json")
        let merges = folder.appendingPathComponent("merges.txt")
        let config = folder.appendingPathComponent("tokenizer_config.json")
        let specialMap = folder.appendingPathComponent("special_tokens_map.json")
        func exists(_ url: URL) -> Bool { FileManager.default.fileExists(atPath: url.path) }
        let configURL = exists(config) ? config : nil
        let specialMapURL = exists(specialMap) ? specialMap : nil

        let useJSON: Bool
        switch choice {
        case .tokenizerJSON: useJSON = true
        case .vocabularyAndMerges: useJSON = false
        case .automatic: useJSON = exists(json) || !(exists(vocabulary) || exists(merges))
        }
        if useJSON {
            if choice == .automatic, !exists(json) { throw TokenizerError.noTokenizerFiles(folder: folder.path) }
            try self.init(tokenizerJSON: json, config: configURL, reader: reader)
        } else {
            if exists(vocabulary), !exists(merges) {
                throw TokenizerError.missingCompanion(path: vocabulary.path, companion: "merges.txt")
            }
            if exists(merges), !exists(vocabulary) {
                throw TokenizerError.missingCompanion(path: merges.path, companion: "vocab.json")
            }
            try self.init(vocabulary: vocabulary, merges: merges, config: configURL, specialTokensMap: specialMapURL, reader: reader)
        }
    }

    /// Reads `tokenizer.json` (the `tokenizers` serialisation). `config` (tokenizer_config.json) only
    /// supplies the padding token when tokenizer.json does not name one.
    public init(tokenizerJSON url: URL, config: URL? = nil) throws {
        try self.init(tokenizerJSON: url, config: config, reader: .fast)
    }

    init(tokenizerJSON url: URL, config: URL?, reader: Reader) throws {
        let file: TokenizerJSONFile, scanned: TokenizerJSONFile.ScannedModel?
        switch reader {
        case .fast: (file, scanned) = try TokenizerJSONFile.read(url)
        case .slow: (file, scanned) = (try TokenizerJSONFile.readSlow(url), nil)
        }
        let path = url.path
        let model = file.model
        if let type = model.type, type != "BPE" { throw TokenizerError.unsupported(path: path, feature: "model type \(type)") }
        if let dropout = model.dropout, dropout > 0 {
            throw TokenizerError.unsupported(path: path, feature: "BPE dropout \(dropout) (not deterministic)")
        }
        if model.byteFallback == true { throw TokenizerError.unsupported(path: path, feature: "byte_fallback") }
        for (name, value) in [("continuing_subword_prefix", model.continuingSubwordPrefix),
                              ("end_of_word_suffix", model.endOfWordSuffix)] {
            if let value, !value.isEmpty {
                throw TokenizerError.unsupported(path: path, feature: "\(name) \(String(reflecting: value))")
            }
        }
        if let normalizer = file.normalizer, !normalizer.isEmptySequence {
            throw TokenizerError.unsupported(path: path, feature: "normalizer \(normalizer.type)")
        }
        let preTokenizer = try Self.preTokenizer(file.preTokenizer, path: path)
        if let decoder = file.decoder, decoder.type != "ByteLevel" {
            throw TokenizerError.unsupported(path: path, feature: "decoder \(decoder.type)")
        }

        let bpe: BPEModel
        if let scanned {
            var table = scanned.vocabulary
            try table.finish(path: path)
            bpe = try BPEModel(vocabulary: table, merges: try scanned.merges(vocabulary: table, path: path),
                               unknownToken: model.unkToken, fuseUnknown: model.fuseUnk ?? false,
                               ignoreMerges: model.ignoreMerges ?? false, vocabularyPath: path)
        } else {
            bpe = try BPEModel(vocabulary: try Self.checkedVocabulary(model.vocab, path: path),
                               merges: try model.merges.pairs(path: path),
                               unknownToken: model.unkToken, fuseUnknown: model.fuseUnk ?? false,
                               ignoreMerges: model.ignoreMerges ?? false, vocabularyPath: path, mergesPath: path,
                               mergeLocation: { "model.merges[\($0)]" })
        }
        let vocabulary = bpe.vocabulary

        var added: [AddedToken] = []
        for entry in file.addedTokens ?? [] {
            if entry.singleWord == true {
                throw TokenizerError.unsupported(path: path, feature: "single_word added token \(String(reflecting: entry.content))")
            }
            guard let id = Int32(exactly: entry.id), id >= 0 else {
                throw TokenizerError.malformedJSON(path: path, detail: "added token id \(entry.id) out of range")
            }
            added.append(AddedToken(content: entry.content, id: id, special: entry.special ?? false,
                                    lstrip: entry.lstrip ?? false, rstrip: entry.rstrip ?? false,
                                    normalized: entry.normalized ?? !(entry.special ?? false)))
        }
        let addedVocabulary = AddedVocabulary(added)
        func lookup(_ token: String) -> Int32? {
            added.first(where: { $0.content == token })?.id ?? vocabulary.id(token)
        }
        let postProcessor = try Self.postProcessor(file.postProcessor, path: path, lookup: lookup)

        var padToken = file.padding?.padToken
        if padToken == nil, let config {
            padToken = try SpecialTokenConfig.read(config).tokens["pad_token"]?.content
        }
        let pad = padToken ?? "<pad>"
        let padding = lookup(pad).map { (token: pad, id: $0) }
        self.init(model: bpe, preTokenizer: preTokenizer, addedVocabulary: addedVocabulary,
                  postProcessor: postProcessor, padding: padding, files: [url] + (config.map { [$0] } ?? []))
    }

    /// Reads `vocab.json` + `merges.txt`, as `RobertaTokenizer(vocab_file, merges_file)` does: the RoBERTa
    /// special tokens (`<s>` `</s>` `<unk>` `<pad>` `<mask>`, or the names in tokenizer_config.json /
    /// special_tokens_map.json) become special added tokens and the text is wrapped as `<s> … </s>`.
    public init(vocabulary vocabularyURL: URL, merges mergesURL: URL, config: URL? = nil,
                specialTokensMap: URL? = nil) throws {
        try self.init(vocabulary: vocabularyURL, merges: mergesURL, config: config, specialTokensMap: specialTokensMap,
                      reader: .fast)
    }

    init(vocabulary vocabularyURL: URL, merges mergesURL: URL, config: URL?, specialTokensMap: URL?,
         reader: Reader) throws {
        let vocabPath = vocabularyURL.path
        let data = try readFile(vocabularyURL)
        let bpe: BPEModel
        switch reader {
        case .fast:
            let table = try Self.scanVocabulary(data, path: vocabPath)
            bpe = try BPEModel(vocabulary: table, merges: try scanMerges(mergesURL, vocabulary: table), unknownToken: nil,
                               fuseUnknown: false, ignoreMerges: false, vocabularyPath: vocabPath)
        case .slow:
            let vocabulary = try Self.checkedVocabulary(try Self.decodeVocabularySlow(data, path: vocabPath), path: vocabPath)
            let merges = try readMerges(mergesURL)
            bpe = try BPEModel(vocabulary: vocabulary, merges: merges.map { ($0.0, $0.1) }, unknownToken: nil,
                               fuseUnknown: false, ignoreMerges: false, vocabularyPath: vocabPath,
                               mergesPath: mergesURL.path, mergeLocation: { "line \(merges[$0].line)" })
        }
        let vocabulary = bpe.vocabulary

        // transformers' RobertaTokenizer defaults; a config's names and flags override them.
        var specials = SpecialTokenConfig.robertaDefaults
        var addPrefixSpace = false
        for url in [specialTokensMap, config].compactMap({ $0 }) {
            let parsed = try SpecialTokenConfig.read(url)
            specials.tokens.merge(parsed.tokens) { _, new in new }
            specials.addedTokensDecoder.merge(parsed.addedTokensDecoder) { _, new in new }
            if let flag = parsed.addPrefixSpace { addPrefixSpace = flag }
        }
        var added: [AddedToken] = []
        for role in SpecialTokenConfig.roles {
            guard var token = specials.tokens[role], !added.contains(where: { $0.content == token.content }) else { continue }
            if let declared = specials.addedTokensDecoder[token.content] { token = declared }
            guard let id = vocabulary.id(token.content) else {
                throw TokenizerError.missingSpecialToken(path: vocabPath, token: token.content)
            }
            added.append(AddedToken(content: token.content, id: id, special: true, lstrip: token.lstrip,
                                    rstrip: token.rstrip, normalized: token.normalized))
        }
        func id(_ role: String) -> Int32? { specials.tokens[role].flatMap { vocabulary.id($0.content) } }
        let cls = id("cls_token") ?? id("bos_token")
        let sep = id("sep_token") ?? id("eos_token")
        let postProcessor = (cls != nil && sep != nil) ? PostProcessor.roberta(cls: cls!, sep: sep!) : .none
        let padding = specials.tokens["pad_token"].flatMap { t in vocabulary.id(t.content).map { (token: t.content, id: $0) } }
        self.init(model: bpe, preTokenizer: ByteLevelPreTokenizer(addPrefixSpace: addPrefixSpace),
                  addedVocabulary: AddedVocabulary(added), postProcessor: postProcessor, padding: padding,
                  files: [vocabularyURL, mergesURL] + [specialTokensMap, config].compactMap { $0 })
    }

    /// vocab.json straight into a `TokenTable`; a file the scanner refuses goes through the slow twin, so
    /// its error message is `JSONDecoder`'s.
    static func scanVocabulary(_ data: Data, path: String) throws -> TokenTable {
        let scanned: TokenTable? = data.withUnsafeBytes { raw in
            guard VocabularyJSONScanner.isValidUTF8(raw) else { return nil }
            var s = VocabularyJSONScanner(raw)
            guard let table = try? s.tokenTableValue(), (try? s.expectEnd()) != nil else { return nil }
            return table
        }
        if var table = scanned {
            try table.finish(path: path)
            return table
        }
        return try TokenTable.checked(try checkedVocabulary(try decodeVocabularySlow(data, path: path), path: path), path: path)
    }

    /// The slow twin of the vocabulary scan (and the error messages for files the scanner refuses):
    /// `JSONDecoder` on the whole of `vocab.json`.
    static func decodeVocabularySlow(_ data: Data, path: String) throws -> [String: Int] {
        do {
            return try JSONDecoder().decode([String: Int].self, from: data)
        } catch let error as DecodingError {
            throw TokenizerError.malformedJSON(path: path, detail: describe(error, expected: "an object of token → id"))
        }
    }

    static func checkedVocabulary(_ raw: [String: Int], path: String) throws -> [String: Int32] {
        var vocabulary: [String: Int32] = [:]
        vocabulary.reserveCapacity(raw.count)
        for (token, id) in raw {
            guard let id32 = Int32(exactly: id), id32 >= 0 else {
                throw TokenizerError.malformedJSON(path: path, detail: "id \(id) of \(String(reflecting: token)) is out of range")
            }
            vocabulary[token] = id32
        }
        return vocabulary
    }

    static func preTokenizer(_ component: TokenizerJSONFile.Component?, path: String) throws -> ByteLevelPreTokenizer {
        guard let component else {
            throw TokenizerError.unsupported(path: path, feature: "no pre_tokenizer (byte-level BPE needs ByteLevel)")
        }
        switch component.type {
        case "ByteLevel":
            return ByteLevelPreTokenizer(addPrefixSpace: component.addPrefixSpace ?? false,
                                         useRegex: component.useRegex ?? true)
        case "Sequence" where component.pretokenizers?.count == 1:
            return try preTokenizer(component.pretokenizers![0], path: path)
        default:
            throw TokenizerError.unsupported(path: path, feature: "pre_tokenizer \(component.type)")
        }
    }

    static func postProcessor(_ component: TokenizerJSONFile.Component?, path: String,
                              lookup: (String) -> Int32?) throws -> PostProcessor {
        guard let component else { return .none }
        func special(_ pair: TokenizerJSONFile.SpecialPair?, _ name: String) throws -> Int32 {
            guard let pair else { throw TokenizerError.malformedJSON(path: path, detail: "post_processor has no \(name)") }
            guard let id = Int32(exactly: pair.id) else {
                throw TokenizerError.malformedJSON(path: path, detail: "post_processor \(name) id \(pair.id) out of range")
            }
            return id
        }
        switch component.type {
        case "RobertaProcessing", "BertProcessing":
            return .roberta(cls: try special(component.cls, "cls"), sep: try special(component.sep, "sep"))
        case "ByteLevel":
            return .none
        case "TemplateProcessing":
            guard let single = component.single else {
                throw TokenizerError.malformedJSON(path: path, detail: "TemplateProcessing has no single template")
            }
            var prefix: [Int32] = [], suffix: [Int32] = [], seenSequence = false
            for piece in single {
                switch piece {
                case .sequence:
                    guard !seenSequence else { throw TokenizerError.unsupported(path: path, feature: "a template with two sequences") }
                    seenSequence = true
                case .special(let name):
                    guard let ids = component.specialTokens?[name]?.ids else {
                        throw TokenizerError.malformedJSON(path: path, detail: "template special token \(String(reflecting: name)) has no ids")
                    }
                    let converted = try ids.map { id -> Int32 in
                        guard let v = Int32(exactly: id) else {
                            throw TokenizerError.malformedJSON(path: path, detail: "template id \(id) out of range")
                        }
                        return v
                    }
                    if seenSequence { suffix += converted } else { prefix += converted }
                }
            }
            return PostProcessor(prefix: prefix, suffix: suffix)
        case "Sequence":
            var result = PostProcessor.none
            for inner in component.processors ?? [] {
                let p = try postProcessor(inner, path: path, lookup: lookup)
                if p != .none { result = p }
            }
            return result
        default:
            throw TokenizerError.unsupported(path: path, feature: "post_processor \(component.type)")
        }
    }
}

// MARK: - Files

func readFile(_ url: URL) throws -> Data {
    do {
        return try Data(contentsOf: url)
    } catch {
        if !FileManager.default.fileExists(atPath: url.path) { throw TokenizerError.missing(path: url.path) }
        let reason = ((error as NSError).userInfo[NSUnderlyingErrorKey] as? NSError)?.localizedDescription
            ?? error.localizedDescription
        throw TokenizerError.unreadable(path: url.path, reason: reason)
    }
}

/// `merges.txt`: an optional `#version` line, then one merge per line, "left right", in rank order. The slow,
/// obviously-correct twin of `scanMerges` (tests compare the two). Lines and parts are split on Unicode
/// scalars, not `Character`s: "\r\n" and a space before a combining mark are single `Character`s.
/// Reference: tokenizers `models/bpe/model.rs` `convert_merges_to_hashmap` (`BufRead::lines`, which drops
/// "\n" and "\r\n"; lines starting with `#version` are skipped; any other line must split on " " into
/// exactly two parts).
func readMerges(_ url: URL) throws -> [(String, String, line: Int)] {
    let data = try readFile(url)
    guard let text = String(data: data, encoding: .utf8) else {
        throw TokenizerError.malformedMerges(path: url.path, location: "the file", detail: "not UTF-8 text")
    }
    var merges: [(String, String, line: Int)] = []
    var lines = text.unicodeScalars.split(separator: "\n", omittingEmptySubsequences: false)
    if lines.last?.isEmpty == true { lines.removeLast() }   // the newline that ends the last line
    merges.reserveCapacity(lines.count)
    for (index, rawLine) in lines.enumerated() {
        let line = rawLine.last == "\r" ? rawLine.dropLast() : rawLine
        if line.starts(with: "#version".unicodeScalars) { continue }
        let parts = line.split(separator: " ", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
            throw TokenizerError.malformedMerges(path: url.path, location: "line \(index + 1)",
                                                 detail: mergeLineProblem(String(String.UnicodeScalarView(line))))
        }
        merges.append((String(String.UnicodeScalarView(parts[0])), String(String.UnicodeScalarView(parts[1])), line: index + 1))
    }
    return merges
}

func describe(_ error: DecodingError, expected: String) -> String {
    func at(_ path: [CodingKey]) -> String {
        path.isEmpty ? "" : " at " + path.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
    }
    switch error {
    case .dataCorrupted(let context):
        let underlying = (context.underlyingError as NSError?)?.debugDescription
        return [context.debugDescription + at(context.codingPath), underlying].compactMap { $0 }.joined(separator: ": ")
    case .keyNotFound(let key, let context):
        return "missing key \(String(reflecting: key.stringValue))\(at(context.codingPath))"
    case .typeMismatch(_, let context), .valueNotFound(_, let context):
        return "\(context.debugDescription)\(at(context.codingPath)) (expected \(expected))"
    @unknown default:
        return String(describing: error)
    }
}
