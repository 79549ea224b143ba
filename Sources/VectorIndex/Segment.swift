import Diagnostics
import FileIO
import Foundation
import CVectorKernels
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

/// How a segment stores its vectors (element type byte 21, Docs/IndexFormat.md §3.2).
public enum VectorStorage: String, Sendable, CaseIterable {
    /// `<f4`, exact.
    case float32
    /// `<f2` (IEEE binary16, round to nearest even on write): half the bytes per scan. Searches are
    /// exact over the stored halves; against the float32 input each score moves by at most
    /// `VectorIndex.float16ScoreErrorBound`.
    case float16

    var code: UInt8 { self == .float32 ? 0 : 1 }
    var byteWidth: Int { self == .float32 ? 4 : 2 }
    var descr: String { self == .float32 ? "<f4" : "<f2" }
    init?(code: UInt8) {
        switch code {
        case 0: self = .float32
        case 1: self = .float16
        default: return nil
        }
    }
}

/// SQ8 list codes of an IVF segment (Docs/IndexFormat.md §3.2): component j of a row decodes as
/// `vmin[j] + code·step[j]`, one byte per component. Single queries scan the codes (a quarter of
/// the float32 bytes) for an approximate top `rerank·k`, then re-score those rows exactly against
/// the stored vectors, so every reported score is exact (anchors §3: faiss's IVF-SQ8 plateaus at
/// recall 0.995 because it reports the quantised scores).
struct SQ8Params: Equatable {
    var vmin: [Float]
    var step: [Float]

    /// Per-component range of `vectors` (row-major, `d` wide): min, and (max − min)/255.
    /// Non-finite components are left out of the range (they encode as 0).
    static func train(_ vectors: UnsafeBufferPointer<Float>, dimension d: Int) -> SQ8Params {
        var lo = [Float](repeating: .infinity, count: d), hi = [Float](repeating: -.infinity, count: d)
        let n = d == 0 ? 0 : vectors.count / d
        for r in 0..<n {
            for j in 0..<d {
                let v = vectors[r * d + j]
                if v.isFinite { lo[j] = min(lo[j], v); hi[j] = max(hi[j], v) }
            }
        }
        var p = SQ8Params(vmin: [Float](repeating: 0, count: d), step: [Float](repeating: 0, count: d))
        for j in 0..<d where lo[j] <= hi[j] {
            p.vmin[j] = lo[j]
            let step = (hi[j] - lo[j]) / 255
            p.step[j] = step.isFinite ? step : 0
        }
        return p
    }

    /// One byte per component: round((x − vmin)/step), clamped to 0…255; 0 for a zero step or NaN.
    func encode(_ vectors: UnsafeBufferPointer<Float>, dimension d: Int) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: vectors.count)
        let inv = step.map { $0 > 0 ? 1 / $0 : 0 }
        for i in 0..<vectors.count {
            let j = i % d
            let t = ((vectors[i] - vmin[j]) * inv[j]).rounded()
            out[i] = t.isNaN ? 0 : UInt8(max(0, min(255, t)))
        }
        return out
    }
}

/// The fixed segment header, byte for byte as Docs/IndexFormat.md §3 lists it: 128 bytes in
/// versions 1 and 2, 256 in version 3 (an extension block with its own checksum).
/// All integers are little-endian; every offset is from the start of the file. Flat float32
/// segments are written as version 1 (readable by every reader); IVF float32 ones as version 2,
/// whose extra fields (list count, centroids and list-offset sections) sit in bytes version 1
/// reserved; float16 vectors or SQ8 list codes make version 3, which older readers refuse as newer.
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
    /// Version 3: element type of the vectors section.
    var storage: VectorStorage = .float32
    /// Version 3, IVF only: SQ8 codes `|u1 (N, d)` and their parameters `<f4 (2, d)` (vmin, step).
    var hasSQ8 = false
    var sq8ParamsOffset = 0
    var sq8ParamsLength = 0
    var codesOffset = 0
    var codesLength = 0
    var sq8ParamsCRC: UInt32 = 0
    var codesCRC: UInt32 = 0

    var isIVF: Bool { nlist > 0 }
    var version: Int { storage != .float32 || hasSQ8 ? 3 : (isIVF ? 2 : 1) }
    var headerSize: Int { version >= 3 ? SegmentFormat.extendedHeaderSize : SegmentFormat.headerSize }

    /// The layout a writer produces for `count` vectors of `dimension` (checksums left zero);
    /// `nlist` > 0 adds the centroids `(nlist, d)` and list-offsets `(nlist + 1,)` sections;
    /// `sq8` (IVF only) adds the SQ8 parameters `(2, d)` and codes `(N, d)` sections after them.
    static func layout(dimension: Int, metric: Metric, count: Int, nlist: Int = 0, storage: VectorStorage = .float32, sq8: Bool = false) -> SegmentHeader {
        let start = storage != .float32 || sq8 ? SegmentFormat.extendedHeaderSize : SegmentFormat.headerSize
        let vectorsLength = SegmentFormat.vectorsNPYHeader(count: count, dimension: dimension, storage: storage).count + count * dimension * storage.byteWidth
        let idsOffset = SegmentFormat.roundUp(start + vectorsLength)
        let idsLength = SegmentFormat.idsNPYHeader(count: count).count + count * 8
        var h = SegmentHeader(dimension: dimension, metric: metric, count: count,
                              vectorsOffset: start, vectorsLength: vectorsLength,
                              idsOffset: idsOffset, idsLength: idsLength, vectorsCRC: 0, idsCRC: 0)
        h.storage = storage
        if nlist > 0 {
            h.nlist = nlist
            h.centroidsOffset = SegmentFormat.roundUp(idsOffset + idsLength)
            h.centroidsLength = SegmentFormat.vectorsNPYHeader(count: nlist, dimension: dimension).count + nlist * dimension * 4
            h.listsOffset = SegmentFormat.roundUp(h.centroidsOffset + h.centroidsLength)
            h.listsLength = SegmentFormat.idsNPYHeader(count: nlist + 1).count + (nlist + 1) * 8
            if sq8 {
                h.hasSQ8 = true
                h.sq8ParamsOffset = SegmentFormat.roundUp(h.listsOffset + h.listsLength)
                h.sq8ParamsLength = SegmentFormat.vectorsNPYHeader(count: 2, dimension: dimension).count + 2 * dimension * 4
                h.codesOffset = SegmentFormat.roundUp(h.sq8ParamsOffset + h.sq8ParamsLength)
                h.codesLength = SegmentFormat.codesNPYHeader(count: count, dimension: dimension).count + count * dimension
            }
        }
        return h
    }

    var fileSize: Int { hasSQ8 ? codesOffset + codesLength : (isIVF ? listsOffset + listsLength : idsOffset + idsLength) }

    /// (start, end) of each zero-padded gap between sections.
    var paddingRanges: [Range<Int>] {
        var r = [(vectorsOffset + vectorsLength)..<idsOffset]
        if isIVF { r += [(idsOffset + idsLength)..<centroidsOffset, (centroidsOffset + centroidsLength)..<listsOffset] }
        if hasSQ8 { r += [(listsOffset + listsLength)..<sq8ParamsOffset, (sq8ParamsOffset + sq8ParamsLength)..<codesOffset] }
        return r
    }

    func encode() -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(headerSize)
        func put<T: FixedWidthInteger>(_ v: T) { withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) } }
        out.append(contentsOf: SegmentFormat.magic)                // 0   magic
        put(UInt32(version))                                       // 8   format version
        put(SegmentFormat.endiannessMarker)                        // 12  endianness marker
        put(UInt32(dimension))                                     // 16  dimension
        out.append(metric.code)                                    // 20  metric
        out.append(storage.code)                                   // 21  element type (0 float32, 1 float16 in v3)
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
        if version >= 3 {
            out.append(hasSQ8 ? SegmentFormat.listCodesSQ8 : 0)    // 128 list codes (0 none, 1 SQ8)
            out.append(contentsOf: [UInt8](repeating: 0, count: 7))  // 129 reserved
            put(UInt64(sq8ParamsOffset)); put(UInt64(sq8ParamsLength))  // 136, 144
            put(UInt64(codesOffset)); put(UInt64(codesLength))     // 152, 160
            put(sq8ParamsCRC); put(codesCRC)                       // 168, 172
            out.append(contentsOf: [UInt8](repeating: 0, count: SegmentFormat.extensionCRCOffset - out.count))  // reserved up to 252
            put(CRC32C.checksum(out[SegmentFormat.headerSize...])) // 252 CRC-32C over bytes 128..<252
        }
        precondition(out.count == headerSize)
        return out
    }
}

/// Constants of the segment file format (Docs/IndexFormat.md).
public enum SegmentFormat {
    public static let magic: [UInt8] = Array("AUDIXVEC".utf8)
    /// The newest version this build reads (1 = flat, 2 = adds IVF segments, 3 = adds float16
    /// vectors and SQ8 list codes). Bumped for any change old readers would misread; readers
    /// refuse larger versions.
    public static let version = 3
    /// Written little-endian it reads `0D 0C 0B 0A`; a big-endian writer would produce `0A 0B 0C 0D`.
    static let endiannessMarker: UInt32 = 0x0A0B_0C0D
    static let kindFlat: UInt8 = 0
    static let kindIVF: UInt8 = 1
    static let listCodesSQ8: UInt8 = 1
    public static let headerSize = 128
    /// Version 3 headers: the 128 bytes above plus a 128-byte extension block.
    public static let extendedHeaderSize = 256
    static let headerCRCOffset = 124
    static let extensionCRCOffset = 252
    /// Sections start on 64-byte boundaries so the float data (after a 64-multiple .npy header) is
    /// aligned for SIMD loads and for `numpy.memmap`.
    static let alignment = 64
    /// Dimensions above this are refused as implausible (a damaged header must not drive allocations).
    static let maximumDimension = 1 << 16
    /// Inverted lists above this are refused likewise.
    static let maximumLists = 1 << 22

    static func roundUp(_ n: Int) -> Int { (n + alignment - 1) / alignment * alignment }

    static func vectorsNPYHeader(count: Int, dimension: Int, storage: VectorStorage = .float32) -> [UInt8] {
        NPY.headerBytes(descr: storage.descr, shape: [count, dimension])
    }

    static func idsNPYHeader(count: Int) -> [UInt8] { NPY.headerBytes(dtype: .int64, shape: [count]) }

    static func codesNPYHeader(count: Int, dimension: Int) -> [UInt8] { NPY.headerBytes(descr: "|u1", shape: [count, dimension]) }

    /// The inverted-list part of an IVF segment: centroids `(nlist, d)` row-major and CSR offsets
    /// (`nlist + 1`, first 0, last N): list l holds rows `offsets[l]..<offsets[l+1]`.
    struct IVFPart {
        var centroids: [Float]
        var offsets: [Int64]
        var nlist: Int { offsets.count - 1 }
    }

    /// How the rows of a new segment are stored: the element type, and (IVF only) SQ8 codes.
    struct Encoding: Equatable {
        var storage: VectorStorage = .float32
        var sq8: SQ8Params? = nil
    }

    /// Writes a complete segment atomically (temp file, fsync, rename, folder fsync).
    /// `vectors` is row-major `ids.count × dimension` float32 (converted to `encoding.storage`);
    /// for IVF, already grouped by list.
    static func write(to url: URL, dimension: Int, metric: Metric, vectors: UnsafeBufferPointer<Float>, ids: [Int64], ivf: IVFPart? = nil,
                      encoding: Encoding = .init()) throws {
        precondition(vectors.count == ids.count * dimension, "segment: \(vectors.count) floats for \(ids.count) ids of dimension \(dimension)")
        if let ivf { precondition(ivf.nlist >= 1 && ivf.centroids.count == ivf.nlist * dimension && ivf.offsets.first == 0 && ivf.offsets.last == Int64(ids.count)) }
        precondition(encoding.sq8 == nil || ivf != nil, "SQ8 codes are for IVF segments")
        var header = SegmentHeader.layout(dimension: dimension, metric: metric, count: ids.count, nlist: ivf?.nlist ?? 0,
                                          storage: encoding.storage, sq8: encoding.sq8 != nil)
        let vHead = vectorsNPYHeader(count: ids.count, dimension: dimension, storage: encoding.storage)
        let iHead = idsNPYHeader(count: ids.count)
        let littleIDs = ids.map { $0.littleEndian }
        // Float32 rows are written from the caller's buffer as they are; float16 rows are rounded once here.
        let halves: [UInt16] = encoding.storage == .float16 ? vectors.map { Float16($0).bitPattern.littleEndian } : []
        func withPayload<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
            if encoding.storage == .float16 { return try halves.withUnsafeBytes(body) }
            return try body(UnsafeRawBufferPointer(vectors))
        }
        var crc = CRC32C()
        vHead.withUnsafeBytes { crc.update($0) }
        withPayload { crc.update($0) }
        header.vectorsCRC = crc.value
        crc = CRC32C()
        iHead.withUnsafeBytes { crc.update($0) }
        littleIDs.withUnsafeBytes { crc.update($0) }
        header.idsCRC = crc.value
        var tail: [UInt8] = []  // IVF: padding, centroids section, padding, list offsets section (then SQ8 params and codes)
        if let ivf {
            let cSection = vectorsNPYHeader(count: ivf.nlist, dimension: dimension) + ivf.centroids.withUnsafeBytes { Array($0) }
            let lSection = idsNPYHeader(count: ivf.nlist + 1) + ivf.offsets.map(\.littleEndian).withUnsafeBytes { Array($0) }
            header.centroidsCRC = CRC32C.checksum(cSection)
            header.listsCRC = CRC32C.checksum(lSection)
            tail += [UInt8](repeating: 0, count: header.centroidsOffset - header.idsOffset - header.idsLength) + cSection
            tail += [UInt8](repeating: 0, count: header.listsOffset - header.centroidsOffset - header.centroidsLength) + lSection
            if let sq8 = encoding.sq8 {
                let pSection = vectorsNPYHeader(count: 2, dimension: dimension) + (sq8.vmin + sq8.step).withUnsafeBytes { Array($0) }
                let codes = codesNPYHeader(count: ids.count, dimension: dimension) + sq8.encode(vectors, dimension: dimension)
                header.sq8ParamsCRC = CRC32C.checksum(pSection)
                header.codesCRC = CRC32C.checksum(codes)
                tail += [UInt8](repeating: 0, count: header.sq8ParamsOffset - header.listsOffset - header.listsLength) + pSection
                tail += [UInt8](repeating: 0, count: header.codesOffset - header.sq8ParamsOffset - header.sq8ParamsLength) + codes
            }
        }
        let padding = [UInt8](repeating: 0, count: header.idsOffset - header.vectorsOffset - header.vectorsLength)
        try AtomicFile.write(to: url, crashLabel: "segment") { fd, path in
            try header.encode().withUnsafeBytes { try AtomicFile.writeAll(fd: fd, $0, path: path) }
            CrashPoints.pass("segment.header-written")
            try vHead.withUnsafeBytes { try AtomicFile.writeAll(fd: fd, $0, path: path) }
            try withPayload { try AtomicFile.writeAll(fd: fd, $0, path: path) }
            CrashPoints.pass("segment.vectors-written")
            try padding.withUnsafeBytes { try AtomicFile.writeAll(fd: fd, $0, path: path) }
            try iHead.withUnsafeBytes { try AtomicFile.writeAll(fd: fd, $0, path: path) }
            try littleIDs.withUnsafeBytes { try AtomicFile.writeAll(fd: fd, $0, path: path) }
            try tail.withUnsafeBytes { try AtomicFile.writeAll(fd: fd, $0, path: path) }
        }
    }
}

/// One immutable segment, memory-mapped. Opening reads and checks the header, the small `.npy`
/// headers and (IVF) the list offsets only, so it costs O(nlist) whatever the vector count;
/// `verify()` reads the rest.
final class Segment: @unchecked Sendable {
    let file: MappedFile
    let header: SegmentHeader

    var path: String { file.path }
    var count: Int { header.count }
    var dimension: Int { header.dimension }
    var storage: VectorStorage { header.storage }

    /// File offsets of the first vector element and the first id (after each section's `.npy` header).
    private let vectorsDataStart: Int
    private let idsDataStart: Int

    /// IVF only: CSR list offsets (`nlist + 1`, read and checked at open: O(nlist)), and the
    /// file offset of the first centroid float.
    let listOffsets: [Int]
    private let centroidsDataStart: Int
    /// SQ8 only: parameters (read at open, O(d)) and the file offset of the first code.
    let sq8: SQ8Params?
    private let codesDataStart: Int

    init(path: String) throws {
        file = try Segment.map(path)
        header = try Segment.validate(file.bytes, path: path)
        vectorsDataStart = header.vectorsOffset + SegmentFormat.vectorsNPYHeader(count: header.count, dimension: header.dimension, storage: header.storage).count
        idsDataStart = header.idsOffset + SegmentFormat.idsNPYHeader(count: header.count).count
        let bytes = file.bytes
        if header.isIVF {
            centroidsDataStart = header.centroidsOffset + SegmentFormat.vectorsNPYHeader(count: header.nlist, dimension: header.dimension).count
            let start = header.listsOffset + SegmentFormat.idsNPYHeader(count: header.nlist + 1).count
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
        if header.hasSQ8 {
            let d = header.dimension
            let p = header.sq8ParamsOffset + SegmentFormat.vectorsNPYHeader(count: 2, dimension: d).count
            let values = (0..<(2 * d)).map { Float(bitPattern: UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: p + 4 * $0, as: UInt32.self))) }
            sq8 = SQ8Params(vmin: Array(values[0..<d]), step: Array(values[d...]))
            codesDataStart = header.codesOffset + SegmentFormat.codesNPYHeader(count: header.count, dimension: d).count
        } else {
            sq8 = nil
            codesDataStart = 0
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

    /// Float32 storage: row-major `count × dimension` floats, 64-byte aligned inside the mapping
    /// (empty for float16 storage: use `halfVectors`, `floatRows` or `floatVectors()`).
    var vectors: UnsafeBufferPointer<Float> {
        guard header.count > 0, header.storage == .float32, let base = file.bytes.baseAddress else { return UnsafeBufferPointer(start: nil, count: 0) }
        return UnsafeBufferPointer(start: (base + vectorsDataStart).assumingMemoryBound(to: Float.self), count: header.count * header.dimension)
    }

    /// Float16 storage: row-major `count × dimension` binary16 bit patterns (empty otherwise).
    var halfVectors: UnsafeBufferPointer<UInt16> {
        guard header.count > 0, header.storage == .float16, let base = file.bytes.baseAddress else { return UnsafeBufferPointer(start: nil, count: 0) }
        return UnsafeBufferPointer(start: (base + vectorsDataStart).assumingMemoryBound(to: UInt16.self), count: header.count * header.dimension)
    }

    /// The stored vector bytes, whatever the element type (the bandwidth baseline reads these).
    var vectorBytes: UnsafeRawBufferPointer {
        guard header.count > 0, let base = file.bytes.baseAddress else { return UnsafeRawBufferPointer(start: nil, count: 0) }
        return UnsafeRawBufferPointer(start: base + vectorsDataStart, count: header.count * header.dimension * header.storage.byteWidth)
    }

    /// SQ8 only: row-major `count × dimension` codes.
    var codes: UnsafeBufferPointer<UInt8> {
        guard header.count > 0, header.hasSQ8, let base = file.bytes.baseAddress else { return UnsafeBufferPointer(start: nil, count: 0) }
        return UnsafeBufferPointer(start: (base + codesDataStart).assumingMemoryBound(to: UInt8.self), count: header.count * header.dimension)
    }

    /// Rows `range` as float32: a pointer into the mapping for float32 storage, else converted
    /// (exactly) into `scratch`, which must hold `range.count × dimension` floats.
    func floatRows(_ range: Range<Int>, scratch: UnsafeMutablePointer<Float>) -> UnsafePointer<Float> {
        let d = header.dimension
        switch header.storage {
        case .float32: return UnsafePointer(vectors.baseAddress! + range.lowerBound * d)
        case .float16:
            avk_f16_to_f32(halfVectors.baseAddress! + range.lowerBound * d, scratch, range.count * d)
            return UnsafePointer(scratch)
        }
    }

    /// Every stored vector as float32 (exact conversion for float16).
    func floatVectors() -> [Float] {
        guard header.count > 0 else { return [] }
        return [Float](unsafeUninitializedCapacity: header.count * header.dimension) { buf, n in
            let p = floatRows(0..<header.count, scratch: buf.baseAddress!)
            if p != UnsafePointer(buf.baseAddress!) { buf.baseAddress!.update(from: p, count: buf.count) }
            n = buf.count
        }
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
        // Versions 1 and 2 store float32 only; version 3 names float32 or float16.
        guard let storage = VectorStorage(code: bytes[21]), version >= 3 || storage == .float32 else {
            throw VectorIndexError.corrupt(path: path, detail: "unknown element type \(bytes[21])")
        }
        // Version 1 is flat only; version 2 names the kind in byte 22. IVF fields live in v1's reserved bytes.
        let kind = version == 1 ? SegmentFormat.kindFlat : bytes[22]
        guard kind == SegmentFormat.kindFlat || kind == SegmentFormat.kindIVF else { throw VectorIndexError.corrupt(path: path, detail: "unknown segment kind \(bytes[22])") }
        var sq8 = false
        if version >= 3 {
            guard size >= SegmentFormat.extendedHeaderSize else {
                throw VectorIndexError.wrongSize(path: path, expected: SegmentFormat.extendedHeaderSize, actual: size)
            }
            let ext = UnsafeRawBufferPointer(rebasing: bytes[SegmentFormat.headerSize..<SegmentFormat.extensionCRCOffset])
            guard CRC32C.checksum(ext) == u32(SegmentFormat.extensionCRCOffset) else {
                throw VectorIndexError.corrupt(path: path, detail: "header extension checksum mismatch")
            }
            switch bytes[128] {
            case 0: break
            case SegmentFormat.listCodesSQ8 where kind == SegmentFormat.kindIVF: sq8 = true
            default: throw VectorIndexError.corrupt(path: path, detail: "unknown list codes \(bytes[128]) for a segment of kind \(kind)")
            }
            // A version-3 header names something version 2 cannot say; otherwise it would be written as 1 or 2.
            guard storage != .float32 || sq8 else { throw VectorIndexError.corrupt(path: path, detail: "a version 3 header with nothing of version 3") }
        }
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
        guard rawCount <= UInt64(size / (storage.byteWidth * dimension + 8)) else {
            throw VectorIndexError.corrupt(path: path, detail: "vector count \(rawCount) cannot fit in \(size) bytes")
        }
        var expected = SegmentHeader.layout(dimension: dimension, metric: metric, count: Int(rawCount), nlist: nlist, storage: storage, sq8: sq8)
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
        if version >= 3 {
            expected.sq8ParamsCRC = u32(168)
            expected.codesCRC = u32(172)
            guard (u64(136), u64(144), u64(152), u64(160)) == (UInt64(expected.sq8ParamsOffset), UInt64(expected.sq8ParamsLength),
                                                             UInt64(expected.codesOffset), UInt64(expected.codesLength)) else {
                throw VectorIndexError.corrupt(path: path, detail: "SQ8 section offsets disagree with the count and dimension")
            }
        }
        guard size == expected.fileSize else { throw VectorIndexError.wrongSize(path: path, expected: expected.fileSize, actual: size) }
        func npyHeader(_ offset: Int, _ head: [UInt8], _ what: String) throws {
            guard Array(bytes[offset..<(offset + head.count)]) == head else {
                throw VectorIndexError.corrupt(path: path, detail: "the \(what) section's .npy header is damaged")
            }
        }
        try npyHeader(expected.vectorsOffset, SegmentFormat.vectorsNPYHeader(count: expected.count, dimension: dimension, storage: storage), "vectors")
        try npyHeader(expected.idsOffset, SegmentFormat.idsNPYHeader(count: expected.count), "ids")
        if nlist > 0 {
            // The list offsets are small (O(nlist)) and bound every row range a search reads: checksummed
            // at open. The centroids (O(nlist·d)) are not: they only rank lists, and a search over damaged
            // centroids is exactly what the reference twin computes over the same bytes; `verify` checks them.
            let l = UnsafeRawBufferPointer(rebasing: bytes[expected.listsOffset..<(expected.listsOffset + expected.listsLength)])
            guard CRC32C.checksum(l) == expected.listsCRC else { throw VectorIndexError.checksumMismatch(path: path, section: "list offsets") }
            try npyHeader(expected.centroidsOffset, SegmentFormat.vectorsNPYHeader(count: nlist, dimension: dimension), "centroids")
            try npyHeader(expected.listsOffset, SegmentFormat.idsNPYHeader(count: nlist + 1), "list-offsets")
        }
        if sq8 {
            // SQ8 parameters (O(d)) are checksummed at open like the list offsets; codes (O(N·d)) by `verify`.
            let p = UnsafeRawBufferPointer(rebasing: bytes[expected.sq8ParamsOffset..<(expected.sq8ParamsOffset + expected.sq8ParamsLength)])
            guard CRC32C.checksum(p) == expected.sq8ParamsCRC else { throw VectorIndexError.checksumMismatch(path: path, section: "SQ8 parameters") }
            try npyHeader(expected.sq8ParamsOffset, SegmentFormat.vectorsNPYHeader(count: 2, dimension: dimension), "SQ8 parameters")
            try npyHeader(expected.codesOffset, SegmentFormat.codesNPYHeader(count: expected.count, dimension: dimension), "SQ8 codes")
        }
        return expected
    }

    /// Reads every byte: every section checksum (vectors, ids, centroids, list offsets, SQ8
    /// parameters and codes) and the zero padding.
    func verify() throws {
        let b = file.bytes
        func check(_ offset: Int, _ length: Int, _ crc: UInt32, _ section: String) throws {
            guard CRC32C.checksum(UnsafeRawBufferPointer(rebasing: b[offset..<(offset + length)])) == crc else {
                throw VectorIndexError.checksumMismatch(path: path, section: section)
            }
        }
        try check(header.vectorsOffset, header.vectorsLength, header.vectorsCRC, "vectors")
        try check(header.idsOffset, header.idsLength, header.idsCRC, "ids")
        if header.isIVF {
            try check(header.centroidsOffset, header.centroidsLength, header.centroidsCRC, "centroids")
            try check(header.listsOffset, header.listsLength, header.listsCRC, "list offsets")
        }
        if header.hasSQ8 {
            try check(header.sq8ParamsOffset, header.sq8ParamsLength, header.sq8ParamsCRC, "SQ8 parameters")
            try check(header.codesOffset, header.codesLength, header.codesCRC, "SQ8 codes")
        }
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
