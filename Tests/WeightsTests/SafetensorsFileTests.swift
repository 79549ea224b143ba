import Diagnostics
import Foundation
import NumPyFormat
import Testing
import TestSupport
@testable import Weights

/// Fixtures written by Scripts/reference/make_weights_fixtures.py (safetensors 0.8.0, numpy 2.4.6).
enum WeightsFixture {
    static let url = Fixtures.url("weights/mixed.safetensors")
    static let keys = ["bn.num_batches_tracked", "encoder.b", "encoder.h", "encoder.relative_position_index",
                       "encoder.w", "scale"]
    static func bytes() throws -> [UInt8] { [UInt8](try Data(contentsOf: url)) }

    /// A file from a header (padded with spaces to 8 bytes, as the reference writer does) and a payload.
    static func file(header: String, payload: [UInt8]) -> [UInt8] {
        var json = [UInt8](header.utf8)
        while json.count % 8 != 0 { json.append(0x20) }
        return littleEndian(UInt64(json.count)) + json + payload
    }

    static func littleEndian(_ v: UInt64) -> [UInt8] { (0..<8).map { UInt8(truncatingIfNeeded: v >> (8 * $0)) } }

    /// Writes `bytes` to a fresh file in `folder` and opens it.
    static func open(_ bytes: [UInt8], in folder: URL, name: String = "case.safetensors") throws -> SafetensorsFile {
        let url = folder.appendingPathComponent(name)
        try Data(bytes).write(to: url)
        return try SafetensorsFile(contentsOf: url)
    }
}

@Suite("SafetensorsFile")
struct SafetensorsFileTests {
    @Test("every tensor decodes to exactly the float32 bits numpy's conversion gives (F32, F16 and BF16 incl. subnormal, ±inf, nan)")
    func valuesMatchReference() throws {
        let file = try SafetensorsFile(contentsOf: WeightsFixture.url)
        #expect(file.keys == WeightsFixture.keys)
        for key in WeightsFixture.keys {
            let expected = try Fixtures.npy("weights/expected_\(key).npy")
            #expect(file.shape(key) == expected.shape, "\(key)")
            let ours = try file.float32(key)
            let reference = try #require(expected.float32Values())
            #expect(ours.map(\.bitPattern) == reference.map(\.bitPattern), "\(key): \(ours) vs \(reference)")
        }
        #expect(file.tensors["encoder.h"]?.dtype == .f16)
        #expect(file.tensors["encoder.b"]?.dtype == .bf16)
        #expect(file.tensors["encoder.w"]?.dtype == .f32)
    }

    @Test("a 0-d scalar has shape [] and one value; __metadata__ is kept as strings")
    func scalarAndMetadata() throws {
        let file = try SafetensorsFile(contentsOf: WeightsFixture.url)
        #expect(file.shape("scale") == [])
        #expect(try file.float32("scale") == [0.125])
        #expect(file.metadata == ["format": "pt", "note": "audio-index weights fixture"])
        #expect(file.shape("absent") == nil)
        #expect(throws: WeightsError.missingTensor(key: "absent", file: WeightsFixture.url.path)) { try file.float32("absent") }
    }

    @Test("zero-element tensors and an empty header are valid")
    func emptyTensors() throws {
        let folder = try Fixtures.temporaryFolder("weights")
        defer { try? FileManager.default.removeItem(at: folder) }
        let empty = try WeightsFixture.open(WeightsFixture.file(header: "{}", payload: []), in: folder)
        #expect(empty.keys.isEmpty)
        let zero = try WeightsFixture.open(WeightsFixture.file(
            header: #"{"z":{"dtype":"F16","shape":[0,3],"data_offsets":[0,0]},"a":{"dtype":"BF16","shape":[1],"data_offsets":[0,2]}}"#,
            payload: [0x80, 0x3F]), in: folder, name: "zero.safetensors")
        #expect(try zero.float32("z") == [])
        #expect(try zero.float32("a") == [1.0])
    }

    /// Malformed inputs, each built here by mutating bytes; every one must be a typed error naming the file.
    static let malformed: [(name: String, bytes: @Sendable () throws -> [UInt8], kind: String)] = [
        ("empty file", { [] }, "corrupt"),
        ("shorter than the length field", { [1, 0, 0] }, "corrupt"),
        ("header length past EOF", {
            var b = try WeightsFixture.bytes()
            b.replaceSubrange(0..<8, with: WeightsFixture.littleEndian(UInt64(b.count)))
            return b
        }, "corrupt"),
        ("4 GB header length", {
            var b = try WeightsFixture.bytes()
            b.replaceSubrange(0..<8, with: WeightsFixture.littleEndian(1 << 32))
            return b
        }, "corrupt"),
        ("header length 2^64-1", {
            var b = try WeightsFixture.bytes()
            b.replaceSubrange(0..<8, with: [UInt8](repeating: 0xFF, count: 8))
            return b
        }, "corrupt"),
        ("bad JSON", { WeightsFixture.file(header: #"{"a":{"dtype":"F32","#, payload: []) }, "corrupt"),
        ("JSON array, not object", { WeightsFixture.file(header: "[1,2]", payload: []) }, "corrupt"),
        ("offsets past the end", {
            WeightsFixture.file(header: #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#, payload: [0, 0, 0, 0])
        }, "corrupt"),
        ("overlapping tensors", {
            WeightsFixture.file(header: #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#,
                                payload: [UInt8](repeating: 0, count: 12))
        }, "corrupt"),
        ("gap between tensors", {
            WeightsFixture.file(header: #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}"#,
                                payload: [UInt8](repeating: 0, count: 12))
        }, "corrupt"),
        ("trailing bytes after the last tensor", {
            WeightsFixture.file(header: #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#, payload: [UInt8](repeating: 0, count: 6))
        }, "corrupt"),
        ("wrong byte length", {
            WeightsFixture.file(header: #"{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}"#, payload: [UInt8](repeating: 0, count: 8))
        }, "corrupt"),
        ("decreasing offsets", {
            WeightsFixture.file(header: #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,0]}}"#, payload: [UInt8](repeating: 0, count: 4))
        }, "corrupt"),
        ("three offsets", {
            WeightsFixture.file(header: #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4,8]}}"#, payload: [UInt8](repeating: 0, count: 4))
        }, "corrupt"),
        ("negative dimension", {
            WeightsFixture.file(header: #"{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}"#, payload: [UInt8](repeating: 0, count: 4))
        }, "corrupt"),
        ("shape product overflows", {
            WeightsFixture.file(header: #"{"a":{"dtype":"F32","shape":[9223372036854775807,4],"data_offsets":[0,4]}}"#, payload: [0, 0, 0, 0])
        }, "corrupt"),
        ("offset beyond Int64", {
            WeightsFixture.file(header: #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,99999999999999999999]}}"#, payload: [0, 0, 0, 0])
        }, "corrupt"),
        ("fractional dimension", {
            WeightsFixture.file(header: #"{"a":{"dtype":"F32","shape":[1.5],"data_offsets":[0,4]}}"#, payload: [0, 0, 0, 0])
        }, "corrupt"),
        ("missing dtype", {
            WeightsFixture.file(header: #"{"a":{"shape":[1],"data_offsets":[0,4]}}"#, payload: [0, 0, 0, 0])
        }, "corrupt"),
        ("non-string metadata", {
            WeightsFixture.file(header: #"{"__metadata__":{"n":1}}"#, payload: [])
        }, "corrupt"),
        ("unknown dtype", {
            WeightsFixture.file(header: #"{"a":{"dtype":"F64","shape":[1],"data_offsets":[0,8]}}"#, payload: [UInt8](repeating: 0, count: 8))
        }, "unsupported"),
        ("truncated payload", { Array(try WeightsFixture.bytes().dropLast(2)) }, "corrupt"),
        ("truncated inside the header", { Array(try WeightsFixture.bytes().prefix(40)) }, "corrupt"),
    ]

    @Test("every malformed file is a typed error naming the file, never a crash", arguments: 0..<malformed.count)
    func malformedFiles(index: Int) throws {
        let c = Self.malformed[index]
        let folder = try Fixtures.temporaryFolder("weights")
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("bad.safetensors")
        do {
            _ = try WeightsFixture.open(try c.bytes(), in: folder, name: "bad.safetensors")
            Issue.record("\(c.name): opened without error")
        } catch let e as WeightsError {
            #expect(e.subject == url.path, "\(c.name)")
            switch (e, c.kind) {
            case (.corrupt, "corrupt"):
                #expect(e.exitCode == .corrupt)
            case (.unsupportedDType(_, let key, let dtype), "unsupported"):
                #expect(key == "a" && dtype == "F64")
                #expect(e.exitCode == .unsupported)
                #expect(ErrorReport.line(for: e).contains("tensor 'a' has dtype F64"))
            default:
                Issue.record("\(c.name): unexpected error \(e)")
            }
        }
    }

    @Test("specific corrupt messages say what is wrong")
    func corruptMessages() throws {
        let folder = try Fixtures.temporaryFolder("weights")
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("bad.safetensors").path
        var b = try WeightsFixture.bytes()
        b.replaceSubrange(0..<8, with: WeightsFixture.littleEndian(1 << 32))
        #expect(throws: WeightsError.corrupt(file: path, detail: "header length 4294967296 is larger than the 100000000-byte limit")) {
            _ = try WeightsFixture.open(b, in: folder, name: "bad.safetensors")
        }
        #expect(throws: WeightsError.corrupt(file: path, detail: "tensor 'b' at bytes 4..<12 overlaps the tensor before it (which ends at 8)")) {
            _ = try WeightsFixture.open(WeightsFixture.file(
                header: #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#,
                payload: [UInt8](repeating: 0, count: 12)), in: folder, name: "bad.safetensors")
        }
        #expect(throws: WeightsError.corrupt(file: path, detail: "tensor 'a': F32 shape [3] needs 12 bytes, data_offsets give 8")) {
            _ = try WeightsFixture.open(WeightsFixture.file(
                header: #"{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}"#,
                payload: [UInt8](repeating: 0, count: 8)), in: folder, name: "bad.safetensors")
        }
    }

    @Test("a missing path and a directory are input errors, not corrupt files")
    func notFiles() throws {
        let folder = try Fixtures.temporaryFolder("weights")
        defer { try? FileManager.default.removeItem(at: folder) }
        let missing = folder.appendingPathComponent("absent.safetensors")
        #expect(throws: WeightsError.cannotOpen(file: missing.path, errno: ENOENT)) { _ = try SafetensorsFile(contentsOf: missing) }
        #expect(WeightsError.cannotOpen(file: missing.path, errno: ENOENT).exitCode == .badInput)
        #expect(throws: WeightsError.notARegularFile(file: folder.path)) { _ = try SafetensorsFile(contentsOf: folder) }
    }

    @Test("seeded mutation fuzz: 2,000 damaged copies of a valid file each open with a WeightsError or decode every tensor")
    func mutationFuzz() throws {
        let original = try WeightsFixture.bytes()
        let headerEnd = 8 + Int(original[0]) + Int(original[1]) << 8
        let folder = try Fixtures.temporaryFolder("weights-fuzz")
        defer { try? FileManager.default.removeItem(at: folder) }
        var rng = SeededGenerator(state: 20261127)
        var opened = 0, refused = 0
        for i in 0..<2000 {
            var b = original
            for _ in 0..<Int.random(in: 1...3, using: &rng) {
                switch Int.random(in: 0..<10, using: &rng) {
                case 0..<5:  // a byte of the JSON header (digits, quotes, brackets matter most)
                    let at = Int.random(in: 8..<min(headerEnd, b.count), using: &rng)
                    let pool: [UInt8] = Array("0123456789[]{},:\"-. ".utf8) + [UInt8.random(in: 0...255, using: &rng)]
                    b[at] = pool.randomElement(using: &rng)!
                case 5: b[Int.random(in: 0..<8, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
                case 6: b = Array(b.prefix(Int.random(in: 0..<b.count, using: &rng)))
                case 7: b.append(contentsOf: (0..<Int.random(in: 1...9, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) })
                default:  // payload bytes: always valid bit patterns, must still decode
                    if b.count > headerEnd { b[Int.random(in: headerEnd..<b.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng) }
                }
                if b.count < 9 { break }
            }
            do {
                let file = try WeightsFixture.open(b, in: folder, name: "case-\(i).safetensors")
                for key in file.keys {
                    let values = try file.float32(key)
                    #expect(values.count == file.shape(key)!.reduce(1, *))
                }
                opened += 1
            } catch is WeightsError {
                refused += 1
            }
            try? FileManager.default.removeItem(at: folder.appendingPathComponent("case-\(i).safetensors"))
        }
        #expect(opened + refused == 2000)
        #expect(opened > 100 && refused > 100, "opened \(opened), refused \(refused)")
    }
}
