import Diagnostics
import Foundation
import GRDB

/// Everything that can go wrong with a catalog file (Docs/CatalogSchema.md, "Errors").
public enum CatalogError: UserFacingError, Equatable {
    /// SQLite cannot open or read the file (missing folder, permissions, not a database).
    case cannotOpen(file: String, detail: String)
    /// A database written by another program (no `catalog_info`, or another `format`).
    case notACatalog(file: String)
    /// Written by a newer audio-index whose schema this build does not know.
    case newerSchema(file: String, found: Int, supported: Int)
    /// The file is damaged: SQLite reports corruption, or an integrity check fails.
    case corrupt(file: String, detail: String)
    /// The same clip id is added again with different audio.
    case conflictingClip(file: String, id: String, existing: String, new: String)
    /// A vector row is added for audio that already has a row at that window start.
    case duplicateRow(file: String, row: Int64, audioHash: String, startSeconds: Double)
    /// An id that is not in the catalog.
    case unknownClip(file: String, id: String)
    /// Any other SQLite failure (disk full, I/O error, locked past the timeout).
    case sqlite(file: String, detail: String)
    /// A write was attempted on a catalog opened read-only.
    case readOnly(file: String)
    /// SQLite ran out of space (SQLITE_FULL); the transaction was rolled back.
    case diskFull(file: String)

    public var subject: String? {
        switch self {
        case .cannotOpen(let f, _), .notACatalog(let f), .newerSchema(let f, _, _), .corrupt(let f, _),
             .conflictingClip(let f, _, _, _), .duplicateRow(let f, _, _, _), .unknownClip(let f, _), .sqlite(let f, _),
             .readOnly(let f), .diskFull(let f):
            return f
        }
    }

    public var reason: String {
        switch self {
        case .cannotOpen(_, let d): return "cannot open the catalog: \(d)"
        case .notACatalog: return "not an audio-index catalog"
        case .newerSchema(_, let found, let supported):
            return "catalog schema version \(found) was written by a newer audio-index (this one reads up to \(supported))"
        case .corrupt(_, let d): return "the catalog is damaged: \(d)"
        case .conflictingClip(_, let id, let existing, let new):
            return "clip \"\(id)\" is already indexed with different audio (at \(existing)); refused the one at \(new)"
        case .duplicateRow(_, let row, let hash, let start):
            return "vector row \(row) repeats audio \(hash.prefix(12))… at \(start) s, which already has a row"
        case .unknownClip(_, let id): return "no clip \"\(id)\""
        case .sqlite(_, let d): return "SQLite failed: \(d)"
        case .readOnly: return "the catalog was opened read-only"
        case .diskFull(let f):
            let folder = (f as NSString).deletingLastPathComponent
            return "the disk is full (\(FreeSpace.describe(folder.isEmpty ? "." : folder)))"
        }
    }

    public var hint: String? {
        switch self {
        case .newerSchema: return "upgrade audio-index"
        case .notACatalog: return "point --index at a folder made by audio-index build"
        case .corrupt: return "restore the index from a copy or rebuild it"
        case .conflictingClip: return "give the new clip another id, or remove the old one first"
        case .unknownClip: return "list ids with audio-index query --format json"
        case .diskFull: return "free space and run the command again; this change was rolled back and the index is as it was"
        default: return nil
        }
    }

    public var exitCode: ProcessExitCode {
        switch self {
        case .cannotOpen: return .badInput
        case .notACatalog, .corrupt: return .corrupt
        case .newerSchema: return .unsupported
        case .conflictingClip, .duplicateRow: return .inconsistent
        case .unknownClip: return .badInput
        case .sqlite, .readOnly, .diskFull: return .ioFailure
        }
    }

    /// Maps a GRDB error to a typed one by SQLite's result code (never by message text).
    static func from(_ error: any Error, file: String) -> any Error {
        guard let db = error as? DatabaseError else { return error }
        switch db.resultCode {
        case .SQLITE_CORRUPT, .SQLITE_NOTADB:
            return CatalogError.corrupt(file: file, detail: db.message ?? "\(db.resultCode)")
        case .SQLITE_CANTOPEN:
            return CatalogError.cannotOpen(file: file, detail: db.message ?? "unable to open database file")
        case .SQLITE_READONLY:
            return CatalogError.readOnly(file: file)
        case .SQLITE_FULL:
            return CatalogError.diskFull(file: file)
        default:
            return CatalogError.sqlite(file: file, detail: db.message ?? "\(db.resultCode)")
        }
    }
}

/// A `--where` filter outside the grammar (Docs/CatalogSchema.md, "The --where filter"). Positions
/// are 1-based characters in the filter text. Raised while parsing, before any SQL exists.
public enum FilterError: UserFacingError, Equatable {
    case empty
    case tooLong(limit: Int)
    case syntax(position: Int, problem: String)
    case unterminatedString(position: Int)
    case unknownColumn(position: Int, name: String, suggestion: String?)
    case typeMismatch(position: Int, column: String, problem: String)
    case tooDeep(position: Int, limit: Int)

    /// Where in the filter, or nil for problems with the whole text.
    public var position: Int? {
        switch self {
        case .empty, .tooLong: return nil
        case .syntax(let p, _), .unterminatedString(let p), .unknownColumn(let p, _, _), .typeMismatch(let p, _, _),
             .tooDeep(let p, _):
            return p
        }
    }

    public var subject: String? {
        position.map { "--where, at character \($0)" } ?? "--where"
    }

    public var reason: String {
        switch self {
        case .empty: return "the filter is empty"
        case .tooLong(let limit): return "the filter is longer than \(limit) characters"
        case .syntax(_, let problem): return problem
        case .unterminatedString: return "a string that is never closed"
        case .unknownColumn(_, let name, _): return "unknown column \"\(name)\""
        case .typeMismatch(_, _, let problem): return problem
        case .tooDeep(_, let limit): return "nested deeper than \(limit) levels"
        }
    }

    public var hint: String? {
        switch self {
        case .unknownColumn(_, _, let suggestion):
            let list = "columns: " + FilterColumn.all.map(\.name).joined(separator: ", ")
            return suggestion.map { "did you mean \"\($0)\"? \(list)" } ?? list
        case .unterminatedString: return "close it with ' (write a quote inside a string as '')"
        case .empty: return "e.g. --where \"licence = 'CC0' AND duration < 30\""
        default: return "see Docs/CatalogSchema.md, \"The --where filter\""
        }
    }

    public var exitCode: ProcessExitCode { .usage }
}
