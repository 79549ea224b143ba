import Foundation

extension ManifestReader {
    /// Like `read(url:)`, but a malformed JSONL line (bad JSON, a missing or mistyped field, a
    /// repeated id) is reported through `problem` with its line number and skipped, and the rest of
    /// the file is read: an index build goes on past a bad line (issue 6, "Bad input"). CSV
    /// manifests, whose records can span lines, stay strict: their first problem is thrown.
    public static func readSkippingBadLines(url: URL, problem: (ManifestError) -> Void) throws -> [ManifestEntry] {
        guard try ManifestFormat(url: url) == .jsonl else { return try read(url: url) }
        let file = displayName(url)
        let folder = url.absoluteURL.deletingLastPathComponent()
        let lines = try LineReader(url: url, file: file)
        let decoder = JSONLRecordDecoder(file: file, manifestFolder: folder)
        var firstLineOfID: [String: Int] = [:]
        var entries: [ManifestEntry] = []
        while let line = try lines.next() {
            do {
                guard let entry = try decoder.decode(line) else { continue }
                if let earlier = firstLineOfID[entry.id] {
                    throw ManifestError.duplicateID(ManifestLocation(file: file, line: entry.line), id: entry.id, firstLine: earlier)
                }
                firstLineOfID[entry.id] = entry.line
                entries.append(entry)
            } catch let error as ManifestError {
                problem(error)
            }
        }
        return entries
    }
}
