import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Reads a manifest file line by line in 1 MiB chunks, so a manifest of any size streams in
/// bounded memory (plus the longest line).
///
/// Handles the byte-level rules of Docs/ManifestFormat.md: a UTF-8 byte-order mark is skipped,
/// UTF-16/32 marks are refused, lines end in LF or CRLF (the CR is not part of the line).
/// Owns its file descriptor and closes it in `deinit`.
final class LineReader {
    enum Terminator {
        case lf, crlf, none

        var bytes: [UInt8] {
            switch self {
            case .lf: return [0x0A]
            case .crlf: return [0x0D, 0x0A]
            case .none: return []
            }
        }
    }

    struct Line {
        /// The line's bytes without its terminator.
        let bytes: [UInt8]
        let terminator: Terminator
        /// 1-based.
        let number: Int
    }

    private static let chunkSize = 1 << 20

    /// The manifest as the caller named it, for messages.
    let file: String
    private let fd: Int32
    private var buffer: [UInt8] = []
    private var position = 0
    /// Where the search for the next LF resumes (everything before it has no LF).
    private var scanned = 0
    private var atEOF = false
    /// Where `read` lands before the bytes join `buffer`: allocated once, never zero-filled, and no
    /// larger than the file (a small manifest costs a small buffer).
    private let chunk: UnsafeMutableRawBufferPointer
    private var lineNumber = 0

    init(url: URL, file: String) throws {
        self.file = file
        // O_NONBLOCK: opening a FIFO must not wait for a writer; only regular files are read
        // (/dev/zero or a pipe would never end).
        let fd = open(url.path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else { throw ManifestError.cannotRead(file: file, errno: errno) }
        var status = stat()
        guard fstat(fd, &status) == 0 else { let e = errno; close(fd); throw ManifestError.cannotRead(file: file, errno: e) }
        switch status.st_mode & S_IFMT {
        case S_IFREG: break
        case S_IFDIR: close(fd); throw ManifestError.cannotRead(file: file, errno: EISDIR)
        case S_IFIFO: close(fd); throw ManifestError.notRegularFile(file: file, kind: "FIFO (named pipe)")
        case S_IFCHR, S_IFBLK: close(fd); throw ManifestError.notRegularFile(file: file, kind: "device")
        default: close(fd); throw ManifestError.notRegularFile(file: file, kind: "socket or special file")
        }
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK)
        self.fd = fd
        let size = Int(status.st_size)
        chunk = .allocate(byteCount: max(4096, min(Self.chunkSize, size + 1)), alignment: 16)
        try fill()
        try checkByteOrderMark()
    }

    deinit {
        chunk.deallocate()
        close(fd)
    }

    /// The next line, or nil at the end of the file.
    func next() throws -> Line? {
        while true {
            if let lf = buffer[scanned...].firstIndex(of: 0x0A) {
                var end = lf
                var terminator = Terminator.lf
                if end > position && buffer[end - 1] == 0x0D {
                    end -= 1
                    terminator = .crlf
                }
                let line = Array(buffer[position..<end])
                position = lf + 1
                scanned = position
                lineNumber += 1
                return Line(bytes: line, terminator: terminator, number: lineNumber)
            }
            scanned = buffer.count
            if atEOF {
                guard position < buffer.count else { return nil }
                let line = Array(buffer[position...])
                position = buffer.count
                scanned = position
                lineNumber += 1
                return Line(bytes: line, terminator: .none, number: lineNumber)
            }
            try fill()
        }
    }

    /// Appends the next chunk, first dropping consumed bytes so the buffer holds one line at most
    /// plus a chunk.
    private func fill() throws {
        if position > 0 {
            buffer.removeSubrange(0..<position)
            scanned -= position
            position = 0
        }
        let oldCount = buffer.count
        buffer.reserveCapacity(oldCount + chunk.count)
        while true {
            let n = read(fd, chunk.baseAddress!, chunk.count)
            if n < 0 {
                if errno == EINTR { continue }
                throw ManifestError.cannotRead(file: file, errno: errno)
            }
            if n == 0 { atEOF = true }
            buffer.append(contentsOf: UnsafeRawBufferPointer(rebasing: chunk[0..<n]))
            return
        }
    }

    private func checkByteOrderMark() throws {
        if buffer.starts(with: [0xEF, 0xBB, 0xBF]) {
            position = 3
            scanned = 3
        } else if buffer.starts(with: [0x00, 0x00, 0xFE, 0xFF]) || buffer.starts(with: [0xFF, 0xFE, 0x00, 0x00]) {
            throw ManifestError.notUTF8(file: file, encoding: "UTF-32")
        } else if buffer.starts(with: [0xFF, 0xFE]) || buffer.starts(with: [0xFE, 0xFF]) {
            throw ManifestError.notUTF8(file: file, encoding: "UTF-16")
        }
    }
}

/// The offset of the first byte that does not belong to well-formed UTF-8 (RFC 3629: no overlong
/// forms, no surrogates, nothing above U+10FFFF), or nil when all of `bytes` is UTF-8.
func firstInvalidUTF8Offset(_ bytes: [UInt8]) -> Int? {
    var i = 0
    let n = bytes.count
    while i < n {
        let b = bytes[i]
        if b < 0x80 {
            i += 1
            continue
        }
        var need: Int
        var low: UInt8 = 0x80
        var high: UInt8 = 0xBF
        switch b {
        case 0xC2...0xDF: need = 1
        case 0xE0: need = 2; low = 0xA0
        case 0xE1...0xEC, 0xEE...0xEF: need = 2
        case 0xED: need = 2; high = 0x9F
        case 0xF0: need = 3; low = 0x90
        case 0xF1...0xF3: need = 3
        case 0xF4: need = 3; high = 0x8F
        default: return i
        }
        guard i + need < n, (low...high).contains(bytes[i + 1]) else { return i }
        var k = 2
        while k <= need {
            guard (0x80...0xBF).contains(bytes[i + k]) else { return i }
            k += 1
        }
        i += need + 1
    }
    return nil
}

/// The 1-based column (in Unicode scalars) of byte `offset` in a line: editors count characters.
func column(ofByte offset: Int, in bytes: [UInt8]) -> Int {
    var count = 1
    for b in bytes[0..<min(offset, bytes.count)] where b & 0xC0 != 0x80 {
        count += 1
    }
    return count
}

/// True for a line of spaces and tabs only (a blank line, skipped in both formats).
func isBlank(_ bytes: [UInt8]) -> Bool {
    bytes.allSatisfy { $0 == 0x20 || $0 == 0x09 }
}
