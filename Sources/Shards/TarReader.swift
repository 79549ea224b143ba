import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A regular file inside a tar archive: where its bytes are, never the bytes themselves.
public struct TarMember: Sendable, Equatable, Hashable {
    /// The member's name as the archive gives it (pax `path`, GNU long name, or ustar prefix/name),
    /// already checked to be relative and free of `..` components.
    public var name: String
    /// Payload length in bytes.
    public var size: Int64
    /// Byte offset of the payload's first byte in the archive file (a multiple of 512).
    public var payloadOffset: Int64
    /// Byte offset of the member's first header block (its pax or GNU long-name block, if any).
    public var headerOffset: Int64

    public init(name: String, size: Int64, payloadOffset: Int64, headerOffset: Int64) {
        self.name = name
        self.size = size
        self.payloadOffset = payloadOffset
        self.headerOffset = headerOffset
    }
}

/// Why a member was passed over. None of these is ever followed, created or written anywhere.
public enum TarSkipReason: Sendable, Equatable, CustomStringConvertible {
    case hardLink(target: String)
    case symbolicLink(target: String)
    case characterDevice
    case blockDevice
    case fifo
    /// An absolute name, a `..` component, an empty name, a NUL byte or bytes that are not UTF-8.
    case unsafeName(String)
    /// A type flag this reader does not read (GNU sparse, multi-volume, vendor types).
    case unsupportedType(UInt8)

    public var description: String {
        switch self {
        case .hardLink(let t): return "a hard link to \"\(t)\" (links are never followed)"
        case .symbolicLink(let t): return "a symbolic link to \"\(t)\" (links are never followed)"
        case .characterDevice: return "a character device"
        case .blockDevice: return "a block device"
        case .fifo: return "a FIFO"
        case .unsafeName(let why): return "an unsafe name: \(why)"
        case .unsupportedType(let t):
            let shown = (0x21...0x7E).contains(t) ? "'\(Character(Unicode.Scalar(t)))'" : "0x\(String(t, radix: 16))"
            return "type \(shown), which is not read"
        }
    }
}

/// A member that was reported and skipped.
public struct TarSkippedMember: Sendable, Equatable {
    /// The name as stored (lossily decoded when it is not UTF-8).
    public var name: String
    public var headerOffset: Int64
    public var reason: TarSkipReason
}

/// What `TarReader.next()` yields.
public enum TarEvent: Sendable, Equatable {
    case member(TarMember)
    case skipped(TarSkippedMember)
}

/// A streaming POSIX tar reader: ustar, pax extended headers (`x`; global `g` headers are read and
/// ignored) and GNU long names (`L`, `K`).
///
/// It reads header blocks one by one through a file descriptor and seeks over payloads, so memory
/// stays constant whatever the archive's size (extended headers are capped at
/// `maximumExtendedHeaderSize`). Nothing is ever unpacked. Directories are passed over silently;
/// links, devices, FIFOs and members with unsafe names are yielded as `.skipped`.
///
/// A damaged archive (truncated member, bad checksum, malformed number or pax record, missing
/// end-of-archive marker) throws a `ShardError` naming the archive, the member and the byte offset;
/// every member before the damage has already been yielded.
///
/// Reference: POSIX.1-2017 `pax` "ustar Interchange Format" and "pax Extended Header"; GNU tar
/// manual, "Basic Tar Format" (types `L`, `K`, base-256 numbers).
public final class TarReader {
    /// Larger pax or GNU long-name payloads are refused: real ones are a few hundred bytes.
    public static let maximumExtendedHeaderSize: Int64 = 1 << 20

    /// The archive as named in messages.
    public let displayName: String
    private let fd: Int32
    private let fileSize: Int64
    /// Offset of the next header block.
    private var position: Int64 = 0
    private var finished = false
    private var failed = false
    /// The last member yielded, for messages about damage after it.
    public private(set) var lastMemberName: String?

    /// Opens `url` for reading. `displayName` defaults to the path as given.
    public init(url: URL, displayName: String? = nil) throws {
        let name = displayName ?? (url.isFileURL ? url.relativePath : url.absoluteString)
        self.displayName = name
        let descriptor = open(url.path, O_RDONLY | O_CLOEXEC)
        if descriptor < 0 { throw ShardError.cannotRead(file: name, errno: errno) }
        var info = stat()
        if fstat(descriptor, &info) != 0 {
            let e = errno
            close(descriptor)
            throw ShardError.cannotRead(file: name, errno: e)
        }
        if (info.st_mode & S_IFMT) == S_IFDIR {
            close(descriptor)
            throw ShardError.cannotRead(file: name, errno: EISDIR)
        }
        fd = descriptor
        fileSize = Int64(info.st_size)
    }

    deinit { close(fd) }

    /// The next regular member or skipped member, or nil after the end-of-archive marker.
    /// After an error the reader stays failed: every later call returns nil.
    public func next() throws -> TarEvent? {
        if finished || failed { return nil }
        do {
            return try readNext()
        } catch {
            failed = true
            throw error
        }
    }

    /// All remaining events (for tests and small archives).
    public func readAll() throws -> [TarEvent] {
        var events: [TarEvent] = []
        while let e = try next() { events.append(e) }
        return events
    }

    /// Reads `member`'s payload with `pread` (the reading position is not moved). Refuses payloads
    /// larger than `maximumBytes`, so a hostile size cannot exhaust memory.
    public func payload(of member: TarMember, maximumBytes: Int) throws -> [UInt8] {
        guard member.size <= Int64(maximumBytes) else {
            throw ShardError.memberTooLarge(file: displayName, member: member.name, size: member.size, limit: Int64(maximumBytes))
        }
        return try readExactly(count: Int(member.size), at: member.payloadOffset, member: member.name)
    }

    // MARK: - Reading

    /// Pending values from extended headers, applied to the next real header.
    private struct Pending {
        var path: [UInt8]?
        var linkPath: [UInt8]?
        var size: Int64?
        var start: Int64?
    }

    private func readNext() throws -> TarEvent? {
        var pending = Pending()
        while true {
            let headerOffset = position
            if headerOffset == fileSize {
                throw ShardError.missingEndMarker(file: displayName, offset: headerOffset, lastMember: lastMemberName)
            }
            let block = try readBlock(at: headerOffset, member: pending.path.map(lossy))
            if block.allSatisfy({ $0 == 0 }) {
                // End of archive: two zero blocks. One zero block then the end of the file is accepted
                // (GNU tar warns "A lone zero block" and accepts it too).
                if pending.start != nil {
                    throw ShardError.badHeader(file: displayName, member: pending.path.map(lossy), offset: headerOffset,
                                               problem: "an extended header is followed by the end-of-archive marker")
                }
                finished = true
                return nil
            }
            let header = try TarHeader(block: block, offset: headerOffset, file: displayName)
            let start = pending.start ?? headerOffset
            let size = pending.size ?? header.size
            let payloadOffset = headerOffset + 512
            let (payloadEnd, overflow) = payloadOffset.addingReportingOverflow(size)
            let storedName = pending.path ?? header.name
            if overflow || payloadEnd > fileSize {
                throw ShardError.truncated(file: displayName, member: lossy(storedName), offset: headerOffset,
                                           detail: "its \(size)-byte payload runs past the end of the file (\(fileSize) bytes)")
            }
            position = payloadOffset + (size + 511) / 512 * 512
            if position > fileSize {
                // The last block's padding is missing: the member's bytes are all there, but the
                // archive was cut (a writer always pads to 512 bytes and ends with zero blocks).
                throw ShardError.truncated(file: displayName, member: lossy(storedName), offset: headerOffset,
                                           detail: "the file ends inside the member's padding")
            }

            switch header.type {
            case UInt8(ascii: "x"), UInt8(ascii: "g"):
                let records = try extendedPayload(size: size, at: payloadOffset, headerOffset: headerOffset)
                guard header.type == UInt8(ascii: "x") else { continue }  // global headers are ignored
                try PaxRecords.apply(records, to: &pending.path, linkPath: &pending.linkPath, size: &pending.size,
                                     file: displayName, offset: headerOffset)
                pending.start = pending.start ?? headerOffset
            case UInt8(ascii: "L"), UInt8(ascii: "K"):
                var value = try extendedPayload(size: size, at: payloadOffset, headerOffset: headerOffset)
                if let nul = value.firstIndex(of: 0) { value.removeSubrange(nul...) }
                // A pax value, when present, wins over a GNU long name (as in GNU tar and Python).
                if header.type == UInt8(ascii: "L") {
                    if pending.path == nil { pending.path = value }
                } else if pending.linkPath == nil {
                    pending.linkPath = value
                }
                pending.start = pending.start ?? headerOffset
            default:
                let name = storedName
                let linkTarget = lossy(pending.linkPath ?? header.linkName)
                if header.type == UInt8(ascii: "5") { pending = Pending(); continue }
                let reason: TarSkipReason?
                switch header.type {
                case UInt8(ascii: "0"), 0, UInt8(ascii: "7"): reason = nil
                case UInt8(ascii: "1"): reason = .hardLink(target: linkTarget)
                case UInt8(ascii: "2"): reason = .symbolicLink(target: linkTarget)
                case UInt8(ascii: "3"): reason = .characterDevice
                case UInt8(ascii: "4"): reason = .blockDevice
                case UInt8(ascii: "6"): reason = .fifo
                default: reason = .unsupportedType(header.type)
                }
                if let reason {
                    return .skipped(TarSkippedMember(name: lossy(name), headerOffset: start, reason: reason))
                }
                switch MemberName.check(name) {
                case .failure(let why):
                    return .skipped(TarSkippedMember(name: lossy(name), headerOffset: start, reason: .unsafeName(why.text)))
                case .success(let text):
                    lastMemberName = text
                    return .member(TarMember(name: text, size: size, payloadOffset: payloadOffset, headerOffset: start))
                }
            }
        }
    }

    private func extendedPayload(size: Int64, at offset: Int64, headerOffset: Int64) throws -> [UInt8] {
        guard size <= Self.maximumExtendedHeaderSize else {
            throw ShardError.badHeader(file: displayName, member: nil, offset: headerOffset,
                                       problem: "an extended header of \(size) bytes (more than \(Self.maximumExtendedHeaderSize))")
        }
        return try readExactly(count: Int(size), at: offset, member: nil)
    }

    private func readBlock(at offset: Int64, member: String?) throws -> [UInt8] {
        if fileSize - offset < 512 {
            throw ShardError.truncated(file: displayName, member: member ?? lastMemberName.map { "after \($0)" }, offset: offset,
                                       detail: "the file ends inside a header block")
        }
        return try readExactly(count: 512, at: offset, member: member)
    }

    private func readExactly(count: Int, at offset: Int64, member: String?) throws -> [UInt8] {
        try Self.readExactly(fd, count: count, at: offset, file: displayName, member: member)
    }

    /// `preadFully` with its failures as `ShardError`s naming `file` (and `member`, if known).
    static func readExactly(_ fd: Int32, count: Int, at offset: Int64, file: String, member: String?) throws -> [UInt8] {
        do {
            return try preadFully(fd, count: count, at: offset)
        } catch .failed(let e) {
            throw ShardError.readFailed(file: file, errno: e)
        } catch .endOfFile(let at) {
            throw ShardError.truncated(file: file, member: member, offset: at, detail: "the file ended while being read (it shrank?)")
        }
    }
}

/// Why `preadFully` stopped.
enum PReadFailure: Error {
    case failed(errno: Int32)
    /// The file ended at this offset before `count` bytes were read.
    case endOfFile(at: Int64)
}

/// Reads exactly `count` bytes at `offset` with `pread` (retrying short reads and EINTR), leaving
/// the descriptor's position alone.
func preadFully(_ fd: Int32, count: Int, at offset: Int64) throws(PReadFailure) -> [UInt8] {
    var bytes = [UInt8](repeating: 0, count: count)
    var done = 0
    while done < count {
        let n = bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + done, count - done, off_t(offset) + off_t(done)) }
        if n < 0 {
            if errno == EINTR { continue }
            throw .failed(errno: errno)
        }
        if n == 0 { throw .endOfFile(at: offset + Int64(done)) }
        done += n
    }
    return bytes
}

/// Text from bytes that may not be UTF-8, for messages.
func lossy(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

/// The rules a member name must pass before it is used as a sample key.
enum MemberName {
    struct Problem: Error { let text: String }

    /// The name as text, or why it is refused: empty, absolute, a `..` component, NUL, not UTF-8.
    static func check(_ bytes: [UInt8]) -> Result<String, Problem> {
        if bytes.isEmpty { return .failure(Problem(text: "the name is empty")) }
        if bytes.contains(0) { return .failure(Problem(text: "the name contains a NUL byte")) }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            return .failure(Problem(text: "the name is not UTF-8"))
        }
        if text.hasPrefix("/") { return .failure(Problem(text: "an absolute path")) }
        if text.split(separator: "/", omittingEmptySubsequences: false).contains("..") {
            return .failure(Problem(text: "a \"..\" component"))
        }
        if text.hasSuffix("/") { return .failure(Problem(text: "a regular file named like a folder")) }
        return .success(text)
    }
}
