import Foundation

/// A small JSON scanner for the two big values of a tokenizer: the vocabulary (`{"token": id, …}`, the
/// whole of `vocab.json` or `model.vocab` of `tokenizer.json`) and `model.merges` (`["a b", …]` or
/// `[["a", "b"], …]`). Why: Foundation's `JSONDecoder` takes ~0.5 s for GPT-2's 50,265 tokens and 50,000
/// merges, most of the text encoder's load; this reads them in a few ms straight from the bytes.
///
/// It accepts exactly RFC 8259 JSON (strings with every escape, `\uXXXX` surrogate pairs, numbers) and
/// refuses what the decoder refuses: invalid UTF-8, lone surrogates, control characters in strings, a
/// non-integer id, trailing garbage. A repeated key keeps its last value, as serde_json (tokenizers) and
/// Python's json (transformers) do; `JSONDecoder` would keep the first. Its slow twin is the `JSONDecoder` path (`TokenizerJSONFile.readSlow`,
/// `ByteLevelBPETokenizer.decodeVocabularySlow`); `TokenizerFilesTests` compares the two.
struct VocabularyJSONScanner {
    struct Failure: Error {
        let offset: Int
        let detail: String
        var description: String { "\(detail) at byte \(offset)" }
    }

    private let bytes: UnsafeRawBufferPointer
    private(set) var offset: Int
    /// Reused across strings so scanning allocates only the resulting Strings.
    private var buffer: [UInt8] = []

    init(_ bytes: UnsafeRawBufferPointer, offset: Int = 0) {
        self.bytes = bytes
        self.offset = offset
        buffer.reserveCapacity(256)
    }

    // MARK: Whole files and values

    /// `{"token": id, …}`: the whole buffer must be this one object. A repeated key keeps its last value.
    static func vocabulary(_ bytes: UnsafeRawBufferPointer) throws(Failure) -> [String: Int] {
        var s = VocabularyJSONScanner(bytes)
        let v = try s.vocabularyValue()
        try s.expectEnd()
        return v
    }

    /// An object of string → integer at the cursor.
    mutating func vocabularyValue() throws(Failure) -> [String: Int] {
        var result: [String: Int] = [:]
        result.reserveCapacity(max(16, bytes.count / 16))
        try object { (s: inout VocabularyJSONScanner, key: String) throws(Failure) in
            result[key] = try s.integer()
        }
        return result
    }

    /// `["a b", …]` or `[["a", "b"], …]` at the cursor (an empty array is the string form, as the decoder reads it).
    mutating func mergesValue() throws(Failure) -> TokenizerJSONFile.Merges {
        skipSpace()
        try expect(UInt8(ascii: "["))
        skipSpace()
        if peek() == UInt8(ascii: "]") { offset += 1; return .strings([]) }
        if peek() == UInt8(ascii: "[") {
            var pairs: [[String]] = []
            repeat {
                skipSpace()
                try expect(UInt8(ascii: "["))
                var pair: [String] = []
                skipSpace()
                if peek() != UInt8(ascii: "]") {
                    repeat { pair.append(try string()) } while try nextElement(closing: UInt8(ascii: "]"))
                } else {
                    offset += 1
                }
                pairs.append(pair)
            } while try nextElement(closing: UInt8(ascii: "]"))
            return .pairs(pairs)
        }
        var strings: [String] = []
        repeat { strings.append(try string()) } while try nextElement(closing: UInt8(ascii: "]"))
        return .strings(strings)
    }

    /// Calls `body` for each key of the object at the cursor, with the cursor at the value; `body` must
    /// consume the value.
    mutating func object(_ body: (inout VocabularyJSONScanner, String) throws(Failure) -> Void) throws(Failure) {
        skipSpace()
        try expect(UInt8(ascii: "{"))
        skipSpace()
        if peek() == UInt8(ascii: "}") { offset += 1; return }
        repeat {
            let key = try string()
            skipSpace()
            try expect(UInt8(ascii: ":"))
            try body(&self, key)
        } while try nextElement(closing: UInt8(ascii: "}"))
    }

    /// Skips one value of any kind (the parts of tokenizer.json this scanner does not read).
    mutating func skipValue() throws(Failure) {
        skipSpace()
        switch peek() {
        case UInt8(ascii: "{"):
            try object { (s: inout VocabularyJSONScanner, _: String) throws(Failure) in try s.skipValue() }
        case UInt8(ascii: "["):
            offset += 1
            skipSpace()
            if peek() == UInt8(ascii: "]") { offset += 1; return }
            repeat { try skipValue() } while try nextElement(closing: UInt8(ascii: "]"))
        case UInt8(ascii: "\""):
            _ = try string()
        case UInt8(ascii: "t"): try literal("true")
        case UInt8(ascii: "f"): try literal("false")
        case UInt8(ascii: "n"): try literal("null")
        default: try number()
        }
    }

    mutating func expectEnd() throws(Failure) {
        skipSpace()
        guard offset == bytes.count else { throw Failure(offset: offset, detail: "unexpected text after the JSON value") }
    }

    // MARK: Tokens

    /// After an element: `,` (true, another follows) or `closing` (false, consumed).
    private mutating func nextElement(closing: UInt8) throws(Failure) -> Bool {
        skipSpace()
        guard let c = peek() else { throw Failure(offset: offset, detail: "unexpected end of the file") }
        offset += 1
        if c == UInt8(ascii: ",") { skipSpace(); return true }
        if c == closing { return false }
        throw Failure(offset: offset - 1, detail: "expected ',' or '\(Character(Unicode.Scalar(closing)))'")
    }

    @inline(__always)
    private func peek() -> UInt8? { offset < bytes.count ? bytes[offset] : nil }

    @inline(__always)
    mutating func skipSpace() {
        while offset < bytes.count {
            switch bytes[offset] {
            case 0x20, 0x0A, 0x0D, 0x09: offset += 1
            default: return
            }
        }
    }

    private mutating func expect(_ c: UInt8) throws(Failure) {
        guard peek() == c else {
            throw Failure(offset: offset, detail: offset < bytes.count ? "expected '\(Character(Unicode.Scalar(c)))'" : "unexpected end of the file")
        }
        offset += 1
    }

    private mutating func literal(_ word: String) throws(Failure) {
        for c in word.utf8 { try expect(c) }
    }

    /// A JSON number (validated, value unused).
    private mutating func number() throws(Failure) {
        let start = offset
        if peek() == UInt8(ascii: "-") { offset += 1 }
        guard let d = peek(), d >= 0x30, d <= 0x39 else { throw Failure(offset: start, detail: "expected a JSON value") }
        if d == 0x30 { offset += 1 } else { digits() }
        if peek() == UInt8(ascii: ".") {
            offset += 1
            guard digits() > 0 else { throw Failure(offset: offset, detail: "expected a digit after '.'") }
        }
        if let e = peek(), e == UInt8(ascii: "e") || e == UInt8(ascii: "E") {
            offset += 1
            if let sign = peek(), sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") { offset += 1 }
            guard digits() > 0 else { throw Failure(offset: offset, detail: "expected a digit in the exponent") }
        }
    }

    @discardableResult
    private mutating func digits() -> Int {
        let start = offset
        while let c = peek(), c >= 0x30, c <= 0x39 { offset += 1 }
        return offset - start
    }

    /// An integer id. A number with a fraction or exponent is refused (the decoder refuses 1.5 for Int; an
    /// integral 1.0 or 1e2 it would accept never occurs in tokenizer files and is refused here too).
    mutating func integer() throws(Failure) -> Int {
        skipSpace()
        let start = offset
        var negative = false
        if peek() == UInt8(ascii: "-") { negative = true; offset += 1 }
        guard let first = peek(), first >= 0x30, first <= 0x39 else { throw Failure(offset: start, detail: "expected an integer id") }
        if first == 0x30, let next = offset + 1 < bytes.count ? bytes[offset + 1] : nil, next >= 0x30, next <= 0x39 {
            throw Failure(offset: start, detail: "leading zero in a number")
        }
        var value = 0
        while let c = peek(), c >= 0x30, c <= 0x39 {
            let (m, o1) = value.multipliedReportingOverflow(by: 10)
            let (a, o2) = m.addingReportingOverflow(Int(c - 0x30))
            guard !o1, !o2 else { throw Failure(offset: start, detail: "integer out of range") }
            value = a
            offset += 1
        }
        if let c = peek(), c == UInt8(ascii: ".") || c == UInt8(ascii: "e") || c == UInt8(ascii: "E") {
            throw Failure(offset: start, detail: "expected an integer id, found a fractional number")
        }
        return negative ? -value : value
    }

    /// A JSON string, unescaped and checked to be valid UTF-8 without lone surrogates.
    mutating func string() throws(Failure) -> String {
        skipSpace()
        try expect(UInt8(ascii: "\""))
        let start = offset
        // Fast path: no escape before the closing quote; the bytes are the string.
        while offset < bytes.count {
            let c = bytes[offset]
            if c == UInt8(ascii: "\"") {
                let raw = UnsafeRawBufferPointer(rebasing: bytes[start..<offset])
                offset += 1
                return try Self.decodeUTF8(raw, at: start)
            }
            if c == UInt8(ascii: "\\") { break }
            if c < 0x20 { throw Failure(offset: offset, detail: "control character in a string") }
            offset += 1
        }
        buffer.removeAll(keepingCapacity: true)
        buffer.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[start..<offset]))
        while true {
            guard let c = peek() else { throw Failure(offset: offset, detail: "unterminated string") }
            offset += 1
            switch c {
            case UInt8(ascii: "\""):
                guard let s = buffer.withUnsafeBytes({ String(validating: $0, as: UTF8.self) }) else {
                    throw Failure(offset: start, detail: "invalid UTF-8 in a string")
                }
                return s
            case UInt8(ascii: "\\"):
                guard let e = peek() else { throw Failure(offset: offset, detail: "unterminated string") }
                offset += 1
                switch e {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): buffer.append(e)
                case UInt8(ascii: "b"): buffer.append(0x08)
                case UInt8(ascii: "f"): buffer.append(0x0C)
                case UInt8(ascii: "n"): buffer.append(0x0A)
                case UInt8(ascii: "r"): buffer.append(0x0D)
                case UInt8(ascii: "t"): buffer.append(0x09)
                case UInt8(ascii: "u"):
                    var scalar = try hex4()
                    if scalar >= 0xD800, scalar < 0xDC00 {
                        guard peek() == UInt8(ascii: "\\"), offset + 1 < bytes.count, bytes[offset + 1] == UInt8(ascii: "u") else {
                            throw Failure(offset: offset, detail: "lone high surrogate in a \\u escape")
                        }
                        offset += 2
                        let low = try hex4()
                        guard low >= 0xDC00, low < 0xE000 else { throw Failure(offset: offset, detail: "bad low surrogate in a \\u escape") }
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    } else if scalar >= 0xDC00, scalar < 0xE000 {
                        throw Failure(offset: offset, detail: "lone low surrogate in a \\u escape")
                    }
                    buffer.append(contentsOf: String(Character(Unicode.Scalar(scalar)!)).utf8)
                default:
                    throw Failure(offset: offset - 1, detail: "invalid escape '\\\(Character(Unicode.Scalar(e)))'")
                }
            default:
                if c < 0x20 { throw Failure(offset: offset - 1, detail: "control character in a string") }
                buffer.append(c)
            }
        }
    }

    private mutating func hex4() throws(Failure) -> UInt32 {
        guard offset + 4 <= bytes.count else { throw Failure(offset: offset, detail: "short \\u escape") }
        var v: UInt32 = 0
        for _ in 0..<4 {
            let c = bytes[offset]
            let digit: UInt32
            switch c {
            case 0x30...0x39: digit = UInt32(c - 0x30)
            case 0x41...0x46: digit = UInt32(c - 0x41 + 10)
            case 0x61...0x66: digit = UInt32(c - 0x61 + 10)
            default: throw Failure(offset: offset, detail: "bad hex digit in a \\u escape")
            }
            v = v << 4 | digit
            offset += 1
        }
        return v
    }

    private static func decodeUTF8(_ raw: UnsafeRawBufferPointer, at offset: Int) throws(Failure) -> String {
        guard let s = String(validating: raw, as: UTF8.self) else { throw Failure(offset: offset, detail: "invalid UTF-8 in a string") }
        return s
    }
}
