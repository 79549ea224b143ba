import Diagnostics
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

    /// One merge of `model.merges` as `forEachMerge` gives it.
    enum MergeItem {
        /// `"a b"`: the string's bytes.
        case line(UnsafeRawBufferPointer)
        /// `["a", "b"]`: how many strings the array held, and the first two (empty when absent).
        case pair(count: Int, first: UnsafeRawBufferPointer, second: UnsafeRawBufferPointer)
    }

    /// `["a b", …]` or `[["a", "b"], …]` at the cursor, one call of `body(index, merge)` per merge, with no
    /// `String` per merge. The form is the first element's; an array mixing the two is refused (as the
    /// decoder refuses it).
    mutating func forEachMerge(_ body: (Int, MergeItem) -> Void) throws(Failure) {
        var pairs = false, index = 0
        // A pair's strings: their place in the file when they hold no escape (nearly always), else a copy.
        var ranges: [Range<Int>?] = [nil, nil]
        var copies: [[UInt8]] = [[], []]
        try elements(UInt8(ascii: "["), UInt8(ascii: "]")) { (s: inout VocabularyJSONScanner) throws(Failure) in
            if index == 0 { pairs = s.peek() == UInt8(ascii: "[") }
            if pairs {
                var count = 0
                try s.elements(UInt8(ascii: "["), UInt8(ascii: "]")) { (s: inout VocabularyJSONScanner) throws(Failure) in
                    let k = count
                    count += 1
                    guard k < 2 else { try s.withStringBytes { _ in }; return }
                    ranges[k] = try s.rawStringRange()
                    if ranges[k] == nil {
                        copies[k].removeAll(keepingCapacity: true)
                        try s.withStringBytes { copies[k].append(contentsOf: $0) }
                    }
                }
                func view(_ k: Int, _ use: (UnsafeRawBufferPointer) -> Void) {
                    if k >= count { use(UnsafeRawBufferPointer(start: nil, count: 0)) }
                    else if let r = ranges[k] { use(UnsafeRawBufferPointer(rebasing: s.bytes[r])) }
                    else { copies[k].withUnsafeBytes(use) }
                }
                view(0) { f in view(1) { body(index, .pair(count: count, first: f, second: $0)) } }
            } else {
                try s.withStringBytes { body(index, .line($0)) }
            }
            index += 1
        }
    }

    /// Calls `body` for each key of the object at the cursor, with the cursor at the value; `body` must
    /// consume the value.
    mutating func object(_ body: (inout VocabularyJSONScanner, String) throws(Failure) -> Void) throws(Failure) {
        try elements(UInt8(ascii: "{"), UInt8(ascii: "}")) { (s: inout VocabularyJSONScanner) throws(Failure) in
            let key = try s.string()
            s.skipSpace()
            try s.expect(UInt8(ascii: ":"))
            try body(&s, key)
        }
    }

    /// `open`, elements separated by commas, `close`; `element` reads one element (the cursor is at its
    /// first byte).
    private mutating func elements(_ open: UInt8, _ close: UInt8,
                                   _ element: (inout VocabularyJSONScanner) throws(Failure) -> Void) throws(Failure) {
        skipSpace()
        try expect(open)
        skipSpace()
        if peek() == close { offset += 1; return }
        repeat { try element(&self) } while try nextElement(closing: close)
    }

    /// Skips one value of any kind (the parts of tokenizer.json this scanner does not read).
    mutating func skipValue() throws(Failure) {
        skipSpace()
        switch peek() {
        case UInt8(ascii: "{"):
            try object { (s: inout VocabularyJSONScanner, _: String) throws(Failure) in try s.skipValue() }
        case UInt8(ascii: "["):
            try elements(UInt8(ascii: "["), UInt8(ascii: "]")) { (s: inout VocabularyJSONScanner) throws(Failure) in try s.skipValue() }
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
        let start = offset + 1
        let s = try withStringBytes { String(validating: $0, as: UTF8.self) }
        guard let s else { throw Failure(offset: start, detail: "invalid UTF-8 in a string") }
        return s
    }

    /// Calls `body` with the unescaped UTF-8 bytes of the JSON string at the cursor (after optional white
    /// space): the file's own bytes when the string has no escape, else a reused buffer. The bytes are not
    /// checked to be valid UTF-8 (see `isValidUTF8`); escapes are checked (no lone surrogates).
    mutating func withStringBytes<R>(_ body: (UnsafeRawBufferPointer) -> R) throws(Failure) -> R {
        // Fast path: no escape before the closing quote; the bytes are the string.
        if let range = try rawStringRange() { return body(UnsafeRawBufferPointer(rebasing: bytes[range])) }
        offset += 1
        let start = offset
        while bytes[offset] != UInt8(ascii: "\\") { offset += 1 }
        buffer.removeAll(keepingCapacity: true)
        buffer.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[start..<offset]))
        while true {
            guard let c = peek() else { throw Failure(offset: offset, detail: "unterminated string") }
            offset += 1
            switch c {
            case UInt8(ascii: "\""):
                return buffer.withUnsafeBytes { body($0) }
            case UInt8(ascii: "\\"):
                switch JSONStringEscape.decode(bytes, at: offset) {
                case .scalar(let scalar, let length):
                    offset += length
                    UTF8.encode(scalar) { buffer.append($0) }
                case let problem:
                    throw Failure(offset: offset - 1, detail: "bad escape in a string (\(problem))")
                }
            default:
                if c < 0x20 { throw Failure(offset: offset - 1, detail: "control character in a string") }
                buffer.append(c)
            }
        }
    }

    /// The place in the file of the JSON string at the cursor (after optional white space), when it holds
    /// no escape: the cursor moves past it. nil when it holds one: the cursor stays at its opening quote.
    mutating func rawStringRange() throws(Failure) -> Range<Int>? {
        skipSpace()
        let quote = offset
        try expect(UInt8(ascii: "\""))
        while offset < bytes.count {
            let c = bytes[offset]
            if c == UInt8(ascii: "\"") {
                offset += 1
                return (quote + 1)..<(offset - 1)
            }
            if c == UInt8(ascii: "\\") { offset = quote; return nil }
            if c < 0x20 { throw Failure(offset: offset, detail: "control character in a string") }
            offset += 1
        }
        throw Failure(offset: offset, detail: "unterminated string")
    }

    /// Whether all of `bytes` is valid UTF-8. Checked once per file, so that the strings in it need no check
    /// of their own: a string's bytes lie between ASCII quotes, so they are valid when the file is.
    static func isValidUTF8(_ bytes: UnsafeRawBufferPointer) -> Bool {
        var i = 0
        let n = bytes.count
        while i < n {
            // Eight ASCII bytes at a time.
            if i + 8 <= n, bytes.loadUnaligned(fromByteOffset: i, as: UInt64.self) & 0x8080_8080_8080_8080 == 0 {
                i += 8
                continue
            }
            let b = bytes[i]
            if b < 0x80 { i += 1; continue }
            // The well-formed sequences of Unicode Table 3-7.
            func inRange(_ k: Int, _ lo: UInt8, _ hi: UInt8) -> Bool { i + k < n && bytes[i + k] >= lo && bytes[i + k] <= hi }
            switch b {
            case 0xC2...0xDF: guard inRange(1, 0x80, 0xBF) else { return false }; i += 2
            case 0xE0: guard inRange(1, 0xA0, 0xBF), inRange(2, 0x80, 0xBF) else { return false }; i += 3
            case 0xE1...0xEC, 0xEE, 0xEF: guard inRange(1, 0x80, 0xBF), inRange(2, 0x80, 0xBF) else { return false }; i += 3
            case 0xED: guard inRange(1, 0x80, 0x9F), inRange(2, 0x80, 0xBF) else { return false }; i += 3
            case 0xF0: guard inRange(1, 0x90, 0xBF), inRange(2, 0x80, 0xBF), inRange(3, 0x80, 0xBF) else { return false }; i += 4
            case 0xF1...0xF3: guard inRange(1, 0x80, 0xBF), inRange(2, 0x80, 0xBF), inRange(3, 0x80, 0xBF) else { return false }; i += 4
            case 0xF4: guard inRange(1, 0x80, 0x8F), inRange(2, 0x80, 0xBF), inRange(3, 0x80, 0xBF) else { return false }; i += 4
            default: return false
            }
        }
        return true
    }

    /// `{"token": id, …}` at the cursor into a `TokenTable`, without a `String` per key. The caller has
    /// checked the whole buffer with `isValidUTF8`. A repeated key keeps its last id.
    mutating func tokenTableValue() throws(Failure) -> TokenTable {
        var table = TokenTable(expectedCount: max(16, bytes.count / 16))
        try elements(UInt8(ascii: "{"), UInt8(ascii: "}")) { (s: inout VocabularyJSONScanner) throws(Failure) in
            let keyStart = s.offset
            let entry = try s.withStringBytes { table.insertKey($0) }
            s.skipSpace()
            try s.expect(UInt8(ascii: ":"))
            let id = try s.integer()
            guard id >= 0, id <= Int(TokenTable.maximumID) else {
                throw Failure(offset: keyStart, detail: "id \(id) is out of range")
            }
            table.setID(Int32(id), entry: entry)
        }
        return table
    }
}
