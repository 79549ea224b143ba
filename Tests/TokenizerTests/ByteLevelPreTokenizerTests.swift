import Testing
@testable import Tokenizer

@Suite("Pre-tokenizer: GPT-2's pattern as tokenizers applies it")
struct ByteLevelPreTokenizerTests {
    /// The words of `text` as strings.
    func words(_ text: String, addPrefixSpace: Bool = false) -> [String] {
        ByteLevelPreTokenizer(addPrefixSpace: addPrefixSpace).split(text[...]).map { String(decoding: $0, as: UTF8.self) }
    }

    @Test("every code point 0…U+10FFFF is classified as the reference classifies it (documented exceptions: none)")
    func allCodePointsMatchTheReference() {
        let reference = TokenizerFixtures.referenceClasses
        var differences: [String] = []
        for cp in 0..<0x110000 {
            guard let scalar = Unicode.Scalar(UInt32(cp)) else {
                #expect(reference[cp] == "X", "U+\(String(cp, radix: 16)) is a surrogate")
                continue
            }
            let mine: Character
            switch ByteLevelPreTokenizer.characterClass(of: scalar) {
            case .letter: mine = "L"
            case .number: mine = "N"
            case .whitespace: mine = "S"
            case .other: mine = "O"
            }
            if mine != reference[cp] {
                let age = scalar.properties.age.map { "\($0.major).\($0.minor)" } ?? "unassigned"
                differences.append("U+\(String(cp, radix: 16, uppercase: true)) (Unicode \(age)): \(mine), reference \(reference[cp])")
            }
        }
        if !differences.isEmpty {
            Issue.record(Comment(rawValue: "\(differences.count) code points differ:\n"
                + differences.prefix(20).joined(separator: "\n")))
        }
    }

    @Test("code points newer than the reference's Unicode 16.0 tables are unassigned, as the reference sees them")
    func newerCodePointsAreOther() {
        // U+088F ARABIC LETTER NOON WITH RING ABOVE (Unicode 17.0): Lo for Swift 6.3, unassigned for the reference.
        let u088F = Unicode.Scalar(0x088F)!
        if let age = u088F.properties.age, age.major >= 17 {
            #expect(u088F.properties.generalCategory == .otherLetter)
        }
        #expect(ByteLevelPreTokenizer.characterClass(of: u088F) == .other)
        #expect(TokenizerFixtures.referenceClasses[0x088F] == "O")
        // U+1C89 CYRILLIC CAPITAL LETTER TJE (Unicode 16.0) is a letter for both.
        #expect(ByteLevelPreTokenizer.characterClass(of: Unicode.Scalar(0x1C89)!) == .letter)
        #expect(TokenizerFixtures.referenceClasses[0x1C89] == "L")
    }

    @Test("a run of spaces gives its last space to the next word: `\\s+(?!\\S)`")
    func spacesBeforeAWord() {
        #expect(words("a   b") == ["a", "  ", " b"])
        #expect(words("x  \n y") == ["x", "  \n", " y"])
        #expect(words("a  ") == ["a", "  "])
        #expect(words("\ta") == ["\t", "a"])
        #expect(words("  ") == ["  "])
        #expect(words(" ") == [" "])
    }

    @Test("contractions are the seven lowercase ASCII ones, tried before letters")
    func contractions() {
        #expect(words("it's") == ["it", "'s"])
        #expect(words("they're we've I'm you'll he'd don't")
                == ["they", "'re", " we", "'ve", " I", "'m", " you", "'ll", " he", "'d", " don", "'t"])
        #expect(words("IT'S") == ["IT", "'", "S"])
        #expect(words(" 's") == [" '", "s"])
        #expect(words("'sound") == ["'s", "ound"])
        #expect(words("it’s") == ["it", "’", "s"])
    }

    @Test("letters, numbers and other characters form separate runs, each with one optional leading space")
    func classRuns() {
        #expect(words("hello world") == ["hello", " world"])
        #expect(words("3.14 kHz") == ["3", ".", "14", " kHz"])
        #expect(words("x²½") == ["x", "²½"])
        #expect(words(" !! ok") == [" !!", " ok"])
        #expect(words("😀😀 a") == ["😀😀", " a"])
        #expect(words("") == [])
    }

    @Test("add_prefix_space prepends one space unless the text starts with one")
    func prefixSpace() {
        #expect(words("dog", addPrefixSpace: true) == [" dog"])
        #expect(words(" dog", addPrefixSpace: true) == [" dog"])
        #expect(words("", addPrefixSpace: true) == [" "])
    }

    @Test("GPT-2's byte table: printable Latin-1 stands for itself, space is Ġ, newline Ċ, and it is a bijection")
    func byteTable() {
        #expect(ByteEncoder.scalars.count == 256)
        #expect(Set(ByteEncoder.scalars).count == 256)
        #expect(ByteEncoder.scalars[0x20] == "\u{0120}")
        #expect(ByteEncoder.scalars[0x0A] == "\u{010A}")
        #expect(ByteEncoder.scalars[0x21] == "!")
        #expect(ByteEncoder.scalars[0xAD] == "\u{0143}")
        #expect(ByteEncoder.encode(Array(" dog".utf8)) == "Ġdog")
        for b in 0...255 {
            #expect(ByteEncoder.byte(for: ByteEncoder.scalars[b]) == UInt8(b))
        }
        #expect(ByteEncoder.decode("Ġdog") == Array(" dog".utf8))
        #expect(ByteEncoder.decode("a b") == nil)
    }
}
