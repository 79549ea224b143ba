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
        case .cannotCreate(let p, let e), .writeFailed(let p, let e), .renameFailed(let p, let e):
            if e == ENOSPC || e == EDQUOT {
                let folder = URL(fileURLWithPath: p).deletingLastPathComponent().path
                return "the disk is full (\(FreeSpace.describe(folder))): free space and run again; nothing was overwritten"
            }
            if e == EACCES || e == EPERM { return "check the folder's permissions" }
            if e == ENOENT { return "the folder does not exist: create it first" }
            return "nothing was overwritten"
        }
    }
    public var exitCode: ProcessExitCode { .ioFailure }
}

/// Writes files so that a reader sees either the old file or the complete new one, never a part:
/// temp file in the same folder, write, fsync, rename over the destination, fsync the folder.
///
/// `crashLabel` names the file's kind for the crash harness: the write passes the crash points
/// `<label>.temp-created`, `<label>.written`, `<label>.synced` and `<label>.renamed`
/// (`CrashPoints`, Diagnostics). Files of no index (exports, features) pass none.
public enum AtomicFile {
    public static func write(_ bytes: [UInt8], to url: URL, crashLabel: String? = nil) throws {
        try write(to: url, crashLabel: crashLabel) { fd, path in
            try bytes.withUnsafeBytes { try writeAll(fd: fd, $0, path: path) }
        }
    }

    public static func write(_ data: Data, to url: URL, crashLabel: String? = nil) throws {
        try write(to: url, crashLabel: crashLabel) { fd, path in
            try data.withUnsafeBytes { try writeAll(fd: fd, $0, path: path) }
        }
    }

    /// Opens a temp file beside `url`, lets `body` write to its descriptor, then commits it.
    /// On any error the temp file is removed and the destination is untouched.
    public static func write(to url: URL, crashLabel: String? = nil, _ body: (_ fd: Int32, _ destinationPath: String) throws -> Void) throws {
        func crashPoint(_ step: String) { if let crashLabel { CrashPoints.pass(crashLabel + "." + step) } }
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
            crashPoint("temp-created")
            try body(fd, path)
            crashPoint("written")
            fchmod(fd, 0o644)
            guard fsync(fd) == 0 else { throw FileWriteError.writeFailed(path: path, errno: errno) }
        } catch {
            close(fd)
            throw error
        }
        guard close(fd) == 0 else { throw FileWriteError.writeFailed(path: path, errno: errno) }
        crashPoint("synced")
        guard rename(tempPath, path) == 0 else { throw FileWriteError.renameFailed(path: path, errno: errno) }
        committed = true
        crashPoint("renamed")
        syncDirectory(folder)
    }

    /// Writes every byte, retrying short writes and EINTR. Under `AUDIO_INDEX_FAIL_WRITE_AFTER`
    /// (`WriteFaults`) a write past the budget writes what fits and fails as a full disk would.
    public static func writeAll(fd: Int32, _ buffer: UnsafeRawBufferPointer, path: String) throws {
        var offset = 0
        let allowed = WriteFaults.take(buffer.count)
        while offset < allowed {
            let n = Glibc.write(fd, buffer.baseAddress! + offset, allowed - offset)
            if n < 0 {
                if errno == EINTR { continue }
                throw FileWriteError.writeFailed(path: path, errno: errno)
            }
            offset += n
        }
        if allowed < buffer.count { throw FileWriteError.writeFailed(path: path, errno: ENOSPC) }
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

/// Injected write failures for the disk-full tests (issue 7 item 2): with
/// `AUDIO_INDEX_FAIL_WRITE_AFTER=N` in the environment, the files written through `AtomicFile`
/// (segments, tombstones, generation files, CURRENT, exports) may hold N bytes in total over the
/// process's life; the write that crosses the budget writes what fits and fails with ENOSPC.
public enum WriteFaults {
    private static let budget: Budget? = ProcessInfo.processInfo.environment["AUDIO_INDEX_FAIL_WRITE_AFTER"]
        .flatMap { Int($0) }.map(Budget.init)

    private final class Budget: @unchecked Sendable {
        let lock = NSLock()
        var left: Int
        init(_ bytes: Int) { left = max(0, bytes) }
    }

    /// How many of `count` bytes may be written (all of them unless a budget is set).
    static func take(_ count: Int) -> Int {
        guard let budget else { return count }
        budget.lock.lock()
        defer { budget.lock.unlock() }
        let granted = min(count, budget.left)
        budget.left -= granted
        return granted
    }
}
