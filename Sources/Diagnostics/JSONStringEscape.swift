/// One escape of a JSON string (RFC 8259 §7): `\"` `\\` `\/` `\b` `\f` `\n` `\r` `\t` and `\uXXXX`, with a
/// UTF-16 surrogate pair written as two `\u` escapes.
///
/// Why here: the project's two hand-written JSON readers (Manifest's `JSONParser`, Tokenizer's
/// `VocabularyJSONScanner`) need exactly this, and Diagnostics is the leaf module both already depend on.
/// Each reader words its own errors from the `Decoded` case.
public enum JSONStringEscape {
    public enum Decoded: Equatable, Sendable {
        /// The character and how many bytes the escape takes after its backslash (1, 5 or 11).
        case scalar(Unicode.Scalar, length: Int)
        /// Nothing follows the backslash.
        case truncated
        /// `\q`: not one of JSON's escapes.
        case unknown(UInt8)
        /// `\u` (or the `\u` of a pair's second half) without four hex digits.
        case badHexDigits
        /// A high surrogate not followed by `\u`.
        case highSurrogateAlone(UInt16)
        /// A high surrogate followed by a `\u` escape that is not a low surrogate.
        case highSurrogateWithoutLow(UInt16)
        /// A low surrogate with no high one before it.
        case lowSurrogateAlone(UInt16)
    }

    /// Decodes the escape whose backslash is at `bytes[index - 1]`.
    public static func decode(_ bytes: UnsafeRawBufferPointer, at index: Int) -> Decoded {
        guard index < bytes.count else { return .truncated }
        let c = bytes[index]
        switch c {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): return .scalar(Unicode.Scalar(c), length: 1)
        case UInt8(ascii: "b"): return .scalar("\u{08}", length: 1)
        case UInt8(ascii: "f"): return .scalar("\u{0C}", length: 1)
        case UInt8(ascii: "n"): return .scalar("\n", length: 1)
        case UInt8(ascii: "r"): return .scalar("\r", length: 1)
        case UInt8(ascii: "t"): return .scalar("\t", length: 1)
        case UInt8(ascii: "u"): break
        default: return .unknown(c)
        }
        guard let first = hex4(bytes, at: index + 1) else { return .badHexDigits }
        switch first {
        case 0xD800...0xDBFF:
            guard index + 6 < bytes.count, bytes[index + 5] == UInt8(ascii: "\\"), bytes[index + 6] == UInt8(ascii: "u") else {
                return .highSurrogateAlone(first)
            }
            guard let second = hex4(bytes, at: index + 7) else { return .badHexDigits }
            guard (0xDC00...0xDFFF).contains(second) else { return .highSurrogateWithoutLow(first) }
            let value = 0x10000 + ((UInt32(first) - 0xD800) << 10) + (UInt32(second) - 0xDC00)
            return .scalar(Unicode.Scalar(value)!, length: 11)
        case 0xDC00...0xDFFF:
            return .lowSurrogateAlone(first)
        default:
            return .scalar(Unicode.Scalar(first)!, length: 5)
        }
    }

    /// The value of four hex digits at `index`, or nil.
    public static func hex4(_ bytes: UnsafeRawBufferPointer, at index: Int) -> UInt16? {
        guard index >= 0, index + 4 <= bytes.count else { return nil }
        var value: UInt16 = 0
        for k in index..<(index + 4) {
            guard let digit = hexValue(bytes[k]) else { return nil }
            value = value << 4 | UInt16(digit)
        }
        return value
    }

    /// The value of one hex digit (either case), or nil.
    @inline(__always)
    public static func hexValue(_ b: UInt8) -> UInt8? {
        switch b {
        case 0x30...0x39: return b - 0x30
        case 0x41...0x46: return b - 0x41 + 10
        case 0x61...0x66: return b - 0x61 + 10
        default: return nil
        }
    }
}
