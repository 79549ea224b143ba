/// Splits text into the words BPE works on, exactly as GPT-2's pattern does in Hugging Face `tokenizers`:
///
///     's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
///
/// The pattern is not run through a regex engine: it is a hand-written scanner over Unicode scalars that
/// tries the alternatives in order at each position, the way a backtracking engine (Oniguruma, which
/// `tokenizers` uses) does. The only alternative that needs backtracking is `\s+(?!\S)`: a run of white space
/// followed by a non-space gives back its last character, so the space is left to start the next word
/// ("a   b" → "a", "  ", " b").
///
/// The character classes are the reference's: `\p{L}` and `\p{N}` are general categories L* and N*, `\s` is
/// the Unicode White_Space property. The reference's tables are Unicode 16.0 (Oniguruma in tokenizers
/// 0.23.3), Swift 6.3's are 17.0, so code points first assigned after `referenceUnicodeVersion` are treated as
/// unassigned, as the reference sees them. `Tests/Fixtures/tokenizer/categories.json` records the
/// reference's class of every code point and a test compares all 1,114,112.
///
/// Reference: tokenizers `tokenizers/src/pre_tokenizers/byte_level.rs` (`ByteLevel`, `use_regex: true`,
/// the `RE` pattern; `add_prefix_space` prepends one space when the text does not start with one).
public struct ByteLevelPreTokenizer: Sendable, Equatable {
    /// RoBERTa and CLAP use false; true makes the first word look like a word after a space.
    public var addPrefixSpace: Bool
    /// False: the whole text is one word (tokenizer.json `"use_regex": false`).
    public var useRegex: Bool

    /// The Unicode version of the reference's character tables (see the type's documentation).
    public static let referenceUnicodeVersion = (major: 16, minor: 0)

    public init(addPrefixSpace: Bool = false, useRegex: Bool = true) {
        self.addPrefixSpace = addPrefixSpace
        self.useRegex = useRegex
    }

    /// The character classes the pattern distinguishes.
    public enum CharacterClass: UInt8, Sendable {
        case letter, number, whitespace, other
    }

    /// The class the reference gives `scalar`.
    public static func characterClass(of scalar: Unicode.Scalar) -> CharacterClass {
        let v = scalar.value
        if v < 0x80 { return asciiClasses[Int(v)] }
        if v < 0x10000 { return CharacterClass(rawValue: bmpClasses[Int(v)])! }
        return computeClass(scalar)
    }

    /// The words of `text`, each as its UTF-8 bytes (before the byte-to-character mapping).
    public func split(_ text: Substring) -> [[UInt8]] {
        let scalars = scalars(of: text)
        if scalars.isEmpty { return [] }
        guard useRegex else { return [utf8(scalars[...])] }
        return Self.wordRanges(scalars).map { utf8(scalars[$0]) }
    }

    /// The scalars the pattern runs over: the text's, after the prefix space when `addPrefixSpace`.
    func scalars(of text: Substring) -> [Unicode.Scalar] {
        var scalars = Array(text.unicodeScalars)
        if addPrefixSpace, scalars.first != " " { scalars.insert(" ", at: 0) }
        return scalars
    }

    /// The pattern, alternative by alternative, over scalar indices.
    static func wordRanges(_ s: [Unicode.Scalar]) -> [Range<Int>] {
        let n = s.count
        let classes = s.map(characterClass(of:))
        var words: [Range<Int>] = []
        var i = 0
        while i < n {
            let start = i
            // 's|'t|'re|'ve|'m|'ll|'d  (case-sensitive, ASCII apostrophe only)
            if s[i] == "'", let length = contractionLength(s, after: i) {
                i += length
            // ` ?\p{L}+`, ` ?\p{N}+`, ` ?[^\s\p{L}\p{N}]+`: an optional U+0020, then a run of one class.
            } else if s[i] == " ", i + 1 < n, classes[i + 1] != .whitespace {
                let cls = classes[i + 1]
                i += 2
                while i < n, classes[i] == cls { i += 1 }
            } else if classes[i] != .whitespace {
                let cls = classes[i]
                i += 1
                while i < n, classes[i] == cls { i += 1 }
            } else {
                var end = i + 1
                while end < n, classes[end] == .whitespace { end += 1 }
                if end == n {
                    i = end                // `\s+(?!\S)` to the end of the text
                } else if end - 1 > i {
                    i = end - 1            // `\s+(?!\S)`, leaving the last space to the next word
                } else {
                    i = end                // `\s+`: one white-space character before a non-space
                }
            }
            words.append(start..<i)
        }
        return words
    }

    private static func contractionLength(_ s: [Unicode.Scalar], after i: Int) -> Int? {
        func at(_ k: Int) -> Unicode.Scalar? { i + k < s.count ? s[i + k] : nil }
        switch at(1) {
        case "s", "t", "m", "d": return 2
        case "r", "v": return at(2) == "e" ? 3 : nil
        case "l": return at(2) == "l" ? 3 : nil
        default: return nil
        }
    }

    func utf8(_ scalars: ArraySlice<Unicode.Scalar>) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(scalars.count)
        for s in scalars { UTF8.encode(s) { bytes.append($0) } }
        return bytes
    }

    private static let asciiClasses: [CharacterClass] = (0..<0x80).map { computeClass(Unicode.Scalar(UInt8($0))) }
    private static let bmpClasses: [UInt8] = (0..<0x10000).map { v in
        Unicode.Scalar(UInt32(v)).map { computeClass($0).rawValue } ?? CharacterClass.other.rawValue
    }

    /// The class from Swift's Unicode tables, with code points newer than the reference's tables unassigned.
    static func computeClass(_ scalar: Unicode.Scalar) -> CharacterClass {
        let properties = scalar.properties
        guard let age = properties.age,
              (age.major, age.minor) <= referenceUnicodeVersion else { return .other }  // Cn: unassigned
        if properties.isWhitespace { return .whitespace }
        switch properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter:
            return .letter
        case .decimalNumber, .letterNumber, .otherNumber:
            return .number
        default:
            return .other
        }
    }
}
