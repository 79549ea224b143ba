import FileIO
import Foundation
import NumPyFormat

#if canImport(Glibc)
import Glibc
#endif

/// How two vectors are compared. Stored as one byte in every segment header (Docs/IndexFormat.md).
public enum Metric: String, Sendable, CaseIterable {
    /// Inner product, larger is better (CLAP: L2-normalised vectors, so this is cosine similarity).
    case ip
    /// Squared Euclidean distance, smaller is better.
    case l2

    var code: UInt8 { self == .ip ? 0 : 1 }
    init?(code: UInt8) {
        switch code {
        case 0: self = .ip
        case 1: self = .l2
        default: return nil
        }
    }
}

/// The fixed 128-byte segment header, byte for byte as Docs/IndexFormat.md §3 lists it.
/// All integers are little-endian; every offset is from the start of the file.
struct SegmentHeader: Equatable {
    var dimension: Int
    var metric: Metric
    var count: Int
    var vectorsOffset: Int
    var vectorsLength: Int
    var idsOffset: Int
    var idsLength: Int
    var vectorsCRC: UInt32
    var idsCRC: UInt32

    /// The layout a writer produces for `count` vectors of `dimension` (checksums left zero).
    static func layout(dimension: Int, metric: Metric, count: Int) -> SegmentHeader {
        let vectorsLength = SegmentFormat.vectorsNPYHeader(count: count, dimension: dimension).count + count * dimension * 4
        let idsOffset = SegmentFormat.roundUp(SegmentFormat.headerSize + vectorsLength)
        let idsLength = SegmentFormat.idsNPYHeader(count: count).count + count * 8
        return SegmentHeader(dimension: dimension, metric: metric, count: count,
                             vectorsOffset: SegmentFormat.headerSize, vectorsLength: vectorsLength,
                             idsOffset: idsOffset, idsLength: idsLength, vectorsCRC: 0, idsCRC: 0)
    }

    var fileSize: Int { idsOffset + idsLength }

    func encode() -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(SegmentFormat.headerSize)
        func put<T: FixedWidthInteger>(_ v: T) { withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) } }
        out.append(contentsOf: SegmentFormat.magic)                // 0   magic
        put(UInt32(SegmentFormat.version))                         // 8   format version
        put(SegmentFormat.endiannessMarker)                        // 12  endianness marker
        put(UInt32(dimension))                                     // 16  dimension
        out.append(metric.code)                                    // 20  metric
        out.append(SegmentFormat.elementTypeFloat32)               // 21  element type
        put(UInt16(0))                                             // 22  reserved
        put(UInt64(count))                                         // 24  vector count
        put(UInt64(vectorsOffset)); put(UInt64(vectorsLength))     // 32, 40
        put(UInt64(idsOffset)); put(UInt64(idsLength))             // 48, 56
        put(vectorsCRC); put(idsCRC)                               // 64, 68
        out.append(contentsOf: [UInt8](repeating: 0, count: SegmentFormat.headerCRCOffset - out.count))  // 72..<124 reserved
        put(CRC32C.checksum(out))                                  // 124 header CRC-32C over bytes 0..<124
        precondition(out.count == SegmentFormat.headerSize)
        return out
    }
}

/// Constants of the segment file format (Docs/IndexFormat.md).
public enum SegmentFormat {
    public static let magic: [UInt8] = Array("AUDIXVEC".utf8)
    /// Bumped for any change old readers would misread; readers refuse larger versions.
    public static let version = 1
    /// Written little-endian it reads `0D 0C 0B 0A`; a big-endian writer would produce `0A 0B 0C 0D`.
    static let endiannessMarker: UInt32 = 0x0A0B_0C0D
    static let elementTypeFloat32: UInt8 = 0
    public static let headerSize = 128
    static let headerCRCOffset = 124
    /// Sections start on 64-byte boundaries so the float data (after a 64-multiple .npy header) is
    /// aligned for SIMD loads and for `numpy.memmap`.
    static let alignment = 64
    /// Dimensions above this are refused as implausible (a damaged header must not drive allocations).
    static let maximumDimension = 1 << 16

    static func roundUp(_ n: Int) -> Int { (n + alignment - 1) / alignment * alignment }

    static func vectorsNPYHeader(count: Int, dimension: Int) -> [UInt8] {
        NPY.headerBytes(dtype: .float32, shape: [count, dimension])
    }

    static func idsNPYHeader(count: Int) -> [UInt8] { NPY.headerBytes(dtype: .int64, shape: [count]) }

    /// Writes a complete segment atomically (temp file, fsync, rename, folder fsync).
    /// `vectors` is row-major `ids.count × dimension`.
    static func write(to url: URL, dimension: Int, metric: Metric, vectors: UnsafeBufferPointer<Float>, ids: [Int64]) throws {
        precondition(vectors.count == ids.count * dimension, "segment: \(vectors.count) floats for \(ids.count) ids of dimension \(dimension)")
        var header = SegmentHeader.layout(dimension: dimension, metric: metric, count: ids.count)
        let vHead = vectorsNPYHeader(count: ids.count, dimension: dimension)
        let iHead = idsNPYHeader(count: ids.count)
        let padding = [UInt8](repeating: 0, count: header.idsOffset - header.vectorsOffset - header.vectorsLength)
        let littleIDs = ids.map { $0.littleEndian }
        var crc = CRC32C()
        vHead.withUnsafeBytes { crc.update($0) }
        crc.update(UnsafeRawBufferPointer(vectors))
        header.vectorsCRC = crc.value
        crc = CRC32C()
        iHead.withUnsafeBytes { crc.update($0) }
        littleIDs.withUnsafeBytes { crc.update($0) }
        header.idsCRC = crc.value
        try AtomicFile.write(to: url) { fd, path in
            try header.encode().withUnsafeBytes { try AtomicFile.writeAll(fd: fd, $0, path: path) }
            try vHead.withUnsafeBytes { try AtomicFile.writeAll(fd: fd, $0, path: path) }
            try AtomicFile.writeAll(fd: fd, UnsafeRawBufferPointer(vectors), path: path)
            try padding.withUnsafeBytes { try AtomicFile.writeAll(fd: fd, $0, path: path) }
            try iHead.withUnsafeBytes { try AtomicFile.writeAll(fd: fd, $0, path: path) }
            try littleIDs.withUnsafeBytes { try AtomicFile.writeAll(fd: fd, $0, path: path) }
        }
    }
}

/// One immutable segment, memory-mapped. Opening reads and checks the 128-byte header and the two
/// small `.npy` headers only, so it costs O(1) whatever the vector count; `verify()` reads the rest.
final class Segment: @unchecked Sendable {
    let file: MappedFile
    let header: SegmentHeader

    var path: String { file.path }
    var count: Int { header.count }
    var dimension: Int { header.dimension }

    /// File offsets of the first float and the first id (after each section's `.npy` header).
    private let vectorsDataStart: Int
    private let idsDataStart: Int

    init(path: String) throws {
        file = try Segment.map(path)
        header = try Segment.validate(file.bytes, path: path)
        vectorsDataStart = header.vectorsOffset + SegmentFormat.vectorsNPYHeader(count: header.count, dimension: header.dimension).count
        idsDataStart = header.idsOffset + SegmentFormat.idsNPYHeader(count: header.count).count
    }

    /// Row-major `count × dimension` floats, 64-byte aligned inside the mapping.
    var vectors: UnsafeBufferPointer<Float> {
        guard header.count > 0, let base = file.bytes.baseAddress else { return UnsafeBufferPointer(start: nil, count: 0) }
        return UnsafeBufferPointer(start: (base + vectorsDataStart).assumingMemoryBound(to: Float.self), count: header.count * header.dimension)
    }

    @inline(__always) func id(at row: Int) -> Int64 {
        Int64(littleEndian: file.bytes.loadUnaligned(fromByteOffset: idsDataStart + 8 * row, as: Int64.self))
    }

    var ids: [Int64] { (0..<count).map(id(at:)) }


    /// Checks every structural fact against the file size; never touches the payload.
    static func validate(_ bytes: UnsafeRawBufferPointer, path: String) throws -> SegmentHeader {
        let size = bytes.count
        guard size >= SegmentFormat.headerSize else {
            if size >= 8, Array(bytes[0..<8]) != SegmentFormat.magic { throw VectorIndexError.corrupt(path: path, detail: "not a segment file (bad magic)") }
            throw VectorIndexError.wrongSize(path: path, expected: SegmentFormat.headerSize, actual: size)
        }
        func u32(_ o: Int) -> UInt32 { UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: o, as: UInt32.self)) }
        func u64(_ o: Int) -> UInt64 { UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: o, as: UInt64.self)) }
        guard Array(bytes[0..<8]) == SegmentFormat.magic else { throw VectorIndexError.corrupt(path: path, detail: "not a segment file (bad magic)") }
        let headerCRC = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: bytes[0..<SegmentFormat.headerCRCOffset]))
        let version = u32(8)
        // A newer version is reported before the checksum: a future header may checksum differently.
        guard version <= UInt32(SegmentFormat.version) else { throw VectorIndexError.newerVersion(path: path, version: Int(version)) }
        guard headerCRC == u32(SegmentFormat.headerCRCOffset) else { throw VectorIndexError.corrupt(path: path, detail: "header checksum mismatch") }
        guard version == UInt32(SegmentFormat.version) else { throw VectorIndexError.corrupt(path: path, detail: "format version \(version) is not valid") }
        guard u32(12) == SegmentFormat.endiannessMarker else {
            throw VectorIndexError.corrupt(path: path, detail: "endianness marker \(String(u32(12), radix: 16)) (written on a big-endian machine?)")
        }
        let dimension = Int(u32(16))
        guard dimension >= 1, dimension <= SegmentFormat.maximumDimension else { throw VectorIndexError.corrupt(path: path, detail: "dimension \(dimension) is out of range") }
        guard let metric = Metric(code: bytes[20]) else { throw VectorIndexError.corrupt(path: path, detail: "unknown metric code \(bytes[20])") }
        guard bytes[21] == SegmentFormat.elementTypeFloat32 else { throw VectorIndexError.corrupt(path: path, detail: "unknown element type \(bytes[21])") }
        let rawCount = u64(24)
        // The count must fit in the file before any arithmetic uses it.
        guard rawCount <= UInt64(size / (4 * dimension + 8)) else {
            throw VectorIndexError.corrupt(path: path, detail: "vector count \(rawCount) cannot fit in \(size) bytes")
        }
        var expected = SegmentHeader.layout(dimension: dimension, metric: metric, count: Int(rawCount))
        expected.vectorsCRC = u32(64)
        expected.idsCRC = u32(68)
        let stored = (u64(32), u64(40), u64(48), u64(56))
        guard stored == (UInt64(expected.vectorsOffset), UInt64(expected.vectorsLength), UInt64(expected.idsOffset), UInt64(expected.idsLength)) else {
            throw VectorIndexError.corrupt(path: path, detail: "section offsets and lengths disagree with the count and dimension")
        }
        guard size == expected.fileSize else { throw VectorIndexError.wrongSize(path: path, expected: expected.fileSize, actual: size) }
        let vHead = SegmentFormat.vectorsNPYHeader(count: expected.count, dimension: dimension)
        guard Array(bytes[expected.vectorsOffset..<(expected.vectorsOffset + vHead.count)]) == vHead else {
            throw VectorIndexError.corrupt(path: path, detail: "the vectors section's .npy header is damaged")
        }
        let iHead = SegmentFormat.idsNPYHeader(count: expected.count)
        guard Array(bytes[expected.idsOffset..<(expected.idsOffset + iHead.count)]) == iHead else {
            throw VectorIndexError.corrupt(path: path, detail: "the ids section's .npy header is damaged")
        }
        return expected
    }

    /// Reads every byte: both section checksums and the zero padding.
    func verify() throws {
        let b = file.bytes
        let v = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: b[header.vectorsOffset..<(header.vectorsOffset + header.vectorsLength)]))
        guard v == header.vectorsCRC else { throw VectorIndexError.checksumMismatch(path: path, section: "vectors") }
        let i = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: b[header.idsOffset..<(header.idsOffset + header.idsLength)]))
        guard i == header.idsCRC else { throw VectorIndexError.checksumMismatch(path: path, section: "ids") }
        guard b[(header.vectorsOffset + header.vectorsLength)..<header.idsOffset].allSatisfy({ $0 == 0 }) else {
            throw VectorIndexError.corrupt(path: path, detail: "padding between sections is not zero")
        }
    }
}

extension Segment {
    /// Maps `path`. A missing file throws `.missingFile` so the caller can re-read CURRENT.
    static func map(_ path: String) throws -> MappedFile {
        do {
            return try MappedFile(path: path)
        } catch .open(let e) where e == ENOENT {
            throw VectorIndexError.missingFile(path: path)
        } catch .open(let e), .stat(let e), .map(let e) {
            throw VectorIndexError.io(path: path, errno: e)
        } catch .notRegularFile {
            throw VectorIndexError.io(path: path, errno: ENODEV)  // what mmap itself reports for these
        }
    }
}
