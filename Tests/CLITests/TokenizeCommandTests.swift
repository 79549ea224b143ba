import Foundation
import Testing
import TestSupport

@Suite("audio-index tokenize: ids and pieces on stdout, one-line errors with exit codes")
struct TokenizeCommandTests {
    let roberta = Fixtures.url("tokenizer/gpt2-roberta").path

    @Test("text output: ids, byte-level pieces and attention mask, specials included, no padding")
    func textOutput() throws {
        let r = try CLI.run(["tokenize", "--model", roberta, "a dog barking in the rain"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout == """
            ids: 0 68 3294 48965 291 266 6294 2
            pieces: <s> a Ġdog Ġbarking Ġin Ġthe Ġrain </s>
            attention_mask: 1 1 1 1 1 1 1 1

            """)
        #expect(r.stderr.isEmpty)
    }

    @Test("json output: one object per text with ids, pieces and attention_mask; --pad pads with <pad> = 1")
    func jsonOutput() throws {
        let r = try CLI.run(["tokenize", "--model", roberta, "--format", "json", "--max-length", "10", "--pad",
                             "a dog", "tab\there"])
        #expect(r.status == 0, "\(r.stderr)")
        let lines = r.stdout.split(separator: "\n").map(String.init)
        #expect(lines.count == 2)
        #expect(lines[0] == #"{"ids":[0,68,3294,2,1,1,1,1,1,1],"pieces":["<s>","a","Ġdog","</s>","<pad>","<pad>","<pad>","<pad>","<pad>","<pad>"],"attention_mask":[1,1,1,1,0,0,0,0,0,0]}"#)
        let second = try JSONSerialization.jsonObject(with: Data(lines[1].utf8)) as! [String: Any]
        #expect(Set(second.keys) == ["ids", "pieces", "attention_mask"])
        #expect((second["pieces"] as! [String]).contains("ĉ"))
        #expect((second["ids"] as! [Int]).count == 10)
    }

    @Test("--max-length truncates the content and keeps <s> and </s>")
    func truncation() throws {
        let r = try CLI.run(["tokenize", "--model", roberta, "--max-length", "4", "a dog barking in the rain"])
        #expect(r.status == 0)
        #expect(r.stdout.hasPrefix("ids: 0 68 3294 2\npieces: <s> a Ġdog </s>\n"))
    }

    @Test("--tokenizer DIR serves a model file that carries no tokenizer (laion_clap .pt)")
    func tokenizerForCheckpoint() throws {
        let dir = try Fixtures.temporaryFolder("tokenize-cli")
        defer { try? FileManager.default.removeItem(at: dir) }
        let checkpoint = dir.appendingPathComponent("630k-audioset-best.pt")
        try Data([0x50, 0x4B, 0x03, 0x04]).write(to: checkpoint)
        let ok = try CLI.run(["tokenize", "--model", checkpoint.path, "--tokenizer", roberta, "a dog"])
        #expect(ok.status == 0, "\(ok.stderr)")
        #expect(ok.stdout.hasPrefix("ids: 0 68 3294 2\n"))

        let missing = try CLI.run(["tokenize", "--model", checkpoint.path, "a dog"])
        #expect(missing.status == 5)
        #expect(missing.stdout.isEmpty)
        #expect(missing.stderr.contains(checkpoint.path) && missing.stderr.contains("--tokenizer"))
        #expect(missing.stderr.split(separator: "\n").count == 1)
    }

    @Test("a damaged vocab.json is exit 4 with the file named; a folder without tokenizer files is exit 5")
    func damagedFiles() throws {
        let dir = try Fixtures.temporaryFolder("tokenize-cli")
        defer { try? FileManager.default.removeItem(at: dir) }
        let r = try CLI.run(["tokenize", "--model", dir.path, "a dog"])
        #expect(r.status == 5)
        #expect(r.stderr.contains(dir.path) && r.stderr.contains("no tokenizer files"))

        try Data("{\"<s>\": 0,".utf8).write(to: dir.appendingPathComponent("vocab.json"))
        try Data("#version: 0.2\n".utf8).write(to: dir.appendingPathComponent("merges.txt"))
        let bad = try CLI.run(["tokenize", "--model", dir.path, "a dog"])
        #expect(bad.status == 4)
        #expect(bad.stderr.hasPrefix("audio-index: error: " + dir.appendingPathComponent("vocab.json").path + ": "))
    }

    @Test("usage errors are exit 2: no model, --max-length below 2, no text")
    func usageErrors() throws {
        for arguments in [["tokenize", "a dog"], ["tokenize", "--model", roberta, "--max-length", "1", "a dog"],
                          ["tokenize", "--model", roberta], ["tokenize", "--model", roberta, "--format", "xml", "a"]] {
            let r = try CLI.run(arguments)
            #expect(r.status == 2, "\(arguments)")
            #expect(r.stdout.isEmpty)
            #expect(!r.stderr.isEmpty)
        }
    }

    @Test("--help teaches: .pt models need --tokenizer, defaults shown, examples given")
    func help() throws {
        let r = try CLI.run(["tokenize", "--help"])
        #expect(r.status == 0)
        #expect(r.stdout.contains("--tokenizer DIR"))
        #expect(r.stdout.contains("(default: 77)"))
        #expect(r.stdout.contains("EXAMPLES"))
    }
}
