/// GPT-2's reversible map between the 256 byte values and 256 printable characters.
///
/// Byte-level BPE works on UTF-8 bytes, but its vocabulary files hold text, so every byte is written as a
/// visible character: the printable Latin-1 bytes stand for themselves and the other 68 (controls, space,
/// 0x7F-0xA0, 0xAD) are moved to U+0100…U+0143 in byte order. That is why a space shows as `Ġ` (U+0120)
/// and a newline as `Ċ` (U+010A).
///
/// Reference: openai/gpt-2 `src/encoder.py` `bytes_to_unicode`; tokenizers
/// `tokenizers/src/pre_tokenizers/byte_level.rs` `bytes_char`.
public enum ByteEncoder {
    /// `scalars[b]` is the character that stands for byte `b`.
    public static let scalars: [Unicode.Scalar] = {
        var printable = Array(UInt8(ascii: "!")...UInt8(ascii: "~")) + Array(0xA1...0xAC) + Array(0xAE...0xFF)
        var codes = printable.map { UInt32($0) }
        var n: UInt32 = 0
        for b in 0...255 where !printable.contains(UInt8(b)) {
            printable.append(UInt8(b))
            codes.append(256 + n)
            n += 1
        }
        var table = [Unicode.Scalar](repeating: "\0", count: 256)
        for (b, c) in zip(printable, codes) { table[Int(b)] = Unicode.Scalar(c)! }
        return table
    }()

    /// The largest scalar value used (U+0143).
    static let maxScalarValue: UInt32 = 0x143

    /// `byteForScalar[v]` is the byte that scalar value `v` stands for, or -1.
    private static let byteForScalar: [Int16] = {
        var table = [Int16](repeating: -1, count: Int(maxScalarValue) + 1)
        for (b, s) in scalars.enumerated() { table[Int(s.value)] = Int16(b) }
        return table
    }()

    /// The byte `scalar` stands for, or nil if it is not one of the 256 characters.
    @inlinable
    public static func byte(for scalar: Unicode.Scalar) -> UInt8? {
        lookup(scalar.value)
    }

    @usableFromInline
    static func lookup(_ value: UInt32) -> UInt8? {
        guard value <= maxScalarValue else { return nil }
        let b = byteForScalar[Int(value)]
        return b < 0 ? nil : UInt8(b)
    }

    /// The byte-level text of `bytes`: " dog" → "Ġdog".
    public static func encode<S: Sequence>(_ bytes: S) -> String where S.Element == UInt8 {
        var s = String.UnicodeScalarView()
        for b in bytes { s.append(scalars[Int(b)]) }
        return String(s)
    }

    /// The bytes a byte-level token stands for, or nil if it holds a character outside the table
    /// (special tokens such as `<s>` are plain ASCII and do decode).
    public static func decode(_ token: String) -> [UInt8]? {
        var out: [UInt8] = []
        out.reserveCapacity(token.utf8.count)
        for s in token.unicodeScalars {
            guard let b = byte(for: s) else { return nil }
            out.append(b)
        }
        return out
    }
}
