import Foundation
import Testing
import TestSupport
@testable import Weights

@Suite("SafetensorsWriter")
struct SafetensorsWriterTests {
    @Test("converting the release-shaped .pt gives a safetensors file whose every tensor has the same float32 bits; integer recomputed buffers are left out")
    func roundTrip() throws {
        let folder = try Fixtures.temporaryFolder("convert")
        defer { try? FileManager.default.removeItem(at: folder) }
        let source = try PyTorchCheckpoint(contentsOf: PTFixture.url("laion_release.pt"))
        let out = folder.appendingPathComponent("out.safetensors")
        let summary = try SafetensorsWriter.write(source, to: out, metadata: ["format": "pt", "note": "q\"uote"])
        #expect(summary.skipped == ["audio_branch.bn0.num_batches_tracked", "audio_branch.layers.0.blocks.0.attn.relative_position_index"])
        #expect(summary.written == source.keys.filter { !summary.skipped.contains($0) })
        let back = try SafetensorsFile(contentsOf: out)
        #expect(try FileManager.default.attributesOfItem(atPath: out.path)[.size] as? Int == summary.bytes)
        #expect(back.keys == summary.written && back.metadata == ["format": "pt", "note": "q\"uote"])
        for key in back.keys {
            #expect(back.shape(key) == source.shape(key) && back.dtype(key) == .float32)
            #expect(try back.float32(key).map(\.bitPattern) == source.float32(key).map(\.bitPattern), "\(key)")
        }
    }

    @Test("an integer tensor that is not a recomputed buffer is refused, and nothing is written")
    func refusesIntegers() throws {
        let folder = try Fixtures.temporaryFolder("convert")
        defer { try? FileManager.default.removeItem(at: folder) }
        let pickle = P.pickle(P.dict([(P.str("token_ids"), P.tensor("0", type: "LongStorage", numel: 2, size: [2], stride: [1]))]))
        let source = try PTFixture.open(TestZip.checkpoint(pickle: pickle, storages: ["0": P.fourFloats + P.fourFloats]), in: folder)
        let out = folder.appendingPathComponent("out.safetensors")
        #expect(throws: WeightsError.unsupportedDType(file: source.path, key: "token_ids", dtype: "int64 (only recomputed integer buffers can be left out of a conversion)")) {
            _ = try SafetensorsWriter.write(source, to: out)
        }
        #expect(!FileManager.default.fileExists(atPath: out.path))
    }
}

@Test("the contiguous conversion loop equals the element-by-element twin on random bits for every dtype")
func contiguousMatchesElementTwin() {
    var rng = SeededGenerator(state: 7)
    let raw = (0..<4096).map { _ in UInt8.random(in: 0...255, using: &rng) }
    raw.withUnsafeBytes { bytes in
        for dtype in TensorDType.allCases {
            let count = bytes.count / dtype.byteWidth
            let fast = ElementDecoding.contiguousFloat32(bytes, dtype, count: count)
            let slow = (0..<count).map { ElementDecoding.float(bytes, dtype, $0) }
            #expect(fast.map(\.bitPattern) == slow.map(\.bitPattern), "\(dtype)")
        }
    }
}
