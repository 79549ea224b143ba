import FileIO
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

    mutating func add(_ key: String, _ value: Bool?) {
        fields.append(Self.quote(key) + ":" + (value.map { $0 ? "true" : "false" } ?? "null"))
    }

    mutating func add(_ key: String, _ value: [Int]?) {
        fields.append(Self.quote(key) + ":" + (value.map { "[" + $0.map(String.init).joined(separator: ",") + "]" } ?? "null"))
    }

    mutating func add(_ key: String, _ value: [String]) {
        fields.append(Self.quote(key) + ":[" + value.map(Self.quote).joined(separator: ",") + "]")
    }

    var text: String { "{" + fields.joined(separator: ",") + "}" }

    static func quote(_ s: String) -> String { JSONText.quote(s) }
}
