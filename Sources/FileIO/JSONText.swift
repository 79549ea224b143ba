/// JSON text the way Python's `json.dumps(..., ensure_ascii=False)` writes it, so files we write
/// (manifests, JSON Lines output) are byte-identical to what the Python tooling writes.
public enum JSONText {
    /// A JSON string literal escaping exactly `"`, `\` and control characters below U+0020
    /// (`\b \f \n \r \t` by name, the others as `\u00XX`); all other text stays UTF-8.
    public static func quote(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
