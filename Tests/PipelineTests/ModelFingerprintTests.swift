import CLAPAudio
import Foundation
@testable import Pipeline
import Testing
import TestSupport
import Weights

@Suite("model fingerprint")
struct ModelFingerprintTests {
    static let hfTiny = Fixtures.url("htsat/hf-tiny")

    /// hf-tiny's audio tower renamed to laion_clap names (qkv concatenated) as a converted .pt holds them, plus the
    /// laion-only tensors a released checkpoint also holds (outside the fingerprint).
    static func laionNamedCopy(_ folder: URL) throws -> URL {
        let file = try SafetensorsFile(contentsOf: hfTiny.appendingPathComponent("model.safetensors"))
        var tensors: [(key: String, shape: [Int], values: [Float])] = []
        for (canonical, fileKeys) in try ModelFingerprint.canonicalKeys(file, naming: .huggingFace) {
            var values: [Float] = []
            var shape = file.shape(fileKeys[0])!
            for k in fileKeys { values += try file.float32(k) }
            if fileKeys.count > 1 { shape[0] *= fileKeys.count }
            tensors.append((canonical, shape, values))
        }
        tensors += [
            ("audio_branch.logmel_extractor.melW", [513, 64], [Float](repeating: 0.5, count: 513 * 64)),
            ("audio_branch.bn0.num_batches_tracked", [], [3]),
            ("text_projection.0.weight", [16, 8], [Float](repeating: 0, count: 128)),
            ("logit_scale_a", [], [2.6]),
        ]
        let url = folder.appendingPathComponent("laion-tiny.safetensors")
        try TestSafetensors.write(tensors, to: url)
        return url
    }

    @Test("HF folder and laion-named file of the same weights: same tensor digest and, under one profile, the same fingerprint")
    func hfAndLaionMatch() throws {
        let folder = try Fixtures.temporaryFolder("pipeline")
        defer { try? FileManager.default.removeItem(at: folder) }
        let laionURL = try Self.laionNamedCopy(folder)
        let hf = try AudioModel.load(path: Self.hfTiny.path, profile: .laion)
        let laion = try AudioModel.load(path: laionURL.path, profile: nil)
        #expect(laion.profileName == "laion" && laion.encoder.naming == .laion && hf.encoder.naming == .huggingFace)
        let a = try hf.tensorDigest(), b = try laion.tensorDigest()
        #expect(a == b)
        #expect(hf.fingerprint(tensorDigest: a, longClipPolicy: "center") == laion.fingerprint(tensorDigest: b, longClipPolicy: "center"))
        #expect(hf.fingerprint(tensorDigest: a, longClipPolicy: "center") != hf.fingerprint(tensorDigest: a, longClipPolicy: "start"))
        // the laion-named copy keeps melW, which the laion profile uses
        #expect(laion.filterBank != nil && hf.filterBank == nil)
    }

    @Test("one changed weight changes the digest")
    func weightChange() throws {
        let folder = try Fixtures.temporaryFolder("pipeline")
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = try Self.laionNamedCopy(folder)
        let file = try SafetensorsFile(contentsOf: url)
        var tensors: [(key: String, shape: [Int], values: [Float])] = try file.keys.map { ($0, file.shape($0)!, try file.float32($0)) }
        let i = tensors.firstIndex { $0.key.hasSuffix("audio_projection.0.bias") }!
        tensors[i].values[0] += 1e-3
        let changed = folder.appendingPathComponent("changed.safetensors")
        try TestSafetensors.write(tensors, to: changed)
        #expect(try ModelFingerprint.tensorDigest(file, naming: .laion)
                != ModelFingerprint.tensorDigest(try SafetensorsFile(contentsOf: changed), naming: .laion))
    }

    @Test("a profile that does not fit the model is refused with the reason")
    func profileRefused() throws {
        #expect(throws: PipelineError.self) { try AudioModel.load(path: Self.hfTiny.path, profile: .laionFusion) }
        #expect(throws: PipelineError.self) { try AudioModel.load(path: Fixtures.url("htsat/hf-fused").path, profile: .laion) }
        #expect(throws: PipelineError.self) { try AudioModel.load(path: Fixtures.url("htsat/laion-tiny.pt").path, profile: .hf) }
    }
}

/// Named float32 tensors held in memory, written through Weights' `SafetensorsWriter`.
final class MemoryTensors: TensorSource, @unchecked Sendable {
    let path: String
    let tensors: [String: (shape: [Int], values: [Float])]
    var keys: [String] { tensors.keys.sorted() }
    var metadata: [String: String] { [:] }
    init(_ list: [(key: String, shape: [Int], values: [Float])], path: String = "memory") {
        self.path = path
        tensors = Dictionary(uniqueKeysWithValues: list.map { ($0.key, ($0.shape, $0.values)) })
    }
    func shape(_ key: String) -> [Int]? { tensors[key]?.shape }
    func dtype(_ key: String) -> TensorDType? { tensors[key] == nil ? nil : .float32 }
    func float32(_ key: String) throws -> [Float] {
        guard let t = tensors[key] else { throw WeightsError.missingTensor(key: key, file: path) }
        return t.values
    }
}

enum TestSafetensors {
    static func write(_ tensors: [(key: String, shape: [Int], values: [Float])], to url: URL) throws {
        _ = try SafetensorsWriter.write(MemoryTensors(tensors), to: url)
    }
}
