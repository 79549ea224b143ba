import Foundation
import Testing
@testable import Tokenizer

/// Exact parity with Hugging Face `tokenizers` on the committed test set (cases.jsonl, 5,467 strings).
/// Documented exceptions: none. Any mismatch fails, listing the first few with their recipe.
@Suite("Reference parity: identical ids and pieces to Hugging Face tokenizers")
struct ReferenceParityTests {
    static let combinations: [(String, ByteLevelBPETokenizer.FileChoice)] = TokenizerFixtures.vocabularies.flatMap {
        [($0, .vocabularyAndMerges), ($0, .tokenizerJSON)]
    }

    @Test("the committed test set has at least 5,000 strings, the empty one included, from every recipe")
    func testSetCoverage() {
        let cases = TokenizerFixtures.cases
        #expect(cases.count >= 5000)
        #expect(cases.contains { $0.text.isEmpty })
        let recipes = Set(cases.map(\.recipe))
        for recipe in ["clap-query", "contraction", "whitespace", "digits", "punctuation", "script", "combining",
                       "emoji", "random-code-points", "long", "newer-unicode"] {
            #expect(recipes.contains(recipe), "recipe \(recipe) missing")
        }
        #expect(cases.contains { $0.text.unicodeScalars.count >= 1000 }, "very long words")
    }

    @Test("ids and pieces without truncation are the reference's for every string",
          arguments: combinations)
    func untruncated(vocabulary: String, choice: ByteLevelBPETokenizer.FileChoice) throws {
        let tokenizer = TokenizerFixtures.tokenizer(vocabulary, choice)
        var mismatches: [String] = []
        for c in TokenizerFixtures.cases {
            let expected = c.expected(vocabulary)
            let got = try tokenizer.encode(c.text)
            let pieces = expected.pieces.split(separator: " ").map(String.init)
            if got.ids != expected.ids || got.pieces != pieces || got.attentionMask != Array(repeating: 1, count: expected.ids.count) {
                mismatches.append("#\(c.id) [\(c.recipe)] \(TokenizerFixtures.show(c.text)): got \(got.pieces.prefix(12)) \(got.ids.prefix(12)), expected \(pieces.prefix(12)) \(expected.ids.prefix(12))")
            }
        }
        report(mismatches, of: TokenizerFixtures.cases.count)
    }

    @Test("truncation to 77 and 64 with padding gives the reference's ids and attention mask",
          arguments: combinations)
    func truncatedAndPadded(vocabulary: String, choice: ByteLevelBPETokenizer.FileChoice) throws {
        let tokenizer = TokenizerFixtures.tokenizer(vocabulary, choice)
        var mismatches: [String] = []
        var truncatedCount = 0
        for c in TokenizerFixtures.cases {
            for maxLength in [77, 64] {
                let real = c.expected(vocabulary).truncated(maxLength)
                if real.count == maxLength, c.expected(vocabulary).ids.count > maxLength { truncatedCount += 1 }
                let padding = maxLength - real.count
                let expectedIDs = real + Array(repeating: 1, count: padding)
                let expectedMask = Array(repeating: 1, count: real.count) + Array(repeating: 0, count: padding)
                let got = try tokenizer.encode(c.text, maxLength: maxLength, padToMaxLength: true)
                let unpadded = try tokenizer.encode(c.text, maxLength: maxLength)
                if got.ids != expectedIDs || got.attentionMask != expectedMask || unpadded.ids != real
                    || got.pieces.suffix(padding) != ArraySlice(Array(repeating: "<pad>", count: padding)) {
                    mismatches.append("#\(c.id) max \(maxLength) \(TokenizerFixtures.show(c.text)): got \(got.ids.prefix(20)), expected \(expectedIDs.prefix(20))")
                }
            }
        }
        #expect(truncatedCount > 100, "the set must exercise truncation")
        report(mismatches, of: TokenizerFixtures.cases.count)
    }

    @Test("decoding the ids gives the text back, and the reference's text where it differs",
          arguments: TokenizerFixtures.vocabularies)
    func decodeRoundTrip(vocabulary: String) {
        let tokenizer = TokenizerFixtures.tokenizer(vocabulary, .vocabularyAndMerges)
        var mismatches: [String] = []
        for c in TokenizerFixtures.cases {
            let e = c.expected(vocabulary)
            let withSpecials = tokenizer.decode(e.ids)
            let plain = tokenizer.decode(e.ids, skipSpecialTokens: true)
            if withSpecials != (e.decoded ?? "<s>" + c.text + "</s>") || plain != (e.decodedSkipSpecial ?? c.text) {
                mismatches.append("#\(c.id) \(TokenizerFixtures.show(c.text)) → \(TokenizerFixtures.show(plain))")
            }
        }
        report(mismatches, of: TokenizerFixtures.cases.count)
    }

    @Test("decoding random id sequences (cut characters, specials) matches the reference's lossy UTF-8",
          arguments: TokenizerFixtures.vocabularies)
    func decodeRandomIDs(vocabulary: String) {
        let tokenizer = TokenizerFixtures.tokenizer(vocabulary, .tokenizerJSON)
        let cases = TokenizerFixtures.decodeCases[vocabulary]!
        #expect(cases.count == 300)
        #expect(cases.contains { $0.text.unicodeScalars.contains("\u{FFFD}") }, "the set must cut characters")
        for c in cases {
            #expect(tokenizer.decode(c.ids) == c.text, "ids \(c.ids)")
            #expect(tokenizer.decode(c.ids, skipSpecialTokens: true) == c.skipSpecial, "ids \(c.ids)")
        }
    }

    @Test("add_prefix_space and <mask> with lstrip + rstrip (tokenizer.json options) give the reference's ids")
    func prefixSpaceAndStrippingMask() throws {
        let tokenizer = try ByteLevelBPETokenizer(folder: TokenizerFixtures.folder.appendingPathComponent("trained-bpe-variant"))
        #expect(tokenizer.preTokenizer.addPrefixSpace)
        #expect(tokenizer.addedVocabulary.tokens.contains { $0.content == "<mask>" && $0.lstrip && $0.rstrip })
        let cases = TokenizerFixtures.variantCases
        #expect(cases.count > 1500)
        var mismatches: [String] = []
        for c in cases where try tokenizer.encode(c.text).ids != c.ids {
            mismatches.append("\(TokenizerFixtures.show(c.text)): got \(try tokenizer.encode(c.text).ids.prefix(20)), expected \(c.ids.prefix(20))")
        }
        report(mismatches, of: cases.count)
    }

    @Test("tokenizer.json alone and vocab.json + merges.txt load the same tokenizer",
          arguments: TokenizerFixtures.vocabularies)
    func sameTokenizerFromEitherFiles(vocabulary: String) {
        let a = TokenizerFixtures.tokenizer(vocabulary, .vocabularyAndMerges)
        let b = TokenizerFixtures.tokenizer(vocabulary, .tokenizerJSON)
        #expect(a.model.vocabulary == b.model.vocabulary && a.model.vocabulary.idCount > 1000)
        #expect(a.model.merges.count == b.model.merges.count)
        #expect(a.model.merges.allSatisfy { key, m in b.model.merges[key].map { $0.rank == m.rank && $0.newID == m.newID } ?? false })
        #expect(a.addedVocabulary.tokens.sorted { $0.id < $1.id } == b.addedVocabulary.tokens.sorted { $0.id < $1.id })
        #expect(a.postProcessor == b.postProcessor)
        #expect(a.preTokenizer == b.preTokenizer)
        #expect(a.padding?.id == b.padding?.id && a.padding?.token == b.padding?.token)
    }
}

/// One issue listing the first mismatches (the documented exceptions are none, so any mismatch fails).
func report(_ mismatches: [String], of total: Int) {
    guard !mismatches.isEmpty else { return }
    Issue.record(Comment(rawValue: "\(mismatches.count) of \(total) differ; first ones:\n"
        + mismatches.prefix(10).joined(separator: "\n")))
}
