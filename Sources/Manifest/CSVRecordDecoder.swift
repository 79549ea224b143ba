import Foundation

/// Reads CSV records (RFC 4180 quoting) from a `LineReader`, and turns them into clips under the
/// header row's column names (Docs/ManifestFormat.md, "CSV").
///
/// Differences from strict RFC 4180, all for hand-written files: spaces and tabs around a field
/// are ignored (quote a field to keep them), blank lines are skipped, LF and CRLF both end records.
/// A line break inside a quoted field is kept as it is in the file.
final class CSVRecordDecoder {
    struct Record {
        /// The line the record starts on.
        let line: Int
        let fields: [String]
    }

    private let lines: LineReader
    private let file: String
    private let manifestFolder: URL
    /// Column → (field, spelling as written in the header).
    private var columns: [(field: Field, spelling: String)] = []

    init(lines: LineReader, manifestFolder: URL) {
        self.lines = lines
        self.file = lines.file
        self.manifestFolder = manifestFolder
    }

    /// Reads the header row; false when the file has no non-blank line at all.
    func readHeader() throws -> Bool {
        guard let header = try nextRecord(names: nil) else { return false }
        let at = ManifestLocation(file: file, line: header.line)
        var seen: Set<String> = []
        for (k, name) in header.fields.enumerated() {
            if name.isEmpty { throw ManifestError.badHeader(at, problem: "column \(k + 1) has no name") }
            guard let field = Field.named(name) else {
                throw ManifestError.unknownKey(at, key: name, suggestion: Field.suggestion(for: name))
            }
            if !seen.insert(name).inserted { throw ManifestError.repeatedKey(at, key: name) }
            columns.append((field, name))
        }
        for required in [Field.id, .path] where !columns.contains(where: { $0.field == required }) {
            throw ManifestError.badHeader(at, problem: "no \"\(required.rawValue)\" column")
        }
        return true
    }

    /// The next clip, or nil at the end of the file.
    func next() throws -> ManifestEntry? {
        guard let record = try nextRecord(names: columns.map(\.spelling)) else { return nil }
        let at = ManifestLocation(file: file, line: record.line)
        guard record.fields.count == columns.count else {
            throw ManifestError.wrongFieldCount(at, expected: columns.count, found: record.fields.count)
        }
        var assembler = RecordAssembler(location: at)
        for (cell, column) in zip(record.fields, columns) {
            let value = try value(of: cell, field: column.field, spelling: column.spelling, at: at)
            try assembler.set(column.field, spelling: column.spelling, value: value, at: at)
        }
        return try assembler.entry(manifestFolder: manifestFolder)
    }

    /// The CSV type rules: every cell is text; an empty cell is an absent value; captions and tags
    /// are split at `|` with spaces around each piece dropped; `extra` must hold JSON.
    private func value(of cell: String, field: Field, spelling: String, at: ManifestLocation) throws -> RecordAssembler.Value {
        switch field {
        case .id, .path:
            if cell.isEmpty { throw ManifestError.emptyField(at, field: spelling) }
            return .text(cell)
        case .captions, .tags:
            let pieces = cell.split(separator: "|", omittingEmptySubsequences: false)
                .map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
                .filter { !$0.isEmpty }
            return .list(pieces)
        case .licence, .source:
            return cell.isEmpty ? .absent : .text(cell)
        case .extra:
            let text = cell.trimmingCharacters(in: CharacterSet(charactersIn: " \t\r\n"))
            if text.isEmpty { return .absent }
            do {
                _ = try JSONParser.parse(Array(text.utf8))
            } catch let e as JSONSyntaxError {
                if e.tooDeep { throw ManifestError.tooDeep(at, limit: JSONParser.maximumDepth) }
                throw ManifestError.malformedJSON(at, detail: "in \"\(spelling)\": \(e.detail)",
                                                  advice: e.advice ?? "the extra column holds JSON text, e.g. {\"\"key\"\": 1} inside a quoted field")
            }
            return .json(text)
        }
    }

    // MARK: Record splitting

    /// Splits the next non-blank record into fields. `names` label fields in messages (nil while
    /// reading the header).
    func nextRecord(names: [String]?) throws -> Record? {
        var line: LineReader.Line
        repeat {
            guard let l = try nextLine() else { return nil }
            line = l
        } while isBlank(line.bytes)
        let startLine = line.number
        var bytes = line.bytes
        var j = 0
        var fields: [String] = []
        func fieldName() -> String {
            let k = fields.count
            if let names, k < names.count { return names[k] }
            return "column \(k + 1)"
        }
        func finish(_ field: [UInt8]) {
            // Valid: every physical line was checked as UTF-8 and splits fall on ASCII bytes.
            fields.append(String(decoding: field, as: UTF8.self))
        }
        while true {
            while j < bytes.count && (bytes[j] == 0x20 || bytes[j] == 0x09) { j += 1 }
            if j < bytes.count && bytes[j] == Self.quote {
                let quoteLine = line.number
                let quoteColumn = column(ofByte: j, in: bytes)
                var field: [UInt8] = []
                j += 1
                while true {
                    if j == bytes.count {
                        // The quoted field goes on: keep the line break, read the next line.
                        field.append(contentsOf: line.terminator.bytes)
                        guard let more = try nextLine() else {
                            throw ManifestError.unterminatedQuote(ManifestLocation(file: file, line: quoteLine, column: quoteColumn))
                        }
                        line = more
                        bytes = more.bytes
                        j = 0
                        continue
                    }
                    let b = bytes[j]
                    if b == Self.quote {
                        if j + 1 < bytes.count && bytes[j + 1] == Self.quote {
                            field.append(Self.quote)
                            j += 2
                            continue
                        }
                        j += 1
                        break
                    }
                    field.append(b)
                    j += 1
                }
                while j < bytes.count && (bytes[j] == 0x20 || bytes[j] == 0x09) { j += 1 }
                if j < bytes.count && bytes[j] != Self.comma {
                    throw ManifestError.strayQuote(
                        ManifestLocation(file: file, line: line.number, column: column(ofByte: j, in: bytes)), field: fieldName())
                }
                finish(field)
            } else {
                let start = j
                while j < bytes.count && bytes[j] != Self.comma {
                    if bytes[j] == Self.quote {
                        throw ManifestError.strayQuote(
                            ManifestLocation(file: file, line: line.number, column: column(ofByte: j, in: bytes)), field: fieldName())
                    }
                    j += 1
                }
                var end = j
                while end > start && (bytes[end - 1] == 0x20 || bytes[end - 1] == 0x09) { end -= 1 }
                finish(Array(bytes[start..<end]))
            }
            if j >= bytes.count { return Record(line: startLine, fields: fields) }
            j += 1  // the comma; a comma at the very end is followed by one empty field
        }
    }

    private func nextLine() throws -> LineReader.Line? {
        guard let line = try lines.next() else { return nil }
        if let bad = firstInvalidUTF8Offset(line.bytes) {
            throw ManifestError.invalidUTF8(ManifestLocation(file: file, line: line.number, column: column(ofByte: bad, in: line.bytes)))
        }
        return line
    }

    private static let quote = UInt8(ascii: "\"")
    private static let comma = UInt8(ascii: ",")
}
