import Foundation
import Testing
import TestSupport
@testable import Tokenizer

@Suite("BPE merges: fast heap twin against the naive lowest-rank-pair twin")
struct BPEMergeTests {
    @Test("fast and naive merges agree on every word of the test set", arguments: TokenizerFixtures.vocabularies)
    func agreeOnTestSetWords(vocabulary: String) {
        let tokenizer = TokenizerFixtures.tokenizer(vocabulary, .vocabularyAndMerges)
        var checked = 0, merged = 0
        for c in TokenizerFixtures.cases {
            for word in tokenizer.preTokenizer.split(c.text[...]) {
                let symbols = tokenizer.model.initialSymbols(word)
                let fast = tokenizer.model.merge(symbols)
                let naive = tokenizer.model.mergeNaive(symbols)
                #expect(fast == naive, "word \(TokenizerFixtures.show(String(decoding: word, as: UTF8.self)))")
                checked += 1
                if fast.count < symbols.count { merged += 1 }
            }
        }
        #expect(checked > 20_000)
        #expect(merged > checked / 3, "most words must exercise merges")
    }

    @Test("fast and naive merges agree on random byte strings and long repeats", arguments: TokenizerFixtures.vocabularies)
    func agreeOnRandomBytes(vocabulary: String) {
        let model = TokenizerFixtures.tokenizer(vocabulary, .vocabularyAndMerges).model
        var rng = SeededGenerator(state: 42)
        let alphabet = Array(" etaoinshrdlu".utf8) + [0xC3, 0xA9, 0xE2, 0x80, 0x99, 0x0A]
        for round in 0..<3000 {
            let length = Int.random(in: 1...64, using: &rng)
            let word: [UInt8] = round % 2 == 0
                ? (0..<length).map { _ in alphabet.randomElement(using: &rng)! }
                : (0..<length).map { _ in UInt8.random(in: 0...255, using: &rng) }
            let symbols = model.initialSymbols(word)
            #expect(model.merge(symbols) == model.mergeNaive(symbols), "bytes \(word)")
        }
        for repeated in ["a", "ab", " the", "0", "!", "\u{00e9}"] {
            let word = Array(String(repeating: repeated, count: 300).utf8)
            let symbols = model.initialSymbols(word)
            #expect(model.merge(symbols) == model.mergeNaive(symbols), "\(repeated) × 300")
        }
    }

    /// A toy vocabulary with hand-checked results.
    func toyModel(_ merges: [(String, String)]) throws -> BPEModel {
        var vocabulary: [String: Int32] = [:]
        for s in ByteEncoder.scalars { vocabulary[String(s)] = Int32(vocabulary.count) }
        for (a, b) in merges where vocabulary[a + b] == nil { vocabulary[a + b] = Int32(vocabulary.count) }
        return try BPEModel(vocabulary: vocabulary, merges: merges, unknownToken: nil, fuseUnknown: false,
                            ignoreMerges: false, vocabularyPath: "toy", mergesPath: "toy", mergeLocation: { "merge \($0)" })
    }

    func pieces(_ model: BPEModel, _ text: String, naive: Bool = false) -> [String] {
        let symbols = model.initialSymbols(Array(text.utf8))
        return (naive ? model.mergeNaive(symbols) : model.merge(symbols)).map { model.vocabulary.token($0)! }
    }

    @Test("merges apply by rank, not left to right; ties go to the leftmost pair")
    func rankOrder() throws {
        let model = try toyModel([("b", "c"), ("a", "b"), ("a", "a"), ("aa", "a")])
        #expect(pieces(model, "abc") == ["a", "bc"])          // "b c" (rank 0) wins over "a b" (rank 1)
        #expect(pieces(model, "aaa") == ["aaa"])              // "a a" at 0 first, then "aa a"
        #expect(pieces(model, "aaaa") == ["aa", "aa"])        // "a a" (rank 2) at 0 and 2 before "aa a" (rank 3)
        #expect(pieces(model, "aaaa", naive: true) == pieces(model, "aaaa"))
        #expect(pieces(model, "ab") == ["ab"])
        #expect(pieces(model, "xyz") == ["x", "y", "z"])
    }

    @Test("the byte-level pieces of a word come from GPT-2's real merges: Ġbarking, Ġdog")
    func realMerges() {
        let t = TokenizerFixtures.tokenizer("gpt2-roberta", .vocabularyAndMerges)
        func bpe(_ s: String) -> [String] { t.model.encode(word: Array(s.utf8)).map { t.model.vocabulary.token($0)! } }
        #expect(bpe(" barking") == ["Ġbarking"])
        #expect(bpe(" dog") == ["Ġdog"])
        #expect(bpe("magpie") == ["mag", "pie"])
    }
}
