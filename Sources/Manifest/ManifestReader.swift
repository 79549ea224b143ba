import Foundation

/// The two manifest encodings, chosen by the file's extension (case-insensitive).
public enum ManifestFormat: String, Sendable, CaseIterable {
    /// JSON Lines: `.jsonl` or `.ndjson`.
    case jsonl
    /// Comma-separated values with a header row: `.csv`.
    case csv

    /// The format named by `url`'s extension; throws `ManifestError.unsupportedExtension` otherwise.
    public init(url: URL) throws {
        switch url.pathExtension.lowercased() {
        case "jsonl", "ndjson": self = .jsonl
        case "csv": self = .csv
        default: throw ManifestError.unsupportedExtension(file: ManifestReader.displayName(url))
        }
    }
}

/// Reads clip manifests (Docs/ManifestFormat.md).
///
/// Both entry points stop at the first problem with a `ManifestError` naming the file and line.
public enum ManifestReader {
    /// All clips of the manifest at `url`, in file order, after checking the whole file.
    public static func read(url: URL) throws -> [ManifestEntry] {
        var entries: [ManifestEntry] = []
        try forEach(url: url) { entries.append($0) }
        return entries
    }

    /// Streams the clips of the manifest at `url` to `body` in file order, holding only one line
    /// (or CSV record) and the ids seen so far in memory.
    ///
    /// `body` has already seen the clips before a bad line when the error is thrown; use `read`
    /// when nothing may happen unless the whole manifest is valid. Errors thrown by `body` end the
    /// reading and are rethrown as they are.
    public static func forEach(url: URL, _ body: (ManifestEntry) throws -> Void) throws {
        let file = displayName(url)
        let format = try ManifestFormat(url: url)
        let folder = url.absoluteURL.deletingLastPathComponent()
        let lines = try LineReader(url: url, file: file)
        var firstLineOfID: [String: Int] = [:]
        func deliver(_ entry: ManifestEntry) throws {
            if let earlier = firstLineOfID[entry.id] {
                throw ManifestError.duplicateID(ManifestLocation(file: file, line: entry.line), id: entry.id, firstLine: earlier)
            }
            firstLineOfID[entry.id] = entry.line
            try body(entry)
        }
        switch format {
        case .jsonl:
            let decoder = JSONLRecordDecoder(file: file, manifestFolder: folder)
            while let line = try lines.next() {
                if let entry = try decoder.decode(line) { try deliver(entry) }
            }
        case .csv:
            let decoder = CSVRecordDecoder(lines: lines, manifestFolder: folder)
            if try decoder.readHeader() {
                while let entry = try decoder.next() { try deliver(entry) }
            }
        }
        if firstLineOfID.isEmpty { throw ManifestError.empty(file: file) }
    }

    /// The manifest's name in messages: the path as the caller wrote it (relative stays relative).
    static func displayName(_ url: URL) -> String {
        url.isFileURL ? url.relativePath : url.absoluteString
    }
}
