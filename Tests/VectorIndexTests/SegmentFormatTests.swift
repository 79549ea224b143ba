import FileIO
import Foundation
import NumPyFormat
import Testing
import TestSupport
@testable import VectorIndex

@Suite("Segment file format (Docs/IndexFormat.md §3)")
struct SegmentFormatTests {
    @Test("CRC-32C gives the RFC 3720 check value, in one piece and in odd-sized chunks")
    func crcCheckValue() {
        #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
        var rng = SeededGenerator(state: 5)
        let bytes = (0..<1000).map { _ in UInt8.random(in: 0...255, using: &rng) }
        var c = CRC32C()
        bytes[0..<3].withUnsafeBytes { c.update($0) }
        bytes[3..<517].withUnsafeBytes { c.update($0) }
        bytes[517...].withUnsafeBytes { c.update($0) }
        // Bitwise reference: the polynomial applied one bit at a time.
        var slow: UInt32 = 0xFFFF_FFFF
        for b in bytes {
            slow ^= UInt32(b)
            for _ in 0..<8 { slow = (slow & 1) != 0 ? (slow >> 1) ^ 0x82F6_3B78 : slow >> 1 }
        }
        #expect(c.value == ~slow)
    }

    @Test("a written segment matches the documented header byte by byte")
    func headerBytes() throws {
        let dir = try TemporaryFolder()
        let url = dir.url.appendingPathComponent("idx")
        let vectors: [Float] = [1, 2, 3, -0.5, 0.25, 8]
        try VectorIndexWriter.build(directory: url, dimension: 3, metric: .l2, vectors: vectors, ids: [40, 7])
        let b = [UInt8](try Data(contentsOf: url.appendingPathComponent("seg-1.vseg")))
        #expect(Array(b[0..<8]) == [0x41, 0x55, 0x44, 0x49, 0x58, 0x56, 0x45, 0x43])  // "AUDIXVEC"
        #expect(Array(b[8..<12]) == [1, 0, 0, 0])                                     // version 1
        #expect(Array(b[12..<16]) == [0x0D, 0x0C, 0x0B, 0x0A])                        // endianness marker
        #expect(Array(b[16..<20]) == [3, 0, 0, 0])                                    // dimension
        #expect(b[20] == 1 && b[21] == 0 && b[22] == 0 && b[23] == 0)                 // l2, float32, reserved
        #expect(Array(b[24..<32]) == [2, 0, 0, 0, 0, 0, 0, 0])                        // count
        // .npy header for shape (2, 3) is 128 bytes (NumPy pads to 64): vectors 128 + 24 bytes.
        #expect(Array(b[32..<40]) == [128, 0, 0, 0, 0, 0, 0, 0])
        #expect(Array(b[40..<48]) == [152, 0, 0, 0, 0, 0, 0, 0])
        #expect(Array(b[48..<56]) == [0x40, 1, 0, 0, 0, 0, 0, 0])                     // 320 = roundUp(280, 64)
        #expect(Array(b[56..<64]) == [144, 0, 0, 0, 0, 0, 0, 0])                      // 128 + 16
        #expect(b.count == 464)
        #expect(DocumentedSegment.u32(b, 64) == CRC32C.checksum(b[128..<280]))
        #expect(DocumentedSegment.u32(b, 68) == CRC32C.checksum(b[320..<464]))
        #expect(b[72..<124].allSatisfy { $0 == 0 })
        #expect(DocumentedSegment.u32(b, 124) == CRC32C.checksum(b[0..<124]))
        #expect(b[280..<320].allSatisfy { $0 == 0 })                                   // padding
        // Each section is a complete .npy image that NumPy's format reads as it is.
        let v = try Array(b[128..<280]).withUnsafeBytes { try NPY.decode($0, path: "vectors") }
        #expect(v == NPYArray(shape: [2, 3], float32: vectors))
        let i = try Array(b[320..<464]).withUnsafeBytes { try NPY.decode($0, path: "ids") }
        #expect(i == NPYArray(shape: [2], int64: [40, 7]))
        #expect(Array(b[256..<260]) == [0, 0, 0x80, 0x3F])                             // 1.0f at the 64-aligned data start
        let doc = try #require(DocumentedSegment(b))
        #expect(doc.vectors == vectors && doc.ids == [40, 7] && doc.metric == 1 && doc.dimension == 3)
    }

    @Test("the NumPy snippet in Docs/IndexFormat.md reads a segment written here")
    func pythonSnippet() throws {
        // CI points AUDIO_INDEX_PYTHON at its venv (numpy + faiss); locally the reference venv.
        let dir = try TemporaryFolder()
        let url = dir.url.appendingPathComponent("idx")
        var rng = SeededGenerator(state: 11)
        let vectors = rng.unitVectors(5, 7)
        try VectorIndexWriter.build(directory: url, dimension: 7, metric: .ip, vectors: vectors, ids: [9, 8, 7, 100, 3])
        guard let run = try runFormatDocSnippet("""

            import sys
            m, v, i = read_segment(sys.argv[1])
            print(m, v.shape, list(map(int, i)), float(np.float64(v.astype('<f8').sum())).hex())
            """, arguments: [url.appendingPathComponent("seg-1.vseg").path]) else { return }
        #expect(run.status == 0)
        let text = run.output
        let sum = vectors.reduce(0.0) { $0 + Double($1) }
        // NumPy's pairwise float64 sum and this sequential one may differ in the last bits.
        #expect(text.hasPrefix("ip (5, 7) [9, 8, 7, 100, 3] "))
        let hex = text.split(separator: " ").last.map { String($0).trimmingCharacters(in: .whitespacesAndNewlines) } ?? ""
        let value = try #require(Double(hex))
        #expect(abs(value - sum) < 1e-9)
    }

    @Test("a newer format version is refused as unsupported, before the checksum is trusted")
    func newerVersion() throws {
        let dir = try TemporaryFolder()
        let url = dir.url.appendingPathComponent("idx")
        try VectorIndexWriter.build(directory: url, dimension: 2, metric: .ip, vectors: [1, 0, 0, 1])
        let seg = url.appendingPathComponent("seg-1.vseg")
        var b = [UInt8](try Data(contentsOf: seg))
        b[8] = 4
        let crc = CRC32C.checksum(b[0..<124])
        withUnsafeBytes(of: crc.littleEndian) { b.replaceSubrange(124..<128, with: $0) }
        try Data(b).write(to: seg)
        #expect(throws: VectorIndexError.newerVersion(path: seg.path, version: 4)) { try VectorIndex.open(directory: url) }
        #expect(VectorIndexError.newerVersion(path: seg.path, version: 4).exitCode == .unsupported)
    }

    @Test("verify finds a flipped payload byte that open does not read")
    func verifyFindsPayloadDamage() throws {
        let dir = try TemporaryFolder()
        let url = dir.url.appendingPathComponent("idx")
        var rng = SeededGenerator(state: 3)
        try VectorIndexWriter.build(directory: url, dimension: 4, metric: .ip, vectors: rng.unitVectors(10, 4))
        try VectorIndex.open(directory: url).verify()
        let seg = url.appendingPathComponent("seg-1.vseg")
        var b = [UInt8](try Data(contentsOf: seg))
        b[256 + 17] ^= 0x10
        try Data(b).write(to: seg)
        let index = try VectorIndex.open(directory: url)
        #expect(throws: VectorIndexError.checksumMismatch(path: seg.path, section: "vectors")) { try index.verify() }
    }
}

