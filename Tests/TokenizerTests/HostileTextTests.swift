import Foundation
import Testing
import TestSupport
@testable import Tokenizer

/// A 1 MB query string (issue 7 item 5): truncated to the model's 77 tokens with the same ids as
/// the first words alone give, whatever the text holds — many words, one 1 MB word, 1 MB of one
/// non-ASCII character, or control bytes.
@Suite("hostile query text")
struct HostileTextTests {
    let roberta = TokenizerFixtures.tokenizer("gpt2-roberta", .tokenizerJSON)

    @Test("1 MB of words, one 1 MB word, 1 MB of é and 1 MB of control characters each give 77 ids, the prefix's own")
    func megabyteQueries() throws {
        let megabyte = 1 << 20
        let words = String(repeating: "a dog barking in the rain ", count: megabyte / 26)
        let oneWord = String(repeating: "x", count: megabyte)
        let accents = String(repeating: "é", count: megabyte / 2)
        let control = String(repeating: "\u{1}\t\u{7f}", count: megabyte / 3)
        for text in [words, oneWord, accents, control] {
            let e = try roberta.encode(text, maxLength: 77, padToMaxLength: true)
            #expect(e.ids.count == 77 && e.ids.first == 0 && e.ids.last == 2)
            #expect(e.attentionMask.allSatisfy { $0 == 1 } || e.ids.contains(1))
        }
        // One 1 MB word of CJK, white-space runs, and both with added tokens between: just run them.
        let cjk = String(repeating: "漢字かな", count: megabyte / 12)
        let spaces = String(repeating: " \n\t  \u{3000}", count: megabyte / 8)
        let mixed = String(repeating: "<s> dog's  barking\u{301}\n", count: megabyte / 24)
        for text in [cjk, spaces, mixed] {
            let e = try roberta.encode(text, maxLength: 77, padToMaxLength: true)
            #expect(e.ids.count == 77 && e.ids.first == 0)
            #expect(try roberta.encode(text, maxLength: 64).ids == Array(e.ids.prefix(63)) + [2])
        }
        // Truncation does not change the tokens it keeps (words split at spaces tokenize alone).
        let short = try roberta.encode(String(words.prefix(26 * 20)), maxLength: 77)
        let long = try roberta.encode(words, maxLength: 77)
        #expect(long.ids == short.ids)
    }

    /// Texts of ~20 kB mixing the committed strings (every script, emoji, combining marks, contractions, runs
    /// of spaces and newlines) in random order.
    static func longTexts(count: Int, seed: UInt64) -> [String] {
        var rng = SeededGenerator(state: seed)
        let pieces = TokenizerFixtures.cases.map(\.text)
        let glue = ["", " ", "  ", "\n", " \n ", "'", "'re", "\t", "\u{3000}"]
        return (0..<count).map { _ in
            var text = ""
            while text.utf8.count < 20_000 {
                text += pieces.randomElement(using: &rng)! + glue.randomElement(using: &rng)!
            }
            return text
        }
    }

    @Test("the capped encoding (a prefix of the text split and encoded) equals the first ids of the whole text, on every committed string at many limits and on 20 kB texts of many scripts")
    func cappedEqualsUncapped() throws {
        let tokenizers = [("gpt2-roberta", roberta), ("trained-bpe", TokenizerFixtures.tokenizer("trained-bpe", .vocabularyAndMerges)),
                          ("variant (add_prefix_space)", try ByteLevelBPETokenizer(folder: TokenizerFixtures.folder.appendingPathComponent("trained-bpe-variant")))]
        var mismatches: [String] = [], cut = 0
        for (name, t) in tokenizers {
            #expect(t.model.everyWordGivesAnID, "\(name)")
            for c in TokenizerFixtures.cases {
                let whole = t.contentIDs(c.text)
                for limit in [0, 1, 2, 3, 5, 13, 62, 75] {
                    let capped = t.contentIDs(c.text, limit: limit)
                    if capped.prefix(limit) != whole.prefix(limit) || capped.count < min(limit, whole.count) {
                        mismatches.append("\(name) limit \(limit) #\(c.id) \(TokenizerFixtures.show(c.text))")
                    }
                }
            }
            for text in Self.longTexts(count: 40, seed: 11) {
                let whole = t.contentIDs(text)
                for limit in [62, 75, 500, 3000] {
                    let capped = t.contentIDs(text, limit: limit)
                    if capped.count < whole.count { cut += 1 }
                    if capped.prefix(limit) != whole.prefix(limit) || capped.count < min(limit, whole.count) {
                        mismatches.append("\(name) limit \(limit) long \(TokenizerFixtures.show(text))")
                    }
                }
                #expect(try t.encode(text, maxLength: 77).ids == Array(t.encode(text).ids.prefix(76)) + [2], "\(name)")
            }
        }
        report(mismatches, of: TokenizerFixtures.cases.count * 8 * tokenizers.count)
        #expect(cut > 100, "the long texts must actually be cut")
    }
}
