import Diagnostics
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Where in a manifest something is: `file:line` or `file:line:column`, the form editors and
/// compilers use, so a message can be pasted into "go to line".
public struct ManifestLocation: Sendable, Equatable, CustomStringConvertible {
    /// The manifest's path as the caller named it.
    public let file: String
    /// 1-based line number. For a CSV record that spans lines, the line it starts on.
    public let line: Int
    /// 1-based column in characters (Unicode scalars), when it is known.
    public let column: Int?

    public init(file: String, line: Int, column: Int? = nil) {
        self.file = file
        self.line = line
        self.column = column
    }

    public var description: String {
        column.map { "\(file):\(line):\($0)" } ?? "\(file):\(line)"
    }
}

/// Everything that can be wrong with a manifest (Docs/ManifestFormat.md, "Errors").
///
/// Each message names the file and line, says what is wrong and what to do. All are `.badInput`
/// (exit 5): a manifest is something a person or a script wrote, so its faults are input faults, not
/// file corruption. The one exception is a manifest the system refuses to read (permission, I/O
/// error): `.ioFailure` (exit 6).
public enum ManifestError: UserFacingError, Equatable {
    /// The file cannot be opened or read; `errno` says why.
    case cannotRead(file: String, errno: Int32)
    /// The name does not end in .jsonl, .ndjson or .csv.
    case unsupportedExtension(file: String)
    /// The file starts with a UTF-16 or UTF-32 byte-order mark.
    case notUTF8(file: String, encoding: String)
    /// A byte sequence that is not UTF-8.
    case invalidUTF8(ManifestLocation)
    /// No clip records at all (empty, only blank lines or comments, or only a CSV header).
    case empty(file: String)
    /// A JSONL line is not valid JSON; `detail` says what was found, `advice` what to do.
    case malformedJSON(ManifestLocation, detail: String, advice: String?)
    /// JSON nested deeper than `limit` levels (refused before it can exhaust the stack).
    case tooDeep(ManifestLocation, limit: Int)
    /// A JSONL line holds valid JSON that is not an object.
    case notAnObject(ManifestLocation, found: String)
    /// A required field (`id`, `path`) is absent or null.
    case missingField(ManifestLocation, field: String)
    /// A required field is an empty string, or a list holds an empty string.
    case emptyField(ManifestLocation, field: String)
    /// A field has the wrong JSON type.
    case wrongType(ManifestLocation, field: String, expected: String, found: String)
    /// A key (JSONL) or column (CSV) that is not part of the format.
    case unknownKey(ManifestLocation, key: String, suggestion: String?)
    /// The same key twice in one JSON object, or the same column twice in a CSV header.
    case repeatedKey(ManifestLocation, key: String)
    /// Two spellings of one field (`licence` and `license`) with different values.
    case conflictingSynonyms(ManifestLocation, first: String, second: String)
    /// An id already used on an earlier line.
    case duplicateID(ManifestLocation, id: String, firstLine: Int)
    /// A CSV quoted field that is still open at the end of the file.
    case unterminatedQuote(ManifestLocation)
    /// A `"` inside an unquoted CSV field, or text after a closing quote.
    case strayQuote(ManifestLocation, field: String)
    /// A CSV record whose field count differs from the header's.
    case wrongFieldCount(ManifestLocation, expected: Int, found: Int)
    /// A CSV header without a required column, or with an unnamed one.
    case badHeader(ManifestLocation, problem: String)
    /// `ManifestWriter` was given an entry the reader would refuse.
    case invalidEntry(file: String, id: String, problem: String)
    /// `ManifestWriter` was asked to write a file not named .jsonl or .ndjson.
    case unsupportedOutput(file: String)
    /// The path names a device, FIFO or socket: reading it could block forever or never end.
    case notRegularFile(file: String, kind: String)

    public var subject: String? {
        switch self {
        case .cannotRead(let f, _), .unsupportedExtension(let f), .notUTF8(let f, _), .empty(let f),
             .invalidEntry(let f, _, _), .unsupportedOutput(let f), .notRegularFile(let f, _):
            return f
        case .invalidUTF8(let l), .malformedJSON(let l, _, _), .tooDeep(let l, _), .notAnObject(let l, _),
             .missingField(let l, _), .emptyField(let l, _), .wrongType(let l, _, _, _), .unknownKey(let l, _, _),
             .repeatedKey(let l, _), .conflictingSynonyms(let l, _, _), .duplicateID(let l, _, _),
             .unterminatedQuote(let l), .strayQuote(let l, _), .wrongFieldCount(let l, _, _), .badHeader(let l, _):
            return l.description
        }
    }

    public var reason: String {
        switch self {
        case .cannotRead(_, let e):
            return e == EISDIR ? "is a folder, not a manifest file" : "cannot read the manifest: \(String(cString: strerror(e)))"
        case .unsupportedExtension:
            return "unknown manifest format"
        case .notUTF8(_, let encoding):
            return "the manifest is \(encoding), not UTF-8"
        case .invalidUTF8:
            return "bytes that are not UTF-8"
        case .empty:
            return "the manifest lists no clips"
        case .malformedJSON(_, let detail, _):
            return "not valid JSON: \(detail)"
        case .tooDeep(_, let limit):
            return "JSON nested deeper than \(limit) levels"
        case .notAnObject(_, let found):
            return "each line must be a JSON object, found \(found)"
        case .missingField(_, let field):
            return "missing \"\(field)\""
        case .emptyField(_, let field):
            return "\"\(field)\" is empty"
        case .wrongType(_, let field, let expected, let found):
            return "\"\(field)\" must be \(expected), found \(found)"
        case .unknownKey(_, let key, _):
            return "unknown field \"\(key)\""
        case .repeatedKey(_, let key):
            return "\"\(key)\" appears twice"
        case .conflictingSynonyms(_, let first, let second):
            return "\"\(first)\" and \"\(second)\" are the same field but have different values"
        case .duplicateID(_, let id, let firstLine):
            return "duplicate id \"\(id)\" (first used on line \(firstLine))"
        case .unterminatedQuote:
            return "a quoted field that is never closed"
        case .strayQuote(_, let field):
            return "a stray quote in field \"\(field)\""
        case .wrongFieldCount(_, let expected, let found):
            return "\(found) field\(found == 1 ? "" : "s") where the header has \(expected)"
        case .badHeader(_, let problem):
            return "bad header: \(problem)"
        case .invalidEntry(_, let id, let problem):
            return "cannot write clip \"\(id)\": \(problem)"
        case .unsupportedOutput:
            return "manifests are written as JSON Lines only"
        case .notRegularFile(_, let kind):
            return "is a \(kind), not a regular file"
        }
    }

    public var hint: String? {
        switch self {
        case .cannotRead(_, let e):
            if e == ENOENT { return "check the path" }
            if e == EISDIR { return "name the .jsonl or .csv file inside it" }
            if e == EACCES || e == EPERM { return "check the file's permissions" }
            return nil
        case .unsupportedExtension:
            return "name it .jsonl or .ndjson (one JSON object per line) or .csv (with a header row); see Docs/ManifestFormat.md"
        case .notUTF8:
            return "save it as UTF-8"
        case .invalidUTF8:
            return "save the file as UTF-8"
        case .empty:
            return "add one clip per line; see Docs/ManifestFormat.md"
        case .malformedJSON(_, _, let advice):
            return advice
        case .tooDeep:
            return "flatten the value; nothing useful needs this depth"
        case .notAnObject:
            return "write {\"id\": ..., \"path\": ...} on each line"
        case .missingField(_, let field):
            return field == "id" ? "give every clip a unique \"id\" string" : "give every clip the \"path\" of its audio file"
        case .emptyField(_, let field):
            return field.hasSuffix("]") ? "remove the empty string from the list" : "give it a value"
        case .wrongType(_, let field, _, let found):
            if field == "id" && found == "a number" { return "write the id in quotes, e.g. \"id\": \"123\"" }
            return nil
        case .unknownKey(_, _, let suggestion):
            let more = "put other metadata under \"extra\"; the fields are id, path, captions (caption, text), tags (tag), licence (license), source, extra"
            return suggestion.map { "did you mean \"\($0)\"? " + more } ?? more
        case .repeatedKey:
            return "keep one of them"
        case .conflictingSynonyms:
            return "keep one of them"
        case .duplicateID:
            return "ids must be unique within a manifest"
        case .unterminatedQuote:
            return "close the quote; a quote inside a quoted field is written twice (\"\")"
        case .strayQuote:
            return "put the whole field in quotes and write each quote inside it twice (\"\")"
        case .wrongFieldCount:
            return "quote fields that contain commas"
        case .badHeader:
            return "the first line names the columns, e.g. id,path,captions,tags,licence,source,extra"
        case .invalidEntry:
            return nil
        case .unsupportedOutput:
            return "name the output .jsonl or .ndjson"
        case .notRegularFile:
            return "manifests are read from regular files only (a device or pipe could block or never end): save it to a file first"
        }
    }

    public var exitCode: ProcessExitCode {
        switch self {
        case .cannotRead(_, let e) where e != ENOENT && e != EISDIR && e != ENOTDIR:
            return .ioFailure
        default:
            return .badInput
        }
    }
}
