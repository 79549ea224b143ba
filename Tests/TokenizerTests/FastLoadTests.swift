import Foundation
import Testing
import TestSupport
@testable import Tokenizer

/// The fast loader (bytes straight into `TokenTable` and the merge map) against its slow, obviously-correct
/// twin (`JSONDecoder`, `String` splitting, `String` dictionaries): the same models, the same ids, the same errors.
@Suite("Fast tokenizer loading equals the slow twin")
struct FastLoadTests {
    static let combinations: [(String, ByteLevelBPETokenizer.FileChoice)] = TokenizerFixtures.vocabularies.flatMap {
        [($0, .vocabularyAndMerges), ($0, .tokenizerJSON)]
    }

    func load(_ dir: URL, _ choice: ByteLevelBPETokenizer.FileChoice, _ reader: ByteLevelBPETokenizer.Reader) throws -> ByteLevelBPETokenizer {
        try ByteLevelBPETokenizer(folder: dir, choice: choice, reader: reader)
    }

    func sameModel(_ a: ByteLevelBPETokenizer, _ b: ByteLevelBPETokenizer) -> Bool {
        a.model.vocabulary == b.model.vocabulary && a.model.byteIDs == b.model.byteIDs
            && a.model.merges.count == b.model.merges.count
            && a.model.merges.allSatisfy { key, m in b.model.merges[key].map { $0.rank == m.rank && $0.newID == m.newID } ?? false }
            && a.addedVocabulary.tokens == b.addedVocabulary.tokens && a.postProcessor == b.postProcessor
            && a.padding?.id == b.padding?.id && a.idCount == b.idCount
    }

    @Test("every committed folder and file set: identical vocabulary, merges, specials, and identical ids and pieces on all 5,467 strings",
          arguments: combinations)
    func identicalModelsAndIDs(vocabulary: String, choice: ByteLevelBPETokenizer.FileChoice) throws {
        let dir = TokenizerFixtures.folder.appendingPathComponent(vocabulary)
        let fast = try load(dir, choice, .fast), slow = try load(dir, choice, .slow)
        #expect(sameModel(fast, slow))
        #expect(fast.model.merges.count > 1000 && fast.model.vocabulary.idCount > 1000)
        var mismatches: [String] = []
        for c in TokenizerFixtures.cases {
            let a = try fast.encode(c.text), b = try slow.encode(c.text)
            let a77 = try fast.encode(c.text, maxLength: 77, padToMaxLength: true)
            let b77 = try slow.encode(c.text, maxLength: 77, padToMaxLength: true)
            if a != b || a77 != b77 { mismatches.append("#\(c.id) \(TokenizerFixtures.show(c.text))") }
        }
        report(mismatches, of: TokenizerFixtures.cases.count)
        for id in [0, 1, 2, 3, 100, fast.idCount - 1, fast.idCount, -1] {
            #expect(fast.token(for: id) == slow.token(for: id), "id \(id)")
        }
        for token in ["<s>", "Ġdog", "the", "no-such-token", ""] {
            #expect(fast.id(for: token) == slow.id(for: token), "\(token)")
        }
    }

    /// A temporary copy of gpt2-roberta's vocab.json + merges.txt with merges.txt changed by `edit`.
    func mergesFolder(_ edit: (String) -> String, vocab: ((String) -> String)? = nil) throws -> URL {
        let dir = try Fixtures.temporaryFolder("fast-load")
        let source = TokenizerFixtures.folder.appendingPathComponent("trained-bpe")
        let merges = try String(contentsOf: source.appendingPathComponent("merges.txt"), encoding: .utf8)
        try Data(edit(merges).utf8).write(to: dir.appendingPathComponent("merges.txt"))
        let vocabulary = try String(contentsOf: source.appendingPathComponent("vocab.json"), encoding: .utf8)
        try Data((vocab ?? { $0 })(vocabulary).utf8).write(to: dir.appendingPathComponent("vocab.json"))
        return dir
    }

    @Test("merges.txt with CRLF line ends, without the final newline, or without #version loads the same model (both readers)")
    func lineEndings() throws {
        let plain = try mergesFolder { $0 }
        defer { try? FileManager.default.removeItem(at: plain) }
        let reference = try load(plain, .vocabularyAndMerges, .slow)
        let variants: [(String, (String) -> String)] = [
            ("CRLF", { $0.replacingOccurrences(of: "\n", with: "\r\n") }),
            ("no final newline", { String($0.dropLast()) }),
            ("no #version line", { $0.hasPrefix("#version") ? String($0.drop { $0 != "\n" }.dropFirst()) : $0 }),
        ]
        for (name, edit) in variants {
            let dir = try mergesFolder(edit)
            defer { try? FileManager.default.removeItem(at: dir) }
            for reader in [ByteLevelBPETokenizer.Reader.fast, .slow] {
                let t = try load(dir, .vocabularyAndMerges, reader)
                #expect(sameModel(t, reference), "\(name), \(reader)")
            }
        }
    }

    @Test("damaged files give the same error from both readers")
    func sameErrors() throws {
        let damages: [(String, (String) -> String, ((String) -> String)?)] = [
            ("blank line", { $0.replacingOccurrences(of: "\nĠ t\n", with: "\nĠ t\n\n") }, nil),
            ("three parts", { $0 + "a b c\n" }, nil),
            ("one part", { $0 + "abc\n" }, nil),
            ("leading space", { $0 + " a\n" }, nil),
            ("unknown symbol", { $0 + "Ġzzzq Ġqqqz\n" }, nil),
            ("unknown concatenation", { $0 + "a a\n" }, nil),
            ("duplicate id", { $0 }, { $0.replacingOccurrences(of: "\"<s>\":0,", with: "\"<s>\":0,\"<zz>\":0,") }),
            ("id out of range", { $0 }, { $0.replacingOccurrences(of: "\"<s>\":0,", with: "\"<s>\":0,\"<zz>\":99999999,") }),
            ("negative id", { $0 }, { $0.replacingOccurrences(of: "\"<s>\":0,", with: "\"<s>\":0,\"<zz>\":-4,") }),
            ("truncated vocab.json", { $0 }, { String($0.prefix($0.count / 2)) }),
        ]
        for (name, edit, vocab) in damages {
            let dir = try mergesFolder(edit, vocab: vocab)
            defer { try? FileManager.default.removeItem(at: dir) }
            func error(_ reader: ByteLevelBPETokenizer.Reader) -> TokenizerError? {
                do { _ = try load(dir, .vocabularyAndMerges, reader); return nil } catch { return error as? TokenizerError }
            }
            let fast = error(.fast), slow = error(.slow)
            #expect(fast != nil && fast == slow, "\(name): fast \(String(describing: fast)), slow \(String(describing: slow))")
        }
        // Not UTF-8.
        let dir = try mergesFolder { $0 }
        defer { try? FileManager.default.removeItem(at: dir) }
        var bytes = try Data(contentsOf: dir.appendingPathComponent("merges.txt"))
        bytes.append(contentsOf: [0x61, 0x20, 0xFF, 0x0A])
        try bytes.write(to: dir.appendingPathComponent("merges.txt"))
        #expect(throws: TokenizerError.malformedMerges(path: dir.appendingPathComponent("merges.txt").path, location: "the file", detail: "not UTF-8 text")) {
            try load(dir, .vocabularyAndMerges, .fast)
        }
    }

    @Test("the UTF-8 check equals String(validating:) on random, truncated and overlong byte strings")
    func utf8Check() {
        var rng = SeededGenerator(state: 7)
        let samples: [[UInt8]] = [[], [0xC0, 0x80], [0xE0, 0x80, 0x80], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80],
                                  [0xF0, 0x9F, 0x98, 0x80], [0xF0, 0x9F, 0x98], Array("aé漢😀".utf8)]
        let pieces: [[UInt8]] = [Array("abcdefgh".utf8), Array("é".utf8), Array("漢".utf8), Array("😀".utf8), [0x80], [0xC3], [0xF4, 0x8F, 0xBF, 0xBF]]
        var all = samples
        for _ in 0..<20_000 {
            if Bool.random(using: &rng) {
                all.append((0..<Int.random(in: 0...24, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) })
            } else {
                all.append((0..<Int.random(in: 0...8, using: &rng)).flatMap { _ in pieces.randomElement(using: &rng)! })
            }
        }
        for bytes in all {
            let fast = bytes.withUnsafeBytes { VocabularyJSONScanner.isValidUTF8($0) }
            let slow = bytes.withUnsafeBytes { String(validating: $0, as: UTF8.self) } != nil
            #expect(fast == slow, "\(bytes)")
        }
    }
}
