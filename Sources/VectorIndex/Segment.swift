import Diagnostics
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
/// All integers are little-endian; every offset is from the start of the file. Flat segments are
/// written as version 1 (readable by every reader); IVF segments as version 2, whose extra fields
/// (list count, centroids and list-offset sections) sit in bytes version 1 reserved.
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
    /// IVF only (version 2): number of inverted lists, 0 for a flat segment.
    var nlist: Int = 0
    var centroidsOffset: Int = 0
    var centroidsLength: Int = 0
    var listsOffset: Int = 0
    var listsLength: Int = 0
    var centroidsCRC: UInt32 = 0
    var listsCRC: UInt32 = 0

    var isIVF: Bool { nlist > 0 }
    var version: Int { isIVF ? 2 : 1 }

    /// The layout a writer produces for `count` vectors of `dimension` (checksums left zero);
    /// `nlist` > 0 adds the centroids `(nlist, d)` and list-offsets `(nlist + 1,)` sections.
    static func layout(dimension: Int, metric: Metric, count: Int, nlist: Int = 0) -> SegmentHeader {
        let vectorsLength = SegmentFormat.vectorsNPYHeader(count: count, dimension: dimension).count + count * dimension * 4
        let idsOffset = SegmentFormat.roundUp(SegmentFormat.headerSize + vectorsLength)
        let idsLength = SegmentFormat.idsNPYHeader(count: count).count + count * 8
        var h = SegmentHeader(dimension: dimension, metric: metric, count: count,
                              vectorsOffset: SegmentFormat.headerSize, vectorsLength: vectorsLength,
                              idsOffset: idsOffset, idsLength: idsLength, vectorsCRC: 0, idsCRC: 0)
        if nlist > 0 {
            h.nlist = nlist
            h.centroidsOffset = SegmentFormat.roundUp(idsOffset + idsLength)
            h.centroidsLength = SegmentFormat.vectorsNPYHeader(count: nlist, dimension: dimension).count + nlist * dimension * 4
            h.listsOffset = SegmentFormat.roundUp(h.centroidsOffset + h.centroidsLength)
            h.listsLength = SegmentFormat.idsNPYHeader(count: nlist + 1).count + (nlist + 1) * 8
        }
        return h
    }

    var fileSize: Int { isIVF ? listsOffset + listsLength : idsOffset + idsLength }

    /// (start, end) of each zero-padded gap between sections.
    var paddingRanges: [Range<Int>] {
        var r = [(vectorsOffset + vectorsLength)..<idsOffset]
        if isIVF { r += [(idsOffset + idsLength)..<centroidsOffset, (centroidsOffset + centroidsLength)..<listsOffset] }
        return r
    }

    func encode() -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(SegmentFormat.headerSize)
        func put<T: FixedWidthInteger>(_ v: T) { withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) } }
        out.append(contentsOf: SegmentFormat.magic)                // 0   magic
        put(UInt32(version))                                       // 8   format version
        put(SegmentFormat.endiannessMarker)                        // 12  endianness marker
        put(UInt32(dimension))                                     // 16  dimension
        out.append(metric.code)                                    // 20  metric
        out.append(SegmentFormat.elementTypeFloat32)               // 21  element type
        out.append(isIVF ? SegmentFormat.kindIVF : SegmentFormat.kindFlat)  // 22  segment kind (v2; 0 in v1)
        out.append(0)                                              // 23  reserved
        put(UInt64(count))                                         // 24  vector count
        put(UInt64(vectorsOffset)); put(UInt64(vectorsLength))     // 32, 40
        put(UInt64(idsOffset)); put(UInt64(idsLength))             // 48, 56
        put(vectorsCRC); put(idsCRC)                               // 64, 68
        if isIVF {
            put(UInt32(nlist)); put(UInt32(0))                     // 72 nlist, 76 reserved
            put(UInt64(centroidsOffset)); put(UInt64(centroidsLength))  // 80, 88
            put(UInt64(listsOffset)); put(UInt64(listsLength))     // 96, 104
            put(centroidsCRC); put(listsCRC)                       // 112, 116
        }
        out.append(contentsOf: [UInt8](repeating: 0, count: SegmentFormat.headerCRCOffset - out.count))  // reserved up to 124
        put(CRC32C.checksum(out))                                  // 124 header CRC-32C over bytes 0..<124
        precondition(out.count == SegmentFormat.headerSize)
        return out
    }
}

/// Constants of the segment file format (Docs/IndexFormat.md).
public enum SegmentFormat {
    public static let magic: [UInt8] = Array("AUDIXVEC".utf8)
    /// The newest version this build reads (1 = flat, 2 = adds IVF segments). Bumped for any
    /// change old readers would misread; readers refuse larger versions.
    public static let version = 2
    /// Written little-endian it reads `0D 0C 0B 0A`; a big-endian writer would produce `0A 0B 0C 0D`.
    static let endiannessMarker: UInt32 = 0x0A0B_0C0D
    static let elementTypeFloat32: UInt8 = 0
    static let kindFlat: UInt8 = 0
    static let kindIVF: UInt8 = 1
    public static let headerSize = 128
    static let headerCRCOffset = 124
    /// Sections start on 64-byte boundaries so the float data (after a 64-multiple .npy header) is
    /// aligned for SIMD loads and for `numpy.memmap`.
    static let alignment = 64
    /// Dimensions above this are refused as implausible (a damaged header must not drive allocations).
    static let maximumDimension = 1 << 16
    /// Inverted lists above this are refused likewise.
    static let maximumLists = 1 << 22

    static func roundUp(_ n: Int) -> Int { (n + alignment - 1) / alignment * alignment }

    static func vectorsNPYHeader(count: Int, dimension: Int) -> [UInt8] {
        NPY.headerBytes(dtype: .float32, shape: [count, dimension])
    }

    static func idsNPYHeader(count: Int) -> [UInt8] { NPY.headerBytes(dtype: .int64, shape: [count]) }

    /// The inverted-list part of an IVF segment: centroids `(nlist, d)` row-major and CSR offsets
    /// (`nlist + 1`, first 0, last N): list l holds rows `offsets[l]..<offsets[l+1]`.
    struct IVFPart {
        var centroids: [Float]
        var offsets: [Int64]
        var nlist: Int { offsets.count - 1 }
    }

    /// Writes a complete segment atomically (temp file, fsync, rename, folder fsync).
    /// `vectors` is row-major `ids.count × dimension`; for IVF, already grouped by list.
    static func write(to url: URL, dimension: Int, metric: Metric, vectors: UnsafeBufferPointer<Float>, ids: [Int64], ivf: IVFPart? = nil) throws {
        precondition(vectors.count == ids.count * dimension, "segment: \(vectors.count) floats for \(ids.count) ids of dimension \(dimension)")
        if let ivf { precondition(ivf.nlist >= 1 && ivf.centroids.count == ivf.nlist * dimension && ivf.offsets.first == 0 && ivf.offsets.last == Int64(ids.count)) }
        var header = SegmentHeader.layout(dimension: dimension, metric: metric, count: ids.count, nlist: ivf?.nlist ?? 0)
        let vHead = vectorsNPYHeader(count: ids.count, dimension: dimension)
        let iHead = idsNPYHeader(count: ids.count)
        let littleIDs = ids.map { $0.littleEndian }
        var crc = CRC32C()
        vHead.withUnsafeBytes { crc.update($0) }
        crc.update(UnsafeRawBufferPointer(vectors))
        header.vectorsCRC = crc.value
        crc = CRC32C()
        iHead.withUnsafeBytes { crc.update($0) }
        littleIDs.withUnsafeBytes { crc.update($0) }
        header.idsCRC = crc.value
        var tail: [UInt8] = []  // IVF: padding, centroids section, padding, list offsets section
        if let ivf {
            let cSection = vectorsNPYHeader(count: ivf.nlist, dimension: dimension) + ivf.centroids.withUnsafeBytes { Array($0) }
            let lSection = idsNPYHeader(count: ivf.nlist + 1) + ivf.offsets.map(\.littleEndian).withUnsafeBytes { Array($0) }
            header.centroidsCRC = CRC32C.checksum(cSection)
            header.listsCRC = CRC32C.checksum(lSection)
            tail += [UInt8](repeating: 0, count: header.centroidsOffset - header.idsOffset - header.idsLength) + cSection
            tail += [UInt8](repeating: 0, count: header.listsOffset - header.centroidsOffset - header.centroidsLength) + lSection
        }
        let padding = [UInt8](repeating: 0, count: header.idsOffset - header.vectorsOffset - header.vectorsLength)
        try AtomicFile.write(to: url, crashLabel: "segment") { fd, path in
            try header.encode().withUnsafeBytes { try AtomicFile.writeAll(fd: fd, $0, path: path) }
            CrashPoints.pass("segment.header-written")
            try vHead.withUnsafeBytes { try AtomicFile.writeAll(fd: fd, $0, path: path) }
            try AtomicFile.writeAll(fd: fd, UnsafeRawBufferPointer(vectors), path: path)
            CrashPoints.pass("segment.vectors-written")
            try padding.withUnsafeBytes { try AtomicFile.writeAll(fd: fd, $0, path: path) }
            try iHead.withUnsafeBytes { try AtomicFile.writeAll(fd: fd, $0, path: path) }
            try littleIDs.withUnsafeBytes { try AtomicFile.writeAll(fd: fd, $0, path: path) }
            try tail.withUnsafeBytes { try AtomicFile.writeAll(fd: fd, $0, path: path) }
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

    /// IVF only: CSR list offsets (`nlist + 1`, read and checked at open: O(nlist)), and the
    /// file offset of the first centroid float.
    let listOffsets: [Int]
    private let centroidsDataStart: Int

    init(path: String) throws {
        file = try Segment.map(path)
        header = try Segment.validate(file.bytes, path: path)
        vectorsDataStart = header.vectorsOffset + SegmentFormat.vectorsNPYHeader(count: header.count, dimension: header.dimension).count
        idsDataStart = header.idsOffset + SegmentFormat.idsNPYHeader(count: header.count).count
        if header.isIVF {
            centroidsDataStart = header.centroidsOffset + SegmentFormat.vectorsNPYHeader(count: header.nlist, dimension: header.dimension).count
            let start = header.listsOffset + SegmentFormat.idsNPYHeader(count: header.nlist + 1).count
            let bytes = file.bytes
            let offsets = (0...header.nlist).map { Int64(littleEndian: bytes.loadUnaligned(fromByteOffset: start + 8 * $0, as: Int64.self)) }
            // Monotone from 0 to N: every list is a valid row range (checked before any search trusts it).
            guard offsets.first == 0, offsets.last == Int64(header.count), zip(offsets, offsets.dropFirst()).allSatisfy({ $0 <= $1 }) else {
                throw VectorIndexError.corrupt(path: path, detail: "the list offsets are not non-decreasing from 0 to the vector count")
            }
            listOffsets = offsets.map { Int($0) }
        } else {
            centroidsDataStart = 0
            listOffsets = []
        }
    }

    var isIVF: Bool { header.isIVF }
    var nlist: Int { header.nlist }

    /// IVF only: row-major `nlist × dimension` centroids inside the mapping.
    var centroids: UnsafeBufferPointer<Float> {
        guard header.isIVF, let base = file.bytes.baseAddress else { return UnsafeBufferPointer(start: nil, count: 0) }
        return UnsafeBufferPointer(start: (base + centroidsDataStart).assumingMemoryBound(to: Float.self), count: header.nlist * header.dimension)
    }

    /// IVF only: the rows of list `l`.
    @inline(__always) func rows(ofList l: Int) -> Range<Int> { listOffsets[l]..<listOffsets[l + 1] }

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
        guard version >= 1 else { throw VectorIndexError.corrupt(path: path, detail: "format version \(version) is not valid") }
        guard u32(12) == SegmentFormat.endiannessMarker else {
            throw VectorIndexError.corrupt(path: path, detail: "endianness marker \(String(u32(12), radix: 16)) (written on a big-endian machine?)")
        }
        let dimension = Int(u32(16))
        guard dimension >= 1, dimension <= SegmentFormat.maximumDimension else { throw VectorIndexError.corrupt(path: path, detail: "dimension \(dimension) is out of range") }
        guard let metric = Metric(code: bytes[20]) else { throw VectorIndexError.corrupt(path: path, detail: "unknown metric code \(bytes[20])") }
        guard bytes[21] == SegmentFormat.elementTypeFloat32 else { throw VectorIndexError.corrupt(path: path, detail: "unknown element type \(bytes[21])") }
        // Version 1 is flat only; version 2 names the kind in byte 22. IVF fields live in v1's reserved bytes.
        let kind = version == 1 ? SegmentFormat.kindFlat : bytes[22]
        guard kind == SegmentFormat.kindFlat || kind == SegmentFormat.kindIVF else { throw VectorIndexError.corrupt(path: path, detail: "unknown segment kind \(bytes[22])") }
        var nlist = 0
        if kind == SegmentFormat.kindIVF {
            let raw = Int(u32(72))
            guard raw >= 1, raw <= SegmentFormat.maximumLists, raw <= size / (4 * dimension + 8) else {
                throw VectorIndexError.corrupt(path: path, detail: "list count \(raw) is out of range for \(size) bytes")
            }
            nlist = raw
        }
        let rawCount = u64(24)
        // The count must fit in the file before any arithmetic uses it.
        guard rawCount <= UInt64(size / (4 * dimension + 8)) else {
            throw VectorIndexError.corrupt(path: path, detail: "vector count \(rawCount) cannot fit in \(size) bytes")
        }
        var expected = SegmentHeader.layout(dimension: dimension, metric: metric, count: Int(rawCount), nlist: nlist)
        expected.vectorsCRC = u32(64)
        expected.idsCRC = u32(68)
        let stored = (u64(32), u64(40), u64(48), u64(56))
        guard stored == (UInt64(expected.vectorsOffset), UInt64(expected.vectorsLength), UInt64(expected.idsOffset), UInt64(expected.idsLength)) else {
            throw VectorIndexError.corrupt(path: path, detail: "section offsets and lengths disagree with the count and dimension")
        }
        if nlist > 0 {
            expected.centroidsCRC = u32(112)
            expected.listsCRC = u32(116)
            guard (u64(80), u64(88), u64(96), u64(104)) == (UInt64(expected.centroidsOffset), UInt64(expected.centroidsLength),
                                                           UInt64(expected.listsOffset), UInt64(expected.listsLength)) else {
                throw VectorIndexError.corrupt(path: path, detail: "centroid or list-offset section offsets disagree with the list count")
            }
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
        if nlist > 0 {
            // Centroids and list offsets are small (O(nlist·d)) and steer every search: checked in full at open.
            let c = UnsafeRawBufferPointer(rebasing: bytes[expected.centroidsOffset..<(expected.centroidsOffset + expected.centroidsLength)])
            guard CRC32C.checksum(c) == expected.centroidsCRC else { throw VectorIndexError.checksumMismatch(path: path, section: "centroids") }
            let l = UnsafeRawBufferPointer(rebasing: bytes[expected.listsOffset..<(expected.listsOffset + expected.listsLength)])
            guard CRC32C.checksum(l) == expected.listsCRC else { throw VectorIndexError.checksumMismatch(path: path, section: "list offsets") }
            let cHead = SegmentFormat.vectorsNPYHeader(count: nlist, dimension: dimension), lHead = SegmentFormat.idsNPYHeader(count: nlist + 1)
            guard Array(c.prefix(cHead.count)) == cHead, Array(l.prefix(lHead.count)) == lHead else {
                throw VectorIndexError.corrupt(path: path, detail: "the centroids or list-offsets section's .npy header is damaged")
            }
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
        guard header.paddingRanges.allSatisfy({ b[$0].allSatisfy { $0 == 0 } }) else {
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
