/// Builds one JSON object on one line with its keys in the order they are added (JSON Lines output;
/// Foundation's encoders do not promise key order).
struct JSONLine {
    private var fields: [String] = []

    mutating func add(_ key: String, _ value: String?) {
        fields.append(Self.quote(key) + ":" + (value.map(Self.quote) ?? "null"))
    }

    mutating func add(_ key: String, _ value: Int?) {
        fields.append(Self.quote(key) + ":" + (value.map(String.init) ?? "null"))
    }

    /// Finite doubles only (JSON has no NaN); they print in Swift's shortest round-trip form.
    mutating func add(_ key: String, _ value: Double?) {
        precondition(value?.isFinite ?? true, "JSON cannot hold \(value!)")
        fields.append(Self.quote(key) + ":" + (value.map { "\($0)" } ?? "null"))
    }

    mutating func add(_ key: String, _ value: Bool) {
        fields.append(Self.quote(key) + ":" + (value ? "true" : "false"))
    }

    var text: String { "{" + fields.joined(separator: ",") + "}" }

    /// RFC 8259 string: escapes quote, backslash and control characters; other text stays UTF-8.
    static func quote(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
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
