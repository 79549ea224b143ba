import Diagnostics
import Foundation
import Testing
import TestSupport
@testable import Tokenizer

@Suite("Tokenizer files: HF folders load unchanged, damaged files fail with an error naming the file")
struct TokenizerFilesTests {
    /// A temporary copy of the trained-bpe folder with `files` only, optionally changed by `edit`.
    func folder(_ files: [String] = ["vocab.json", "merges.txt", "tokenizer.json", "tokenizer_config.json"],
                edit: (URL) throws -> Void = { _ in }) throws -> URL {
        let dir = try Fixtures.temporaryFolder("tokenizer-files")
        let source = TokenizerFixtures.folder.appendingPathComponent("trained-bpe")
        for f in files {
            try FileManager.default.copyItem(at: source.appendingPathComponent(f), to: dir.appendingPathComponent(f))
        }
        try edit(dir)
        return dir
    }

    func replace(_ url: URL, _ transform: (String) -> String) throws {
        let text = try String(contentsOf: url, encoding: .utf8)
        try Data(transform(text).utf8).write(to: url)
    }

    func truncate(_ url: URL, keeping fraction: Double) throws {
        let data = try Data(contentsOf: url)
        try data.prefix(Int(Double(data.count) * fraction)).write(to: url)
    }

    /// Loads `dir` and returns the error, checking that its one-line report names `file` and its exit code.
    func failure(_ dir: URL, _ choice: ByteLevelBPETokenizer.FileChoice = .automatic, names file: String,
                 exitCode: ProcessExitCode, sourceLocation: SourceLocation = #_sourceLocation) throws -> TokenizerError? {
        defer { try? FileManager.default.removeItem(at: dir) }
        do {
            _ = try ByteLevelBPETokenizer(folder: dir, choice: choice)
            Issue.record("loading succeeded", sourceLocation: sourceLocation)
            return nil
        } catch let error as TokenizerError {
            let line = ErrorReport.line(for: error)
            #expect(line.contains(dir.appendingPathComponent(file).path) || (file.isEmpty && line.contains(dir.path)),
                    "\(line)", sourceLocation: sourceLocation)
            #expect(error.exitCode == exitCode, "\(line)", sourceLocation: sourceLocation)
            #expect(!line.contains("\n"))
            return error
        }
    }

    @Test("a folder with only vocab.json + merges.txt, or only tokenizer.json, loads and encodes alike")
    func eitherFileSet() throws {
        let slow = try folder(["vocab.json", "merges.txt"])
        let fast = try folder(["tokenizer.json"])
        defer { try? FileManager.default.removeItem(at: slow); try? FileManager.default.removeItem(at: fast) }
        let a = try ByteLevelBPETokenizer(folder: slow)
        let b = try ByteLevelBPETokenizer(folder: fast)
        #expect(a.files.map(\.lastPathComponent) == ["vocab.json", "merges.txt"])
        #expect(b.files.map(\.lastPathComponent) == ["tokenizer.json"])
        for c in TokenizerFixtures.cases.prefix(500) {
            #expect(try a.encode(c.text, maxLength: 77, padToMaxLength: true) == b.encode(c.text, maxLength: 77, padToMaxLength: true))
            #expect(try a.encode(c.text).ids == c.trainedBPE.ids)
        }
    }

    @Test("the automatic choice prefers tokenizer.json, as the fast tokenizer does")
    func prefersTokenizerJSON() throws {
        let dir = try folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let t = try ByteLevelBPETokenizer(folder: dir)
        #expect(t.files.map(\.lastPathComponent) == ["tokenizer.json", "tokenizer_config.json"])
    }

    @Test("vocab.json without merges.txt names the missing companion")
    func missingMerges() throws {
        let error = try failure(try folder(["vocab.json"]), names: "vocab.json", exitCode: .badInput)
        #expect(error?.reason.contains("merges.txt") == true)
    }

    @Test("merges.txt without vocab.json names the missing companion")
    func missingVocabulary() throws {
        let error = try failure(try folder(["merges.txt"]), names: "merges.txt", exitCode: .badInput)
        #expect(error?.reason.contains("vocab.json") == true)
    }

    @Test("a folder without tokenizer files says so and mentions --tokenizer for .pt checkpoints")
    func emptyFolder() throws {
        let error = try failure(try folder([]), names: "", exitCode: .badInput)
        #expect(error == .noTokenizerFiles(folder: error.map { if case .noTokenizerFiles(let f) = $0 { f } else { "" } } ?? ""))
        #expect(error?.hint?.contains("--tokenizer") == true)
    }

    @Test("a model file instead of a folder, and a missing path, are rejected with what to do")
    func notAFolderOrMissing() throws {
        let dir = try Fixtures.temporaryFolder("tokenizer-files")
        defer { try? FileManager.default.removeItem(at: dir) }
        let checkpoint = dir.appendingPathComponent("630k-audioset-best.pt")
        try Data([0x50, 0x4B, 0x03, 0x04]).write(to: checkpoint)
        #expect(throws: TokenizerError.notAFolder(path: checkpoint.path)) { try ByteLevelBPETokenizer(folder: checkpoint) }
        let missing = dir.appendingPathComponent("no-such-model")
        #expect(throws: TokenizerError.missing(path: missing.path)) { try ByteLevelBPETokenizer(folder: missing) }
        #expect(TokenizerError.notAFolder(path: checkpoint.path).hint!.contains("--tokenizer DIR"))
    }

    @Test("vocab.json that is not JSON is corrupt, naming the file")
    func badVocabularyJSON() throws {
        let error = try failure(try folder(["vocab.json", "merges.txt"]) { try Data("{\"a\": 1,".utf8).write(to: $0.appendingPathComponent("vocab.json")) },
                                names: "vocab.json", exitCode: .corrupt)
        guard case .malformedJSON = error else { Issue.record("got \(String(describing: error))"); return }
    }

    @Test("a truncated vocab.json is corrupt, naming the file")
    func truncatedVocabulary() throws {
        _ = try failure(try folder(["vocab.json", "merges.txt"]) { try truncate($0.appendingPathComponent("vocab.json"), keeping: 0.5) },
                        names: "vocab.json", exitCode: .corrupt)
    }

    @Test("vocab.json of the wrong shape (ids that are not integers) is corrupt")
    func vocabularyWrongShape() throws {
        _ = try failure(try folder(["vocab.json", "merges.txt"]) { try Data("{\"a\": \"one\"}".utf8).write(to: $0.appendingPathComponent("vocab.json")) },
                        names: "vocab.json", exitCode: .corrupt)
    }

    @Test("merges.txt cut in the middle of a line names the file and the line")
    func truncatedMerges() throws {
        let error = try failure(try folder(["vocab.json", "merges.txt"]) { dir in
            try replace(dir.appendingPathComponent("merges.txt")) { text in
                let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
                return lines.prefix(100).joined(separator: "\n") + "\n" + lines[100].split(separator: " ")[0]
            }
        }, names: "merges.txt", exitCode: .corrupt)
        #expect(error == .malformedMerges(path: error?.subject ?? "", location: "line 101", detail: error.map { if case .malformedMerges(_, _, let d) = $0 { d } else { "" } } ?? ""))
        #expect(error?.reason.hasPrefix("line 101 is not a merge") == true)
    }

    @Test("a blank line inside merges.txt is malformed")
    func blankLineInMerges() throws {
        let error = try failure(try folder(["vocab.json", "merges.txt"]) { dir in
            try replace(dir.appendingPathComponent("merges.txt")) { $0.replacingOccurrences(of: "\nĠ t\n", with: "\nĠ t\n\n") }
        }, names: "merges.txt", exitCode: .corrupt)
        #expect(error?.reason.contains("empty line") == true)
    }

    @Test("a merge whose symbols are not in vocab.json is inconsistent, naming merges.txt and the line")
    func mergeNotInVocabulary() throws {
        let error = try failure(try folder(["vocab.json", "merges.txt"]) { dir in
            try replace(dir.appendingPathComponent("merges.txt")) { $0 + "Ġzzzq Ġqqqz\n" }
        }, names: "merges.txt", exitCode: .inconsistent)
        #expect(error?.reason.contains("Ġzzzq") == true)
        #expect(error?.reason.hasPrefix("line 3002") == true)
    }

    @Test("a vocabulary without <s> cannot produce RoBERTa's ids")
    func missingSpecialToken() throws {
        let error = try failure(try folder(["vocab.json", "merges.txt"]) { dir in
            try replace(dir.appendingPathComponent("vocab.json")) { $0.replacingOccurrences(of: "\"<s>\":0,", with: "") }
        }, names: "vocab.json", exitCode: .inconsistent)
        #expect(error?.reason.contains("<s>") == true)
    }

    @Test("a truncated tokenizer.json is corrupt, naming the file")
    func truncatedTokenizerJSON() throws {
        _ = try failure(try folder(["tokenizer.json"]) { try truncate($0.appendingPathComponent("tokenizer.json"), keeping: 0.7) },
                        names: "tokenizer.json", exitCode: .corrupt)
    }

    @Test("tokenizer.json without a model is corrupt and names the missing key")
    func tokenizerJSONWithoutModel() throws {
        let error = try failure(try folder(["tokenizer.json"]) { try Data("{\"version\":\"1.0\"}".utf8).write(to: $0.appendingPathComponent("tokenizer.json")) },
                                names: "tokenizer.json", exitCode: .corrupt)
        #expect(error?.reason.contains("model") == true)
    }

    @Test("tokenizer.json for another kind of model is unsupported, not silently wrong")
    func unsupportedModels() throws {
        for (from, to, mentions) in [("\"type\":\"BPE\"", "\"type\":\"WordPiece\"", "WordPiece"),
                                     ("\"normalizer\":null", "\"normalizer\":{\"type\":\"NFC\"}", "NFC"),
                                     ("\"dropout\":null", "\"dropout\":0.1", "dropout"),
                                     ("\"pre_tokenizer\":{\"type\":\"ByteLevel\"", "\"pre_tokenizer\":{\"type\":\"Whitespace\"", "Whitespace"),
                                     ("\"single_word\":false", "\"single_word\":true", "single_word")] {
            let error = try failure(try folder(["tokenizer.json"]) { dir in
                try replace(dir.appendingPathComponent("tokenizer.json")) { $0.replacingOccurrences(of: from, with: to) }
            }, names: "tokenizer.json", exitCode: .unsupported)
            #expect(error?.reason.contains(mentions) == true, "\(String(describing: error))")
        }
    }

    @Test("old-style string merges in tokenizer.json (\"Ġ t\") load like pair merges")
    func stringMerges() throws {
        let dir = try folder(["tokenizer.json"]) { dir in
            let url = dir.appendingPathComponent("tokenizer.json")
            var object = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
            var model = object["model"] as! [String: Any]
            model["merges"] = (model["merges"] as! [[String]]).map { $0.joined(separator: " ") }
            object["model"] = model
            try JSONSerialization.data(withJSONObject: object).write(to: url)
        }
        defer { try? FileManager.default.removeItem(at: dir) }
        let t = try ByteLevelBPETokenizer(folder: dir)
        for c in TokenizerFixtures.cases.prefix(300) {
            #expect(try t.encode(c.text).ids == c.trainedBPE.ids)
        }
    }

    @Test("tokenizer_config.json flags are honoured on the vocab.json + merges.txt path (<mask> with lstrip)")
    func configFlags() throws {
        let dir = try folder(["vocab.json", "merges.txt"]) { dir in
            let config = #"{"mask_token": {"content": "<mask>", "lstrip": true, "rstrip": false, "normalized": false}}"#
            try Data(config.utf8).write(to: dir.appendingPathComponent("tokenizer_config.json"))
        }
        defer { try? FileManager.default.removeItem(at: dir) }
        let t = try ByteLevelBPETokenizer(folder: dir)
        // lstrip: the space before <mask> goes with it, as in roberta-base's own tokenizer.json.
        #expect(try t.encode("a <mask> dog").pieces == ["<s>", "a", "<mask>", "Ġdog", "</s>"])
        let plain = TokenizerFixtures.tokenizer("trained-bpe", .vocabularyAndMerges)
        #expect(try plain.encode("a <mask> dog").pieces == ["<s>", "a", "Ġ", "<mask>", "Ġdog", "</s>"])
    }
}
