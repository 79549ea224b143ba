import Diagnostics

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Everything that stops the reading of a shard, a `sizes.json` or an audio folder.
///
/// Damage inside a tar names the archive, the member (when one can be named) and the byte offset of
/// the header where it was found; members before it have already been delivered. Problems with
/// one sample (a missing partner, a JSON field of the wrong type) are not errors: they are
/// `ShardProblem`s, reported while the rest is read.
public enum ShardError: UserFacingError, Equatable {
    /// The file cannot be opened or read.
    case cannotRead(file: String, errno: Int32)
    /// A read failed part way (an I/O error).
    case readFailed(file: String, errno: Int32)
    /// The archive ends inside a header block, a payload or its padding.
    case truncated(file: String, member: String?, offset: Int64, detail: String)
    /// A header block whose checksum does not match its bytes.
    case badChecksum(file: String, member: String, offset: Int64)
    /// A header with a malformed number, pax record or oversized extended header.
    case badHeader(file: String, member: String?, offset: Int64, problem: String)
    /// The file ends at a member boundary without the two zero blocks every tar writer appends,
    /// which is how a copy cut at a block boundary looks.
    case missingEndMarker(file: String, offset: Int64, lastMember: String?)
    /// A payload read into memory (a sample's JSON) is larger than allowed.
    case memberTooLarge(file: String, member: String, size: Int64, limit: Int64)
    /// `sizes.json` is not a JSON object of non-negative integer counts.
    case badSizesFile(file: String, problem: String)
    /// A `--shards` pattern or folder that names no file.
    case noInputs(pattern: String, what: String)
    /// A catalog locator that no longer matches the archive (replaced or rewritten since the build).
    case staleLocator(file: String, member: String, offset: Int64, detail: String)

    public var subject: String? {
        switch self {
        case .cannotRead(let f, _), .readFailed(let f, _), .badSizesFile(let f, _): return f
        case .truncated(let f, let m, let o, _), .badHeader(let f, let m, let o, _):
            return m.map { "\(f): member \"\($0)\" at byte \(o)" } ?? "\(f): at byte \(o)"
        case .badChecksum(let f, let m, let o):
            return "\(f): member \"\(m)\" at byte \(o)"
        case .missingEndMarker(let f, let o, _):
            return "\(f): at byte \(o)"
        case .memberTooLarge(let f, let m, _, _):
            return "\(f): member \"\(m)\""
        case .staleLocator(let f, let m, let o, _):
            return "\(f): member \"\(m)\" at byte \(o)"
        case .noInputs(let p, _):
            return p
        }
    }

    public var reason: String {
        switch self {
        case .cannotRead(_, let e):
            return e == EISDIR ? "is a folder, not a tar file" : "cannot read: \(String(cString: strerror(e)))"
        case .readFailed(_, let e):
            return "read failed: \(String(cString: strerror(e)))"
        case .truncated(_, _, _, let detail):
            return "the archive is truncated: \(detail)"
        case .badChecksum:
            return "the header checksum does not match (the archive is damaged)"
        case .badHeader(_, _, _, let problem):
            return "a damaged header: \(problem)"
        case .missingEndMarker(_, _, let last):
            return "the archive ends without its end-of-archive marker" + (last.map { " after member \"\($0)\"" } ?? "")
        case .memberTooLarge(_, _, let size, let limit):
            return "\(size) bytes, more than the \(limit) bytes read into memory for a sample's metadata"
        case .badSizesFile(_, let problem):
            return "not a valid sizes.json: \(problem)"
        case .noInputs(_, let what):
            return "names no \(what)"
        case .staleLocator(_, _, _, let detail):
            return "the archive no longer matches the index: \(detail)"
        }
    }

    public var hint: String? {
        switch self {
        case .cannotRead(_, let e):
            if e == ENOENT { return "check the path" }
            if e == EACCES || e == EPERM { return "check the file's permissions" }
            return nil
        case .truncated, .missingEndMarker, .badChecksum, .badHeader:
            return "download or copy the shard again; the samples before this point were read"
        case .memberTooLarge:
            return "a sample's .json should be a few kilobytes; check the shard"
        case .badSizesFile:
            return "it maps each shard's file name to its sample count, e.g. {\"0.tar\": 512}; fix or delete it"
        case .noInputs:
            return "check the pattern; quote it so the shell does not expand it"
        case .staleLocator:
            return "the shard was replaced or rewritten after the build; run audio-index verify, then add the shard again"
        case .readFailed:
            return nil
        }
    }

    public var exitCode: ProcessExitCode {
        switch self {
        case .cannotRead(_, let e) where e != ENOENT && e != EISDIR && e != ENOTDIR: return .ioFailure
        case .readFailed: return .ioFailure
        case .truncated, .badChecksum, .badHeader, .missingEndMarker, .memberTooLarge: return .corrupt
        case .staleLocator: return .inconsistent
        default: return .badInput
        }
    }
}
