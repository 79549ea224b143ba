import FileIO
import Foundation

/// Writes manifests as JSON Lines, in the layout Python's
/// `json.dumps(record, ensure_ascii=False)` produces (keys in the order id, path, captions, tags,
/// licence, source, extra; `", "` and `": "` separators), so files written here and by Python
/// tooling such as Scripts/demo/fetch-demo-corpus.sh are byte-identical for the same clips.
///
/// Empty lists and nil fields are left out. `extraJSON` is copied verbatim, except that line breaks
/// (in valid JSON only ever whitespace between tokens) become spaces and surrounding whitespace is
/// dropped, so every clip stays on one line. Every entry is checked against the reader's rules
/// first: what this writes, `ManifestReader` reads back to the same values.
public enum ManifestWriter {
    /// Writes `entries` to `url` atomically (temp file, fsync, rename): readers see the old
    /// manifest or the new one, never a part.
    public static func write(_ entries: [ManifestEntry], to url: URL) throws {
        let file = ManifestReader.displayName(url)
        guard (try? ManifestFormat(url: url)) == .jsonl else {
            throw ManifestError.unsupportedOutput(file: file)
        }
        try AtomicFile.write(try data(for: entries, file: file), to: url)
    }

    /// The JSON Lines text for `entries`, one line each, every line ending in "\n".
    /// `file` names the destination in error messages.
    public static func data(for entries: [ManifestEntry], file: String = "manifest") throws -> Data {
        var out = ""
        var seen: Set<String> = []
        for entry in entries {
            guard seen.insert(entry.id).inserted else {
                throw ManifestError.invalidEntry(file: file, id: entry.id, problem: "the id is used twice")
            }
            out += try line(for: entry, file: file)
            out += "\n"
        }
        return Data(out.utf8)
    }

    /// One clip's JSON object, without the line break.
    public static func line(for entry: ManifestEntry, file: String = "manifest") throws -> String {
        func fail(_ problem: String) -> ManifestError { .invalidEntry(file: file, id: entry.id, problem: problem) }
        guard !entry.id.isEmpty else { throw fail("the id is empty") }
        guard !entry.path.isEmpty else { throw fail("the path is empty") }
        if entry.captions.contains(where: \.isEmpty) { throw fail("a caption is empty") }
        if entry.tags.contains(where: \.isEmpty) { throw fail("a tag is empty") }

        var fields: [String] = ["\"id\": " + quoted(entry.id), "\"path\": " + quoted(entry.path)]
        if !entry.captions.isEmpty { fields.append("\"captions\": " + list(entry.captions)) }
        if !entry.tags.isEmpty { fields.append("\"tags\": " + list(entry.tags)) }
        if let licence = entry.licence, !licence.isEmpty { fields.append("\"licence\": " + quoted(licence)) }
        if let source = entry.source, !source.isEmpty { fields.append("\"source\": " + quoted(source)) }
        if let extra = entry.extraJSON {
            let oneLine = String(extra.map { $0 == "\n" || $0 == "\r" || $0 == "\r\n" ? " " : $0 })
                .trimmingCharacters(in: CharacterSet(charactersIn: " \t"))
            do {
                _ = try JSONParser.parse(Array(oneLine.utf8))
            } catch let e as JSONSyntaxError {
                throw fail("extraJSON is not valid JSON: \(e.detail)")
            }
            fields.append("\"extra\": " + oneLine)
        }
        return "{" + fields.joined(separator: ", ") + "}"
    }

    private static func list(_ strings: [String]) -> String {
        "[" + strings.map(quoted).joined(separator: ", ") + "]"
    }

    static func quoted(_ s: String) -> String { JSONText.quote(s) }
}
