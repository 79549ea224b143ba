import Foundation
import Testing
import TestSupport
@testable import Tokenizer

/// The fast vocabulary/merges reader against its slow twin, Foundation's `JSONDecoder`.
@Suite("VocabularyJSONScanner equals JSONDecoder")
struct VocabularyScannerTests {
    static let folders = ["gpt2-roberta", "trained-bpe", "trained-bpe-variant"]

    static func pairs(_ merges: TokenizerJSONFile.Merges) throws -> [[String]] {
        try merges.pairs(path: "test").map { [$0.0, $0.1] }
    }

    @Test("tokenizer.json of every committed folder: the same vocabulary, merges and other fields as the full JSONDecoder read")
    func tokenizerJSONMatchesDecoder() throws {
        for name in Self.folders {
            let url = TokenizerFixtures.folder.appendingPathComponent(name).appendingPathComponent("tokenizer.json")
            let (fast, scanned) = try TokenizerJSONFile.read(url)
            let slow = try TokenizerJSONFile.readSlow(url)
            let model = try #require(scanned, "\(name): the scanner refused the file")
            var table = model.vocabulary
            try table.finish(path: url.path)
            let slowTable = try TokenTable.checked(try ByteLevelBPETokenizer.checkedVocabulary(slow.model.vocab, path: "slow"), path: "slow")
            #expect(table == slowTable && table.idCount == slow.model.vocab.count, "\(name)")
            #expect(fast.model.vocab.isEmpty, "\(name): the scanned values are left out of the decoded rest")
            // The merges, resolved: the same (left, right) → (rank, merged id) as the slow model initialiser's.
            let slowModel = try BPEModel(vocabulary: try ByteLevelBPETokenizer.checkedVocabulary(slow.model.vocab, path: "slow"),
                                         merges: try slow.model.merges.pairs(path: "slow"), unknownToken: nil, fuseUnknown: false,
                                         ignoreMerges: false, vocabularyPath: "slow", mergesPath: "slow", mergeLocation: { "\($0)" })
            let merges = try model.merges(vocabulary: table, path: url.path)
            #expect(merges.count == slowModel.merges.count && merges.count > 1000, "\(name)")
            #expect(merges.allSatisfy { key, m in slowModel.merges[key].map { $0.rank == m.rank && $0.newID == m.newID } ?? false }, "\(name)")
            #expect(fast.model.unkToken == slow.model.unkToken && fast.model.type == slow.model.type, "\(name)")
            #expect(fast.addedTokens?.map(\.content) == slow.addedTokens?.map(\.content), "\(name)")
            #expect(fast.preTokenizer?.type == slow.preTokenizer?.type && fast.postProcessor?.type == slow.postProcessor?.type, "\(name)")
        }
    }

    @Test("vocab.json of every committed folder: the scanner's dictionary equals JSONDecoder's")
    func vocabJSONMatchesDecoder() throws {
        for name in ["gpt2-roberta", "trained-bpe"] {
            let url = TokenizerFixtures.folder.appendingPathComponent(name).appendingPathComponent("vocab.json")
            let data = try Data(contentsOf: url)
            let fast = try data.withUnsafeBytes { try VocabularyJSONScanner.vocabulary($0) }
            let slow = try ByteLevelBPETokenizer.decodeVocabularySlow(data, path: url.path)
            #expect(fast == slow && fast.count > 1000, "\(name): \(fast.count) vs \(slow.count) entries")
            // The table the loader builds straight from the bytes holds the same entries.
            let table = try ByteLevelBPETokenizer.scanVocabulary(data, path: url.path)
            #expect(table == (try TokenTable.checked(try ByteLevelBPETokenizer.checkedVocabulary(slow, path: "slow"), path: "slow")), "\(name)")
            #expect(table.entries.count == slow.count, "\(name)")
        }
    }

    @Test("escapes, surrogate pairs, non-ASCII, whitespace and both merges forms decode as JSONDecoder decodes them")
    func escapesMatchDecoder() throws {
        let vocabulary = #"""
         { "a" : 0, "\u0120dog": 1, "\"q\"": 2, "back\\slash\/": 3, "\b\f\n\r\t": 4, "\ud83d\ude00": 5, "é漢😀": 6,
           "\u00e9\u6F22": 7, "": 8, "x": 9, "neg": -3 }
        """#
        let data = Data(vocabulary.utf8)
        let fast = try data.withUnsafeBytes { try VocabularyJSONScanner.vocabulary($0) }
        #expect(fast == (try JSONDecoder().decode([String: Int].self, from: data)))
        #expect(fast["Ġdog"] == 1 && fast["😀"] == 5 && fast["é漢"] == 7)
        // The one documented difference: a repeated key. The reference readers (serde_json into a HashMap in
        // `tokenizers`, Python's json in transformers) keep the LAST value, as the scanner does; JSONDecoder
        // keeps the first. No real vocabulary repeats a key.
        let repeated = Data(#"{"x": 9, "x": 10}"#.utf8)
        #expect(try repeated.withUnsafeBytes { try VocabularyJSONScanner.vocabulary($0) } == ["x": 10])
        #expect(try JSONDecoder().decode([String: Int].self, from: repeated) == ["x": 9])

        for merges in [#"["a b", "\u0120 t", "é 漢"]"#, #"[["a", "b"], ["\u0120", "t"]]"#, "[ ]"] {
            let bytes = Data(merges.utf8)
            let scanned = try bytes.withUnsafeBytes { raw in
                var s = VocabularyJSONScanner(raw)
                var pairs: [[String]] = []
                try s.forEachMerge { _, item in
                    switch item {
                    case .line(let line):
                        let parts = String(decoding: line, as: UTF8.self).split(separator: " ")
                        pairs.append(parts.map(String.init))
                    case .pair(_, let first, let second):
                        pairs.append([String(decoding: first, as: UTF8.self), String(decoding: second, as: UTF8.self)])
                    }
                }
                try s.expectEnd()
                return pairs
            }
            let decoded = try JSONDecoder().decode(TokenizerJSONFile.Merges.self, from: bytes)
            #expect(try scanned == Self.pairs(decoded), "\(merges)")
        }
    }

    @Test("what JSONDecoder refuses the scanner refuses: lone surrogates, control characters, fractions, bad escapes, truncation, trailing text")
    func refusesWhatDecoderRefuses() throws {
        let bad = [#"{"\ud83d": 1}"#, #"{"\ude00x": 1}"#, "{\"a\u{01}\": 1}", #"{"a": 1.5}"#, #"{"a\q": 1}"#, #"{"a": 1"#,
                   #"{"a": 1} x"#, #"{"a" 1}"#, #"{"a": 01}"#, #"{"a": "1"}"#, #"["a"]"#, ""]
        for text in bad {
            let data = Data(text.utf8)
            let scanned = data.withUnsafeBytes { try? VocabularyJSONScanner.vocabulary($0) }
            #expect(scanned == nil, "scanner accepted \(String(reflecting: text))")
            #expect((try? JSONDecoder().decode([String: Int].self, from: data)) == nil, "decoder accepted \(String(reflecting: text))")
        }
        let invalidUTF8 = Data([0x7B, 0x22, 0xFF, 0x22, 0x3A, 0x31, 0x7D])  // {"\xFF":1}
        #expect(invalidUTF8.withUnsafeBytes { try? VocabularyJSONScanner.vocabulary($0) } == nil)
    }

    @Test("a damaged tokenizer.json still fails with the decoder's message naming the file (the fast path falls back)")
    func damagedFileFallsBack() throws {
        let dir = try Fixtures.temporaryFolder("scanner-fallback")
        defer { try? FileManager.default.removeItem(at: dir) }
        let source = TokenizerFixtures.folder.appendingPathComponent("trained-bpe/tokenizer.json")
        let text = try String(contentsOf: source, encoding: .utf8)
        let url = dir.appendingPathComponent("tokenizer.json")
        try Data(text.replacingOccurrences(of: "\"merges\"", with: "\"merges\": 3, \"x\"").utf8).write(to: url)
        #expect(throws: TokenizerError.self) { try TokenizerJSONFile.read(url) }
    }
}
