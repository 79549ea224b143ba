import Foundation
import Testing
import TestSupport
@testable import NumPyFormat

@Suite("NPY reading and writing")
struct NPYTests {
    @Test("float32, float64 and int64 round-trip through encode/decode with shape and bits intact")
    func roundTrip() throws {
        let arrays = [
            NPYArray(shape: [2, 3], float32: [1, -2.5, .infinity, -0.0, .leastNonzeroMagnitude, 3.4e38]),
            NPYArray(shape: [4], float64: [0.1, -1e-300, .pi, -7]),
            NPYArray(shape: [1, 2, 2], int64: [Int64.min, -1, 0, Int64.max]),
            NPYArray(shape: [], float32: [42]),
            NPYArray(shape: [0, 512], float32: []),
        ]
        for array in arrays {
            let bytes = NPY.encode(array)
            let decoded = try bytes.withUnsafeBytes { try NPY.decode($0, path: "mem") }
            #expect(decoded.shape == array.shape)
            switch (decoded.storage, array.storage) {
            case (.float32(let a), .float32(let b)): #expect(a.map(\.bitPattern) == b.map(\.bitPattern))
            case (.float64(let a), .float64(let b)): #expect(a.map(\.bitPattern) == b.map(\.bitPattern))
            case (.int64(let a), .int64(let b)): #expect(a == b)
            default: Issue.record("dtype changed")
            }
        }
    }

    @Test("header is version 1.0 and the payload starts on a 64-byte boundary, as NumPy writes it")
    func headerLayout() throws {
        let bytes = NPY.encode(NPYArray(shape: [3, 2], float32: [Float](repeating: 0, count: 6)))
        #expect(Array(bytes[0..<8]) == [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0])
        let headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
        #expect((10 + headerLength) % 64 == 0)
        let header = String(decoding: bytes[10..<(10 + headerLength)], as: UTF8.self)
        #expect(header.hasPrefix("{'descr': '<f4', 'fortran_order': False, 'shape': (3, 2), }"))
        #expect(header.hasSuffix("\n"))
        #expect(bytes.count == 10 + headerLength + 24)
    }

    @Test("a file written by numpy.save (bytes committed verbatim) decodes")
    func numpyWritten() throws {
        // numpy.save(f, numpy.arange(6, dtype='<f8').reshape(2, 3)) from NumPy 2.x.
        var bytes: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0, 118, 0]
        var header = "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }"
        header += String(repeating: " ", count: 118 - header.utf8.count - 1) + "\n"
        bytes += Array(header.utf8)
        for v in 0..<6 { withUnsafeBytes(of: Double(v).bitPattern.littleEndian) { bytes += $0 } }
        let array = try bytes.withUnsafeBytes { try NPY.decode($0, path: "x.npy") }
        #expect(array.shape == [2, 3])
        #expect(array.float64Values() == [0, 1, 2, 3, 4, 5])
    }

    @Test("bad files throw errors naming the file, never crash")
    func malformed() throws {
        let good = NPY.encode(NPYArray(shape: [4], float32: [1, 2, 3, 4]))
        func decode(_ b: [UInt8]) throws -> NPYArray { try b.withUnsafeBytes { try NPY.decode($0, path: "bad.npy") } }
        #expect(throws: NPYError.notNPY(path: "bad.npy")) { try decode(Array("hello world".utf8)) }
        #expect(throws: NPYError.self) { try decode(Array(good.dropLast(1))) }
        #expect(throws: NPYError.self) { try decode(Array(good.prefix(20))) }
        for cut in 0..<good.count {  // every truncation point is an error, not a crash
            #expect(throws: (any Error).self) { try decode(Array(good.prefix(cut))) }
        }
        var bigEndian = good
        if let r = bigEndian.firstIndex(of: UInt8(ascii: "<")) { bigEndian[r] = UInt8(ascii: ">") }
        #expect(throws: NPYError.unsupportedDType(path: "bad.npy", descr: ">f4")) { try decode(bigEndian) }
        do {
            _ = try decode(bigEndian)
        } catch let e as NPYError {
            #expect(e.description.hasPrefix("bad.npy: unsupported .npy dtype '>f4'"))
        }
        // A shape whose byte count overflows must not allocate.
        var huge = [UInt8](NPY.magic) + [1, 0]
        let h = "{'descr': '<f4', 'fortran_order': False, 'shape': (9223372036854775807, 4), }\n"
        huge += [UInt8(h.utf8.count), 0] + Array(h.utf8)
        #expect(throws: NPYError.self) { try decode(huge) }
    }

    @Test("write is atomic and readable back from disk")
    func writeRead() throws {
        let folder = try Fixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("a.npy")
        let array = NPYArray(shape: [2, 2], int64: [1, 2, 3, 4])
        try NPY.write(array, to: url)
        #expect(try NPY.read(contentsOf: url) == array)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: folder.path)
        #expect(leftovers == ["a.npy"])
    }
}
