import Foundation
import Testing
import TestSupport
@testable import Weights

/// `mappedFloat32`: aligned contiguous F32 tensors are lent in place with exactly `float32(_:)`'s values;
/// everything else (F16/BF16, integers, strided views, misaligned offsets) is not, and binds by conversion.
@Suite("TensorSource.mappedFloat32 and WeightBinder.takeInPlace")
struct MappedFloat32Tests {
    static func values(_ view: UnsafeBufferPointer<Float>?) -> [UInt32]? { view.map { $0.map(\.bitPattern) } }

    @Test("safetensors: F32 at 4-byte-aligned offsets is lent; F32 after an odd-length F16 (offset 2 mod 4) and F16 itself are not; values equal float32()")
    func safetensorsAlignment() throws {
        let dir = try Fixtures.temporaryFolder("mapped-f32")
        defer { try? FileManager.default.removeItem(at: dir) }
        func f32(_ v: [Float]) -> [UInt8] { v.flatMap { f in (0..<4).map { UInt8(truncatingIfNeeded: f.bitPattern >> (8 * $0)) } } }
        let header = #"{"a":{"dtype":"F16","shape":[1],"data_offsets":[0,2]},"b":{"dtype":"F32","shape":[2],"data_offsets":[2,10]},"#
            + #""c":{"dtype":"F16","shape":[1],"data_offsets":[10,12]},"d":{"dtype":"F32","shape":[3],"data_offsets":[12,24]}}"#
        let payload: [UInt8] = [0x00, 0x3C] + f32([1.5, -2]) + [0x00, 0xC0] + f32([0.25, 3e-8, -.infinity])
        let file = try WeightsFixture.open(WeightsFixture.file(header: header, payload: payload), in: dir)
        #expect(file.mappedFloat32("a") == nil && file.mappedFloat32("c") == nil, "F16 is never lent")
        #expect(file.mappedFloat32("b") == nil, "misaligned F32 must be copied")
        #expect(Self.values(file.mappedFloat32("d")) == (try file.float32("d")).map(\.bitPattern))
        #expect(file.mappedFloat32("absent") == nil)

        var binder = WeightBinder(file)
        guard case .converted(let b) = try binder.takeInPlace("b", shape: [2]) else { Issue.record("b was lent"); return }
        #expect(b == [1.5, -2])
        guard case .mapped(let d, let owner) = try binder.takeInPlace("d", shape: [3]) else { Issue.record("d was copied"); return }
        #expect(Array(d) == [0.25, 3e-8, -.infinity] && owner === file)
        guard case .converted(let a) = try binder.takeInPlace("a", shape: [1]) else { Issue.record("a was lent"); return }
        #expect(a == [1])
        #expect(throws: WeightsError.shapeMismatch(key: "c", expected: [2], actual: [1], file: file.path)) { _ = try binder.takeInPlace("c", shape: [2]) }
        #expect(binder.consumed == ["a", "b", "d"])
        #expect(throws: WeightsError.unexpectedTensors(keys: ["c"], file: file.path)) { try binder.finish() }
    }

    @Test("the committed safetensors fixture: every F32 tensor the file lends equals float32() bit for bit")
    func fixtureViewsEqualCopies() throws {
        let file = try SafetensorsFile(contentsOf: WeightsFixture.url)
        for key in file.keys {
            guard let view = file.mappedFloat32(key) else {
                #expect(file.tensors[key]!.dtype != .f32 || (file.tensors[key]!.dataRange.lowerBound % 4) != 0, "\(key) not lent")
                continue
            }
            #expect(view.map(\.bitPattern) == (try file.float32(key)).map(\.bitPattern), "\(key)")
        }
    }

    @Test("torch.save files: contiguous F32 views (storage offset included) are lent with float32()'s values; strided views, F16/BF16/F64 and int64 are not",
          arguments: ["laion_release.pt", "hf_model.bin"])
    func pytorchViews(name: String) throws {
        let c = try PyTorchCheckpoint(contentsOf: PTFixture.url(name))
        var lent = 0
        for key in c.keys {
            let t = c.tensors[key]!
            let view = c.mappedFloat32(key)
            if t.dtype == .float32 && t.isContiguous {
                #expect(Self.values(view) == (try c.float32(key)).map(\.bitPattern), "\(key)")
                lent += 1
            } else {
                #expect(view == nil, "\(key) (\(t.dtype), contiguous \(t.isContiguous)) was lent")
            }
        }
        #expect(lent > 0)
        if name == "laion_release.pt" {
            #expect(c.mappedFloat32("audio_branch.transposed") == nil && c.mappedFloat32("audio_branch.block") == nil)
        }
    }
}
