import Diagnostics
import Foundation
import Testing
import TestSupport
@testable import Weights

@Suite("ModelCheckpoint")
struct ModelCheckpointTests {
    /// A one-tensor safetensors file `{key: F32 [2] = [1.5, -2]}`.
    static func safetensors(_ key: String) -> [UInt8] {
        WeightsFixture.file(header: #"{"\#(key)":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#, payload: TestZip.floats([1.5, -2]))
    }

    static func write(_ bytes: [UInt8], _ url: URL) throws { try Data(bytes).write(to: url) }

    @Test("a Hugging Face folder opens model.safetensors (preferred) or pytorch_model.bin, with config.json verbatim")
    func huggingFaceFolder() throws {
        let folder = try Fixtures.temporaryFolder("model")
        defer { try? FileManager.default.removeItem(at: folder) }
        let config = Data(#"{"model_type": "clap", "projection_dim": 512}"#.utf8)
        try config.write(to: folder.appendingPathComponent("config.json"))
        try FileManager.default.copyItem(at: PTFixture.url("hf_model.bin"), to: folder.appendingPathComponent("pytorch_model.bin"))
        let bin = try ModelCheckpoint.open(folder.path)
        #expect(bin.layout == .huggingFace && bin.configJSON == config)
        #expect(bin.config?["projection_dim"] as? Int == 512)
        #expect(bin.tensors is PyTorchCheckpoint && bin.tensors.path.hasSuffix("/pytorch_model.bin"))
        #expect(try bin.tensors.float32("text_model.norm.weight") == [1.25, 0.5])

        try Self.write(Self.safetensors("audio_model.x"), folder.appendingPathComponent("model.safetensors"))
        let st = try ModelCheckpoint.open(folder.path)
        #expect(st.tensors is SafetensorsFile && st.tensors.keys == ["audio_model.x"] && st.layout == .huggingFace)
    }

    @Test("a laion_clap .pt file (or the same bytes under another name) opens by content as the laionClap layout")
    func laionFile() throws {
        let m = try ModelCheckpoint.open(PTFixture.url("laion_release.pt").path)
        #expect(m.layout == .laionClap && m.configJSON == nil)
        #expect((m.tensors as? PyTorchCheckpoint)?.epoch == 45)
        let folder = try Fixtures.temporaryFolder("model")
        defer { try? FileManager.default.removeItem(at: folder) }
        let renamed = folder.appendingPathComponent("weights.safetensors")
        try FileManager.default.copyItem(at: PTFixture.url("laion_release.pt"), to: renamed)
        #expect(try ModelCheckpoint.open(renamed.path).tensors is PyTorchCheckpoint)
        try Self.write(Self.safetensors("text_branch.y"), folder.appendingPathComponent("converted.pt"))
        let st = try ModelCheckpoint.open(folder.appendingPathComponent("converted.pt").path)
        #expect(st.tensors is SafetensorsFile && st.layout == .laionClap)
    }

    @Test("a sharded safetensors folder reads every key from its shard; an index that disagrees with the shards is refused")
    func sharded() throws {
        let folder = try Fixtures.temporaryFolder("model")
        defer { try? FileManager.default.removeItem(at: folder) }
        try Self.write(Self.safetensors("audio_model.a"), folder.appendingPathComponent("model-00001-of-00002.safetensors"))
        try Self.write(Self.safetensors("text_model.b"), folder.appendingPathComponent("model-00002-of-00002.safetensors"))
        let index = folder.appendingPathComponent("model.safetensors.index.json")
        try Data(#"{"metadata": {"total_size": 16}, "weight_map": {"audio_model.a": "model-00001-of-00002.safetensors", "text_model.b": "model-00002-of-00002.safetensors"}}"#.utf8).write(to: index)
        let m = try ModelCheckpoint.open(folder.path)
        #expect(m.tensors is ShardedSafetensors && m.layout == .huggingFace && m.configJSON == nil)
        #expect(m.tensors.keys == ["audio_model.a", "text_model.b"] && m.tensors.metadata == ["total_size": "16"])
        #expect(try m.tensors.float32("text_model.b") == [1.5, -2])
        #expect(m.tensors.dtype("audio_model.a") == .float32 && m.tensors.shape("audio_model.a") == [2])

        try Data(#"{"weight_map": {"audio_model.a": "model-00002-of-00002.safetensors"}}"#.utf8).write(to: index)
        #expect(throws: WeightsError.badModelJSON(file: index.path, detail: "tensor 'text_model.b' is in model-00002-of-00002.safetensors but the index does not list it")) {
            _ = try ModelCheckpoint.open(folder.path)
        }
        try Data(#"{"weight_map": {"a": "../x.safetensors"}}"#.utf8).write(to: index)
        #expect(throws: WeightsError.badModelJSON(file: index.path, detail: "shard name '../x.safetensors' is not a file name in the folder")) {
            _ = try ModelCheckpoint.open(folder.path)
        }
    }

    @Test("clear errors: missing path, empty folder, unreadable config, unrecognised file, keys of no CLAP layout")
    func errors() throws {
        let folder = try Fixtures.temporaryFolder("model")
        defer { try? FileManager.default.removeItem(at: folder) }
        let missing = folder.appendingPathComponent("absent.pt").path
        #expect(throws: WeightsError.cannotOpen(file: missing, errno: ENOENT)) { _ = try ModelCheckpoint.open(missing) }
        do {
            _ = try ModelCheckpoint.open(folder.path)
            Issue.record("empty folder opened")
        } catch let e as WeightsError {
            #expect(e == .noWeightsInFolder(folder: folder.path))
            #expect(e.exitCode == .badInput)
            #expect(ErrorReport.line(for: e).contains("no model.safetensors, model.safetensors.index.json or pytorch_model.bin"))
        }
        let config = folder.appendingPathComponent("config.json")
        try Data("[1, 2]".utf8).write(to: config)
        #expect(throws: WeightsError.badModelJSON(file: config.path, detail: "not a JSON object")) { _ = try ModelCheckpoint.open(folder.path) }
        let text = folder.appendingPathComponent("notes.bin")
        try Data("just some text".utf8).write(to: text)
        #expect(throws: WeightsError.unrecognizedFile(file: text.path)) { _ = try ModelCheckpoint.open(text.path) }
        #expect(throws: WeightsError.unknownLayout(file: WeightsFixture.url.path, sampleKeys: ["bn.num_batches_tracked", "encoder.b", "encoder.h", "encoder.relative_position_index"])) {
            _ = try ModelCheckpoint.open(WeightsFixture.url.path)
        }
        #expect(throws: WeightsError.legacyPyTorchFormat(file: PTFixture.url("legacy.pt").path)) { _ = try ModelCheckpoint.open(PTFixture.url("legacy.pt").path) }
    }
}
