import Diagnostics

/// A JSON value with the byte range it was read from, so `extra` can be kept byte for byte.
package struct JSONNode {
    package indirect enum Value {
        case object([(key: String, keyOffset: Int, value: JSONNode)])
        case array([JSONNode])
        case string(String)
        case number
        case bool
        case null
    }

    package let value: Value
    /// Byte offsets of the value's first byte and one past its last, in the parsed buffer.
    package let start: Int
    package let end: Int

    /// "a string", "an array", ... for messages.
    package var typeName: String {
        switch value {
        case .object: return "an object"
        case .array: return "an array"
        case .string: return "a string"
        case .number: return "a number"
        case .bool: return "true or false"
        case .null: return "null"
        }
    }
}

/// A syntax error at a byte offset, with advice for the usual hand-editing slips.
package struct JSONSyntaxError: Error {
    package let offset: Int
    package let detail: String
    let advice: String?
    /// Nesting exceeded `JSONParser.maximumDepth`.
    let tooDeep: Bool

    init(offset: Int, detail: String, advice: String? = nil, tooDeep: Bool = false) {
        self.offset = offset
        self.detail = detail
        self.advice = advice
        self.tooDeep = tooDeep
    }
}

/// A strict RFC 8259 JSON parser over UTF-8 bytes.
///
/// Why not `JSONSerialization`: it cannot tell where a value stood in the text (needed to keep
/// `extra` verbatim), silently keeps one of two repeated keys, reports no column, and on Linux may
/// recurse without bound on deep input. Here nesting is counted and refused past `maximumDepth`
/// before any deeper call, so recursion is bounded (~2 frames per level) whatever the input.
/// The input must already be valid UTF-8 (the reader checks each line first).
package struct JSONParser {
    static let maximumDepth = 512

    private let bytes: [UInt8]
    private var i: Int
    private var depth = 0

    private init(_ bytes: [UInt8]) {
        self.bytes = bytes
        self.i = 0
    }

    /// Parses `bytes` as exactly one JSON value surrounded by optional whitespace.
    package static func parse(_ bytes: [UInt8]) throws -> JSONNode {
        var parser = JSONParser(bytes)
        parser.skipWhitespace()
        let node = try parser.parseValue()
        parser.skipWhitespace()
        if parser.i < bytes.count {
            throw JSONSyntaxError(
                offset: parser.i, detail: "unexpected \(describe(bytes[parser.i])) after the end of the value",
                advice: "each line holds exactly one JSON object")
        }
        return node
    }

    private mutating func skipWhitespace() {
        while i < bytes.count {
            switch bytes[i] {
            case 0x20, 0x09, 0x0A, 0x0D: i += 1
            default: return
            }
        }
    }

    private mutating func parseValue() throws -> JSONNode {
        guard i < bytes.count else {
            throw JSONSyntaxError(offset: i, detail: "the line ends where a value should start",
                                  advice: Self.oneLineAdvice)
        }
        let start = i
        switch bytes[i] {
        case UInt8(ascii: "{"): return try parseObject()
        case UInt8(ascii: "["): return try parseArray()
        case UInt8(ascii: "\""):
            let s = try parseString()
            return JSONNode(value: .string(s), start: start, end: i)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            try parseNumber()
            return JSONNode(value: .number, start: start, end: i)
        case UInt8(ascii: "t"):
            try expectLiteral("true")
            return JSONNode(value: .bool, start: start, end: i)
        case UInt8(ascii: "f"):
            try expectLiteral("false")
            return JSONNode(value: .bool, start: start, end: i)
        case UInt8(ascii: "n"):
            try expectLiteral("null")
            return JSONNode(value: .null, start: start, end: i)
        default:
            throw unexpected(expecting: "a value")
        }
    }

    private mutating func enterContainer() throws {
        depth += 1
        if depth > Self.maximumDepth {
            throw JSONSyntaxError(offset: i, detail: "nesting deeper than \(Self.maximumDepth)", tooDeep: true)
        }
    }

    private mutating func parseObject() throws -> JSONNode {
        let start = i
        var members: [(key: String, keyOffset: Int, value: JSONNode)] = []
        if try openContainer(close: "}") { return JSONNode(value: .object(members), start: start, end: i) }
        repeat {
            skipWhitespace()
            guard i < bytes.count else { throw endInside("object") }
            guard bytes[i] == UInt8(ascii: "\"") else {
                if bytes[i] == UInt8(ascii: "}") { throw trailingComma("}") }
                throw unexpected(expecting: "a key in double quotes")
            }
            let keyOffset = i
            let key = try parseString()
            skipWhitespace()
            guard i < bytes.count else { throw endInside("object") }
            guard bytes[i] == UInt8(ascii: ":") else { throw unexpected(expecting: "\":\" after the key") }
            i += 1
            skipWhitespace()
            members.append((key, keyOffset, try parseValue()))
        } while try nextItem(close: "}", inside: "object")
        return JSONNode(value: .object(members), start: start, end: i)
    }

    private mutating func parseArray() throws -> JSONNode {
        let start = i
        var elements: [JSONNode] = []
        if try openContainer(close: "]") { return JSONNode(value: .array(elements), start: start, end: i) }
        repeat {
            skipWhitespace()
            if i < bytes.count && bytes[i] == UInt8(ascii: "]") { throw trailingComma("]") }
            elements.append(try parseValue())
        } while try nextItem(close: "]", inside: "array")
        return JSONNode(value: .array(elements), start: start, end: i)
    }

    /// Steps over the opening bracket at `i`, counting depth; true when the container is empty and
    /// its `close` bracket has been read too.
    private mutating func openContainer(close: Unicode.Scalar) throws -> Bool {
        try enterContainer()
        i += 1
        skipWhitespace()
        guard i < bytes.count && bytes[i] == UInt8(ascii: close) else { return false }
        i += 1
        depth -= 1
        return true
    }

    /// After a member or element: true at a comma (another item follows), false after the `close`
    /// bracket (the container is done).
    private mutating func nextItem(close: Unicode.Scalar, inside what: String) throws -> Bool {
        skipWhitespace()
        guard i < bytes.count else { throw endInside(what) }
        if bytes[i] == UInt8(ascii: ",") {
            i += 1
            return true
        }
        guard bytes[i] == UInt8(ascii: close) else { throw unexpected(expecting: "\",\" or \"\(close)\"") }
        i += 1
        depth -= 1
        return false
    }

    private func trailingComma(_ close: String) -> JSONSyntaxError {
        JSONSyntaxError(offset: i, detail: "a comma before \"\(close)\"", advice: "remove the trailing comma")
    }

    /// Reads a string starting at the opening quote; leaves `i` after the closing quote.
    private mutating func parseString() throws -> String {
        let open = i
        i += 1
        var out: [UInt8] = []
        var runStart = i
        while true {
            guard i < bytes.count else {
                throw JSONSyntaxError(offset: open, detail: "a string that is never closed",
                                      advice: "close it with a double quote; " + Self.oneLineAdvice)
            }
            let b = bytes[i]
            if b == UInt8(ascii: "\"") {
                out.append(contentsOf: bytes[runStart..<i])
                i += 1
                return String(decoding: out, as: UTF8.self)
            }
            if b < 0x20 {
                throw JSONSyntaxError(offset: i, detail: "a control character (U+\(hex4(UInt16(b)))) inside a string",
                                      advice: "write it as an escape such as \\n or \\t")
            }
            if b == UInt8(ascii: "\\") {
                out.append(contentsOf: bytes[runStart..<i])
                try parseEscape(into: &out)
                runStart = i
                continue
            }
            i += 1
        }
    }

    private mutating func parseEscape(into out: inout [UInt8]) throws {
        let escapeStart = i
        i += 1  // backslash
        let decoded = bytes.withUnsafeBytes { JSONStringEscape.decode($0, at: i) }
        switch decoded {
        case .scalar(let scalar, let length):
            i += length
            UTF8.encode(scalar) { out.append($0) }
        case .truncated:
            throw JSONSyntaxError(offset: escapeStart, detail: "a backslash at the end of the line")
        case .unknown(let c):
            throw JSONSyntaxError(offset: escapeStart, detail: "an unknown escape \\\(Self.printable(c))",
                                  advice: "write a backslash as \\\\")
        case .badHexDigits:
            throw JSONSyntaxError(offset: escapeStart, detail: "\\u must be followed by four hex digits")
        case .highSurrogateAlone(let first):
            // A high surrogate must be followed by \u and a low surrogate.
            throw JSONSyntaxError(offset: escapeStart, detail: "\\u\(hex4(first)) is half of a surrogate pair with no second half")
        case .highSurrogateWithoutLow(let first):
            throw JSONSyntaxError(offset: escapeStart, detail: "\\u\(hex4(first)) is not followed by a low surrogate")
        case .lowSurrogateAlone(let first):
            throw JSONSyntaxError(offset: escapeStart, detail: "\\u\(hex4(first)) is a lone low surrogate")
        }
    }

    /// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
    private mutating func parseNumber() throws {
        let start = i
        if bytes[i] == UInt8(ascii: "-") { i += 1 }
        guard i < bytes.count, isDigit(bytes[i]) else { throw badNumber(start) }
        if bytes[i] == UInt8(ascii: "0") {
            i += 1
            if i < bytes.count && isDigit(bytes[i]) {
                throw JSONSyntaxError(offset: start, detail: "a number with a leading zero",
                                      advice: "remove the leading zero, or quote the value if it is an id")
            }
        } else {
            while i < bytes.count && isDigit(bytes[i]) { i += 1 }
        }
        if i < bytes.count && bytes[i] == UInt8(ascii: ".") {
            i += 1
            guard i < bytes.count, isDigit(bytes[i]) else { throw badNumber(start) }
            while i < bytes.count && isDigit(bytes[i]) { i += 1 }
        }
        if i < bytes.count && (bytes[i] == UInt8(ascii: "e") || bytes[i] == UInt8(ascii: "E")) {
            i += 1
            if i < bytes.count && (bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-")) { i += 1 }
            guard i < bytes.count, isDigit(bytes[i]) else { throw badNumber(start) }
            while i < bytes.count && isDigit(bytes[i]) { i += 1 }
        }
    }

    private mutating func expectLiteral(_ word: String) throws {
        for expected in word.utf8 {
            guard i < bytes.count, bytes[i] == expected else { throw unexpected(expecting: "a value") }
            i += 1
        }
    }

    // MARK: Messages

    private static let oneLineAdvice = "JSON Lines needs each clip's whole object on one line"

    private func endInside(_ what: String) -> JSONSyntaxError {
        JSONSyntaxError(offset: i, detail: "the line ends inside an \(what)", advice: Self.oneLineAdvice)
    }

    private func badNumber(_ start: Int) -> JSONSyntaxError {
        JSONSyntaxError(offset: start, detail: "a malformed number")
    }

    /// An unexpected byte at `i`, with advice for the slips people make when typing JSON by hand.
    private func unexpected(expecting: String) -> JSONSyntaxError {
        guard i < bytes.count else {
            return JSONSyntaxError(offset: i, detail: "expected \(expecting), found the end of the line", advice: Self.oneLineAdvice)
        }
        let b = bytes[i]
        var advice: String?
        if b == UInt8(ascii: "'") {
            advice = "JSON strings use double quotes"
        } else if isLetter(b) {
            let word = String(decoding: bytes[i...].prefix(while: { isLetter($0) || isDigit($0) || $0 == UInt8(ascii: "_") }), as: UTF8.self)
            switch word {
            case "True", "False", "None", "NaN", "Infinity", "TRUE", "FALSE", "NULL", "Null":
                advice = "JSON spells these true, false and null, and has no NaN or Infinity"
            default:
                advice = expecting.hasPrefix("a key") ? "keys need double quotes: \"\(word)\"" : "text values need double quotes"
            }
        }
        return JSONSyntaxError(offset: i, detail: "expected \(expecting), found \(Self.describe(b))", advice: advice)
    }

    static func describe(_ b: UInt8) -> String {
        b >= 0x21 && b < 0x7F ? "\"\(printable(b))\"" : "byte 0x\(String(b, radix: 16, uppercase: true))"
    }

    private static func printable(_ b: UInt8) -> String {
        b >= 0x20 && b < 0x7F ? String(UnicodeScalar(b)) : "\\x\(String(b, radix: 16))"
    }
}

private func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }

private func isLetter(_ b: UInt8) -> Bool { (b | 0x20) >= 0x61 && (b | 0x20) <= 0x7A }

private func hex4(_ v: UInt16) -> String {
    let s = String(v, radix: 16, uppercase: true)
    return String(repeating: "0", count: 4 - s.count) + s
}
