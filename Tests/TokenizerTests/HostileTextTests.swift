import Foundation
import Testing
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
        // Truncation does not change the tokens it keeps (words split at spaces tokenize alone).
        let short = try roberta.encode(String(words.prefix(26 * 20)), maxLength: 77)
        let long = try roberta.encode(words, maxLength: 77)
        #expect(long.ids == short.ids)
    }
}
