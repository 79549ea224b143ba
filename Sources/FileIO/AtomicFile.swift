import Diagnostics
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Errors from writing files; the path is always the final destination the user named.
public enum FileWriteError: UserFacingError {
    case cannotCreate(path: String, errno: Int32)
    case writeFailed(path: String, errno: Int32)
    case renameFailed(path: String, errno: Int32)

    public var subject: String? {
        switch self {
        case .cannotCreate(let p, _), .writeFailed(let p, _), .renameFailed(let p, _): return p
        }
    }
    public var reason: String {
        switch self {
        case .cannotCreate(_, let e): return "cannot create file: \(String(cString: strerror(e)))"
        case .writeFailed(_, let e): return "write failed: \(String(cString: strerror(e)))"
        case .renameFailed(_, let e): return "cannot move the finished file into place: \(String(cString: strerror(e)))"
        }
    }
    public var hint: String? {
        switch self {
        case .cannotCreate(_, let e), .writeFailed(_, let e), .renameFailed(_, let e):
            if e == ENOSPC { return "the disk is full: free space and run again; nothing was overwritten" }
            if e == EACCES || e == EPERM { return "check the folder's permissions" }
            if e == ENOENT { return "the folder does not exist: create it first" }
            return "nothing was overwritten"
        }
    }
    public var exitCode: ProcessExitCode { .ioFailure }
}

/// Writes files so that a reader sees either the old file or the complete new one, never a part:
/// temp file in the same folder, write, fsync, rename over the destination, fsync the folder.
public enum AtomicFile {
    public static func write(_ bytes: [UInt8], to url: URL) throws {
        try write(to: url) { fd, path in
            try bytes.withUnsafeBytes { try writeAll(fd: fd, $0, path: path) }
        }
    }

    public static func write(_ data: Data, to url: URL) throws {
        try write(to: url) { fd, path in
            try data.withUnsafeBytes { try writeAll(fd: fd, $0, path: path) }
        }
    }

    /// Opens a temp file beside `url`, lets `body` write to its descriptor, then commits it.
    /// On any error the temp file is removed and the destination is untouched.
    public static func write(to url: URL, _ body: (_ fd: Int32, _ destinationPath: String) throws -> Void) throws {
        let path = url.path
        let folder = url.deletingLastPathComponent().path
        let template = folder + "/." + url.lastPathComponent + ".tmp-XXXXXX"
        var templateBytes = Array(template.utf8CString)
        let fd = templateBytes.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { throw FileWriteError.cannotCreate(path: path, errno: errno) }
        let tempPath = String(decoding: templateBytes.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
        var committed = false
        defer {
            if !committed { unlink(tempPath) }
        }
        do {
            try body(fd, path)
            fchmod(fd, 0o644)
            guard fsync(fd) == 0 else { throw FileWriteError.writeFailed(path: path, errno: errno) }
        } catch {
            close(fd)
            throw error
        }
        guard close(fd) == 0 else { throw FileWriteError.writeFailed(path: path, errno: errno) }
        guard rename(tempPath, path) == 0 else { throw FileWriteError.renameFailed(path: path, errno: errno) }
        committed = true
        syncDirectory(folder)
    }

    /// Writes every byte, retrying short writes and EINTR.
    public static func writeAll(fd: Int32, _ buffer: UnsafeRawBufferPointer, path: String) throws {
        var offset = 0
        while offset < buffer.count {
            let n = Glibc.write(fd, buffer.baseAddress! + offset, buffer.count - offset)
            if n < 0 {
                if errno == EINTR { continue }
                throw FileWriteError.writeFailed(path: path, errno: errno)
            }
            offset += n
        }
    }

    /// Makes a rename durable. Failure here is not reported: the data itself is already fsynced.
    public static func syncDirectory(_ path: String) {
        let dfd = open(path.isEmpty ? "." : path, O_RDONLY | O_DIRECTORY)
        if dfd >= 0 {
            fsync(dfd)
            close(dfd)
        }
    }
}
