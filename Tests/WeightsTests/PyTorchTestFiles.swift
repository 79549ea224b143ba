import Foundation
import TestSupport
@testable import Weights

/// Fixtures written by Scripts/reference/make_pt_fixtures.py (torch 2.13 `torch.save`, numpy 2.4.6).
enum PTFixture {
    static func url(_ name: String) -> URL { Fixtures.url("pytorch/\(name)") }
    static func bytes(_ name: String) throws -> [UInt8] { [UInt8](try Data(contentsOf: url(name))) }

    /// Expected keys (after `module.` stripping) and their `.npy` paths, from the expected/<file>/ folder.
    static func expectedKeys(_ name: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: Fixtures.url("pytorch/expected/\(name)").path)
            .filter { $0.hasSuffix(".npy") }.map { String($0.dropLast(4)) }.sorted()
    }

    /// Writes `bytes` to a fresh file in `folder` and opens it.
    static func open(_ bytes: [UInt8], in folder: URL, name: String = "case.pt", verifyPickleChecksum: Bool = true) throws -> PyTorchCheckpoint {
        let url = folder.appendingPathComponent(name)
        try Data(bytes).write(to: url)
        return try PyTorchCheckpoint(contentsOf: url, verifyPickleChecksum: verifyPickleChecksum)
    }
}

/// A minimal ZIP writer (stored entries, classic records) for hand-made checkpoints.
enum TestZip {
    static func le16(_ v: Int) -> [UInt8] { [UInt8(v & 0xFF), UInt8((v >> 8) & 0xFF)] }
    static func le32(_ v: UInt32) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: v >> (8 * $0)) } }
    static func le32(_ v: Int) -> [UInt8] { le32(UInt32(truncatingIfNeeded: v)) }

    static func make(_ entries: [(name: String, data: [UInt8])], method: Int = 0) -> [UInt8] {
        var out: [UInt8] = [], central: [UInt8] = []
        for (name, data) in entries {
            let crc = data.withUnsafeBytes { ZipArchive.crc32($0) }
            let n = Array(name.utf8), offset = out.count
            let common = le16(20) + le16(0) + le16(method) + le16(0) + le16(0) + le32(crc) + le32(data.count) + le32(data.count) + le16(n.count) + le16(0)
            out += le32(0x0403_4b50) + common + n + data
            central += le32(0x0201_4b50) + le16(20) + common + le16(0) + le16(0) + le16(0) + le32(0) + le32(offset) + n
        }
        let cdOffset = out.count
        out += central
        out += le32(0x0605_4b50) + le16(0) + le16(0) + le16(entries.count) + le16(entries.count) + le32(central.count) + le32(cdOffset) + le16(0)
        return out
    }

    /// A torch.save-shaped archive: data.pkl, byteorder, one entry per storage, version.
    static func checkpoint(pickle: [UInt8], storages: [String: [UInt8]] = [:], byteorder: String? = "little", archive: String = "archive") -> [UInt8] {
        var entries: [(name: String, data: [UInt8])] = [("\(archive)/data.pkl", pickle)]
        if let byteorder { entries.append(("\(archive)/byteorder", Array(byteorder.utf8))) }
        entries += storages.sorted { $0.key < $1.key }.map { ("\(archive)/data/\($0.key)", $0.value) }
        entries.append(("\(archive)/version", Array("3\n".utf8)))
        return make(entries)
    }

    static func floats(_ values: [Float]) -> [UInt8] { values.flatMap { le32($0.bitPattern) } }
}

/// Pickle opcodes as torch.save writes them (protocol 2), for hand-made data.pkl files.
enum P {
    static func pickle(_ body: [UInt8]) -> [UInt8] { [0x80, 0x02] + body + [0x2E] }
    static func str(_ s: String) -> [UInt8] { let u = Array(s.utf8); return [0x58] + TestZip.le32(u.count) + u }
    static func int(_ i: Int) -> [UInt8] { [0x4A] + TestZip.le32(UInt32(bitPattern: Int32(i))) }
    static func global(_ module: String, _ name: String) -> [UInt8] { [0x63] + Array("\(module)\n\(name)\n".utf8) }
    static func tuple(_ items: [[UInt8]]) -> [UInt8] { [0x28] + items.flatMap { $0 } + [0x74] }
    static let emptyDict: [UInt8] = [0x7D]
    static func dict(_ items: [([UInt8], [UInt8])]) -> [UInt8] { [0x7D, 0x28] + items.flatMap { $0.0 + $0.1 } + [0x75] }
    static func call(_ callable: [UInt8], _ args: [[UInt8]]) -> [UInt8] { callable + tuple(args) + [0x52] }
    static func storage(_ key: String, type: String = "FloatStorage", numel: Int) -> [UInt8] {
        tuple([str("storage"), global("torch", type), str(key), str("cpu"), int(numel)]) + [0x51]
    }
    static func tensor(_ key: String, type: String = "FloatStorage", numel: Int, offset: Int = 0, size: [Int], stride: [Int]) -> [UInt8] {
        call(global("torch._utils", "_rebuild_tensor_v2"), [
            storage(key, type: type, numel: numel), int(offset), tuple(size.map(int)), tuple(stride.map(int)),
            [0x89], call(global("collections", "OrderedDict"), []),
        ])
    }
    /// `{name: tensor}` over storage "0" holding [1, 2, 3, 4].
    static func stateDict(_ name: String = "w", offset: Int = 0, size: [Int] = [2, 2], stride: [Int] = [2, 1], numel: Int = 4) -> [UInt8] {
        pickle(dict([(str(name), tensor("0", numel: numel, offset: offset, size: size, stride: stride))]))
    }
    static let fourFloats = TestZip.floats([1, 2, 3, 4])
}
