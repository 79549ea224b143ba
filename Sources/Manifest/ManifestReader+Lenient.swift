import Foundation

extension ManifestReader {
    /// Like `read(url:)`, but a malformed record (bad JSON or CSV quoting, a missing or mistyped
    /// field, a wrong number of CSV fields, a repeated id) is reported through `problem` with its
    /// line number and skipped, and the rest of the file is read: an index build goes on past a bad
    /// line (issue 6, "Bad input"). Problems of the whole file (unreadable, not UTF-8, a bad CSV
    /// header) are still thrown. A CSV record resumes at the line after the one where its problem
    /// was found; an unclosed quote runs to the end of the file, as in any CSV reader.
    public static func readSkippingBadLines(url: URL, problem: (ManifestError) -> Void) throws -> [ManifestEntry] {
        let file = displayName(url)
        let folder = url.absoluteURL.deletingLastPathComponent()
        let lines = try LineReader(url: url, file: file)
        var firstLineOfID: [String: Int] = [:]
        var entries: [ManifestEntry] = []
        func keep(_ entry: ManifestEntry) throws {
            if let earlier = firstLineOfID[entry.id] {
                throw ManifestError.duplicateID(ManifestLocation(file: file, line: entry.line), id: entry.id, firstLine: earlier)
            }
            firstLineOfID[entry.id] = entry.line
            entries.append(entry)
        }
        switch try ManifestFormat(url: url) {
        case .jsonl:
            let decoder = JSONLRecordDecoder(file: file, manifestFolder: folder)
            while let line = try lines.next() {
                do {
                    if let entry = try decoder.decode(line) { try keep(entry) }
                } catch let error as ManifestError {
                    problem(error)
                }
            }
        case .csv:
            let decoder = CSVRecordDecoder(lines: lines, manifestFolder: folder)
            guard try decoder.readHeader() else { return [] }
            while true {
                do {
                    guard let entry = try decoder.next() else { break }
                    try keep(entry)
                } catch let error as ManifestError {
                    // Every record problem has consumed at least the line it was found on, so this
                    // loop advances; file-level problems (I/O, encoding) end the reading.
                    switch error {
                    case .cannotRead, .notUTF8: throw error
                    default: problem(error)
                    }
                }
            }
        }
        return entries
    }
}
