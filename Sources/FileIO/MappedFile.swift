#if canImport(Glibc)
import Glibc
#endif

/// A read-only memory map of a whole regular file, unmapped when released. Opening maps and reads
/// nothing, so its cost does not grow with the file; pages are read when touched.
///
/// The one mmap wrapper of the project (vector index segments, safetensors checkpoints); callers turn
/// `OpenError` into their own typed errors, which name the file in their terms.
public final class MappedFile: @unchecked Sendable {  // immutable after init
    public enum OpenError: Error, Equatable {
        case open(errno: Int32)
        case stat(errno: Int32)
        /// A directory, FIFO or device: nothing to map.
        case notRegularFile
        case map(errno: Int32)
    }

    public let path: String
    /// The whole file; empty (nil base address) for a zero-length file, which mmap cannot map.
    public let bytes: UnsafeRawBufferPointer

    public init(path: String) throws(OpenError) {
        self.path = path
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .open(errno: errno) }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw .stat(errno: errno) }
        guard (st.st_mode & S_IFMT) == S_IFREG else { throw .notRegularFile }
        let size = Int(st.st_size)
        if size == 0 {
            bytes = UnsafeRawBufferPointer(start: nil, count: 0)
            return
        }
        // Default (not MADV_RANDOM) advice: scans read sequentially and should get read-ahead.
        guard let p = mmap(nil, size, PROT_READ, MAP_SHARED, fd, 0), p != UnsafeMutableRawPointer(bitPattern: -1) else {
            throw .map(errno: errno)
        }
        bytes = UnsafeRawBufferPointer(start: p, count: size)
    }

    deinit {
        if let base = bytes.baseAddress { munmap(UnsafeMutableRawPointer(mutating: base), bytes.count) }
    }
}
