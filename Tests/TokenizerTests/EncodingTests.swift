import Foundation
import Testing
@testable import Tokenizer

@Suite("Encoding: RoBERTa specials, truncation, padding and attention mask")
struct EncodingTests {
    let roberta = TokenizerFixtures.tokenizer("gpt2-roberta", .tokenizerJSON)

    @Test("the pseudo-RoBERTa vocabulary gives the documented ids for a CLAP query")
    func documentedExample() throws {
        // python-reference-offline.md §2: "a dog barking in the rain".
        let e = try roberta.encode("a dog barking in the rain")
        #expect(e.ids == [0, 68, 3294, 48965, 291, 266, 6294, 2])
        #expect(e.pieces == ["<s>", "a", "Ġdog", "Ġbarking", "Ġin", "Ġthe", "Ġrain", "</s>"])
        #expect(e.attentionMask == [1, 1, 1, 1, 1, 1, 1, 1])
    }

    @Test("special tokens have RoBERTa's ids: <s> 0, <pad> 1, </s> 2, <unk> 3, <mask> 50264")
    func specialIDs() {
        #expect(roberta.id(for: "<s>") == 0)
        #expect(roberta.id(for: "<pad>") == 1)
        #expect(roberta.id(for: "</s>") == 2)
        #expect(roberta.id(for: "<unk>") == 3)
        #expect(roberta.id(for: "<mask>") == 50264)
        #expect(roberta.padID == 1 && roberta.padding?.token == "<pad>")
        #expect(roberta.postProcessor == .roberta(cls: 0, sep: 2))
        #expect(roberta.idCount == 50265)
        #expect(roberta.token(for: 50264) == "<mask>")
        #expect(roberta.token(for: 50265) == nil)
    }

    @Test("laion_clap's call: padded to 77 with <pad> = 1 and mask 0 on the padding")
    func laionClapCall() throws {
        let e = try roberta.encode("magpie chirping sound", maxLength: 77, padToMaxLength: true)
        let real = try roberta.encode("magpie chirping sound").ids
        #expect(e.ids.count == 77 && e.attentionMask.count == 77 && e.pieces.count == 77)
        #expect(Array(e.ids.prefix(real.count)) == real)
        #expect(e.ids.dropFirst(real.count).allSatisfy { $0 == 1 })
        #expect(e.attentionMask == Array(repeating: 1, count: real.count) + Array(repeating: 0, count: 77 - real.count))
        #expect(e.pieces.last == "<pad>")
    }

    @Test("truncation keeps <s> and </s> and at most max_length − 2 content tokens (77 and 64)")
    func truncationKeepsSpecials() throws {
        let text = String(repeating: "dog ", count: 200)
        for maxLength in [77, 64, 3, 2] {
            let e = try roberta.encode(text, maxLength: maxLength, padToMaxLength: true)
            #expect(e.ids.count == maxLength)
            #expect(e.ids.first == 0 && e.ids.last == 2)
            #expect(e.ids.dropFirst().dropLast().allSatisfy { $0 != 0 && $0 != 2 && $0 != 1 })
            #expect(e.attentionMask.allSatisfy { $0 == 1 })
        }
        #expect(try roberta.encode(text, maxLength: 2).ids == [0, 2])
        #expect(try roberta.encode("", maxLength: 2, padToMaxLength: true).ids == [0, 2])
    }

    @Test("a maximum length smaller than the special tokens is a usage error")
    func maxLengthTooSmall() {
        #expect(throws: TokenizerError.maxLengthTooSmall(maxLength: 1, specialTokens: 2)) {
            try roberta.encode("dog", maxLength: 1)
        }
        #expect(TokenizerError.maxLengthTooSmall(maxLength: 1, specialTokens: 2).exitCode == .usage)
    }

    @Test("without special tokens nothing is added and all of max_length is content")
    func withoutSpecialTokens() throws {
        let e = try roberta.encode("a dog barking", addSpecialTokens: false)
        #expect(e.ids == [68, 3294, 48965])
        let cut = try roberta.encode(String(repeating: "dog ", count: 50), maxLength: 10, padToMaxLength: true, addSpecialTokens: false)
        #expect(cut.ids.count == 10 && !cut.ids.contains(0) && !cut.ids.contains(2))
    }

    @Test("no padding unless asked; padding without a maximum length does nothing")
    func paddingOnlyOnRequest() throws {
        #expect(try roberta.encode("dog", maxLength: 77).ids.count == 3)
        #expect(try roberta.encode("dog", padToMaxLength: true).ids.count == 3)
    }

    @Test("special-token strings in the text become the special tokens, as in the reference")
    func specialStringsInText() throws {
        #expect(try roberta.encode("<s>hello</s>").pieces == ["<s>", "<s>", "hello", "</s>", "</s>"])
        #expect(try roberta.encode("a<mask>b").ids == [0, 68, 50264, 69, 2])  // cases.jsonl #43
        #expect(roberta.decode(try roberta.encode("a <mask> dog").ids, skipSpecialTokens: true) == "a  dog")
    }

    @Test("decode joins byte-level pieces back into text; skipSpecialTokens drops <s>, </s>, <pad>")
    func decode() throws {
        let text = "Straße 🐶 naïve\t«quoted» 日本語"
        let e = try roberta.encode(text, maxLength: 77, padToMaxLength: true)
        #expect(roberta.decode(e.ids, skipSpecialTokens: true) == text)
        #expect(roberta.decode(e.ids).hasPrefix("<s>" + text + "</s><pad>"))
        #expect(roberta.decode([0, 99_999_999, -1, 2]) == "<s></s>")
    }

    @Test("encoding from many threads at once gives the same ids (shared word cache)")
    func concurrentEncoding() throws {
        let cases = Array(TokenizerFixtures.cases.prefix(800))
        let tokenizer = roberta
        let results = UnsafeMutableBufferPointer<Bool>.allocate(capacity: cases.count)
        results.initialize(repeating: false)
        defer { results.deallocate() }
        nonisolated(unsafe) let out = results
        DispatchQueue.concurrentPerform(iterations: cases.count) { i in
            out[i] = (try? tokenizer.encode(cases[i].text).ids) == cases[i].gpt2Roberta.ids
        }
        #expect(results.allSatisfy { $0 })
    }
}
