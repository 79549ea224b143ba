@testable import CLAPAudio
import Diagnostics
import Foundation
import Testing
import TestSupport
import Weights

/// Writes F32 `.safetensors` files for the loading tests (header sorted by key, 8-byte aligned).
enum TestSafetensors {
    static func write(_ tensors: [(key: String, shape: [Int], values: [Float])], to url: URL) throws {
        var header: [String: Any] = [:]
        var data = Data()
        for t in tensors.sorted(by: { $0.key < $1.key }) {
            precondition(t.shape.reduce(1, *) == t.values.count, t.key)
            let begin = data.count
            t.values.withUnsafeBufferPointer { data.append(Data(buffer: $0)) }
            header[t.key] = ["dtype": "F32", "shape": t.shape, "data_offsets": [begin, data.count]]
        }
        var json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        while json.count % 8 != 0 { json.append(0x20) }
        var out = Data()
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { out.append(contentsOf: $0) }
        out.append(json)
        out.append(data)
        try out.write(to: url)
    }

    /// Every tensor of `file`, widened to float32 (index buffers included).
    static func tensors(of file: SafetensorsFile) throws -> [(key: String, shape: [Int], values: [Float])] {
        try file.keys.map { ($0, file.shape($0)!, try file.float32($0)) }
    }
}

@Suite("loading is strict and both namings bind the same model")
struct LoadingTests {
    static let hfTiny = HTSATFixture.url("hf-tiny")

    /// A copy of hf-tiny (config.json + an F32 model.safetensors) with `edit` applied to its tensors.
    static func editedHFTiny(_ folder: URL, _ edit: (inout [(key: String, shape: [Int], values: [Float])]) -> Void) throws -> URL {
        let dir = folder.appendingPathComponent("model")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: hfTiny.appendingPathComponent("config.json"), to: dir.appendingPathComponent("config.json"))
        var t = try TestSafetensors.tensors(of: try SafetensorsFile(contentsOf: hfTiny.appendingPathComponent("model.safetensors")))
        edit(&t)
        try TestSafetensors.write(t, to: dir.appendingPathComponent("model.safetensors"))
        return dir
    }

    static func features() throws -> EncoderInput { try HTSATFixture.input(HTSATFixture.cases(source: "hf")[0]) }

    @Test("the architecture is read from config.json and matches the fixture's")
    func configuration() throws {
        let e = try CLAPAudioEncoder(contentsOf: Self.hfTiny)
        #expect(e.configuration == HTSATConfiguration(embedDim: 6, depths: [2, 2, 4, 2], numHeads: [1, 2, 4, 8], projectionDim: 16, enableFusion: false))
        #expect(e.naming == .huggingFace && e.embeddingDimension == 16)
        let f = try CLAPAudioEncoder(contentsOf: HTSATFixture.url("hf-fused"))
        #expect(f.configuration.enableFusion && f.configuration.depths == [2, 2, 2, 2] && f.configuration.embedDim == 8)
    }

    @Test("a missing tensor throws naming the file's key")
    func missing() throws {
        let folder = try Fixtures.temporaryFolder("clapaudio")
        defer { try? FileManager.default.removeItem(at: folder) }
        let key = "audio_model.audio_encoder.layers.1.blocks.1.attention.self.key.weight"
        let dir = try Self.editedHFTiny(folder) { $0.removeAll { $0.key == key } }
        #expect(throws: WeightsError.missingTensor(key: key, file: dir.appendingPathComponent("model.safetensors").path)) {
            try CLAPAudioEncoder(contentsOf: dir)
        }
    }

    @Test("a wrong-shaped tensor throws naming the key and both shapes")
    func wrongShape() throws {
        let folder = try Fixtures.temporaryFolder("clapaudio")
        defer { try? FileManager.default.removeItem(at: folder) }
        let key = "audio_model.audio_encoder.layers.2.downsample.reduction.weight"
        let dir = try Self.editedHFTiny(folder) { t in
            let i = t.firstIndex { $0.key == key }!
            t[i] = (key, [48, 97], [Float](repeating: 0, count: 48 * 97))
        }
        do {
            _ = try CLAPAudioEncoder(contentsOf: dir)
            Issue.record("loaded a mis-shaped checkpoint")
        } catch let e as WeightsError {
            #expect(e == .shapeMismatch(key: key, expected: [48, 96], actual: [48, 97], file: dir.appendingPathComponent("model.safetensors").path))
            #expect(ErrorReport.line(for: e).contains("expected shape [48, 96], found [48, 97]"))
        }
    }

    @Test("an unexpected tensor throws, listing it; the text tower and logit scales are ignored by rule")
    func unexpected() throws {
        let folder = try Fixtures.temporaryFolder("clapaudio")
        defer { try? FileManager.default.removeItem(at: folder) }
        let dir = try Self.editedHFTiny(folder) { $0.append(("audio_model.audio_encoder.head.weight", [2], [1, 2])) }
        #expect(throws: WeightsError.unexpectedTensors(keys: ["audio_model.audio_encoder.head.weight"], file: dir.appendingPathComponent("model.safetensors").path)) {
            try CLAPAudioEncoder(contentsOf: dir)
        }
        let file = try SafetensorsFile(contentsOf: Self.hfTiny.appendingPathComponent("model.safetensors"))
        #expect(file.keys.contains("text_model.embeddings.word_embeddings.weight") && file.keys.contains("logit_scale_a"))
    }

    @Test("a relative_position_index that differs from the recomputed one is refused")
    func wrongIndex() throws {
        let folder = try Fixtures.temporaryFolder("clapaudio")
        defer { try? FileManager.default.removeItem(at: folder) }
        let key = "audio_model.audio_encoder.layers.2.blocks.0.attention.self.relative_position_index"  // hf-tiny keeps stages 2-3's
        let dir = try Self.editedHFTiny(folder) { t in
            let i = t.firstIndex { $0.key == key }!
            t[i].values[5] += 1
        }
        #expect(throws: WeightsError.self) { try CLAPAudioEncoder(contentsOf: dir) }
    }

    @Test("F32 and F16 copies of the same weights give identical embeddings; files without index buffers load")
    func dtypes() throws {
        let folder = try Fixtures.temporaryFolder("clapaudio")
        defer { try? FileManager.default.removeItem(at: folder) }
        let dir = try Self.editedHFTiny(folder) { t in t.removeAll { $0.key.hasSuffix("relative_position_index") || $0.key.hasSuffix("num_batches_tracked") } }
        let input = try Self.features()
        #expect(try CLAPAudioEncoder(contentsOf: dir).embed(input) == CLAPAudioEncoder(contentsOf: Self.hfTiny).embed(input))
    }

    /// The hf-tiny tensors renamed to laion_clap's names (qkv concatenated), with the laion-only
    /// tensors a released checkpoint also holds.
    static func laionNamed(_ folder: URL, extra: [(key: String, shape: [Int], values: [Float])] = []) throws -> URL {
        let file = try SafetensorsFile(contentsOf: hfTiny.appendingPathComponent("model.safetensors"))
        var canonical: [String] = []
        var probe = AudioWeightBinder(file, naming: .huggingFace)
        // every canonical key the model binds: walk the HF keys back through the rename table
        for key in file.keys where key.hasPrefix("audio_") && !WeightBinder.isRecomputedBuffer(key) {
            // ".attention.output.dense." first: it also ends like fc2's ".output.dense."
            var k = key.replacingOccurrences(of: ".attention.output.dense.", with: ".attn.proj.")
            for (from, to) in CheckpointNaming.huggingFaceRenames.reversed() where k.contains(to) { k = k.replacingOccurrences(of: to, with: from) }
            for part in ["query", "key", "value"] { k = k.replacingOccurrences(of: ".attention.self.\(part).", with: ".attn.qkv.") }
            if !canonical.contains(k) { canonical.append(k) }
        }
        var tensors: [(key: String, shape: [Int], values: [Float])] = []
        for k in canonical {
            let shape = probe.shape(k)!
            tensors.append((k, shape, try probe.take(k, shape)))
        }
        tensors += [
            ("audio_branch.logmel_extractor.melW", [513, 64], [Float](repeating: 0.5, count: 513 * 64)),
            ("audio_branch.tscam_conv.weight", [8, 48, 2, 3], [Float](repeating: 0, count: 8 * 48 * 6)),
            ("audio_branch.head.weight", [8, 8], [Float](repeating: 0, count: 64)),
            ("audio_branch.layers.0.blocks.1.attn_mask", [64, 64, 64], [Float](repeating: 0, count: 64 * 64 * 64)),
            ("audio_branch.bn0.num_batches_tracked", [], [3]),
            ("text_branch.embeddings.word_embeddings.weight", [4, 2], [Float](repeating: 0, count: 8)),
            ("text_projection.0.weight", [16, 768], [Float](repeating: 0, count: 16 * 768)),
            ("audio_transform.sequential.0.weight", [16, 16], [Float](repeating: 0, count: 256)),
            ("logit_scale_a", [], [2.6]),
        ] + extra
        let url = folder.appendingPathComponent("laion-tiny.safetensors")
        try TestSafetensors.write(tensors, to: url)
        return url
    }

    @Test("laion_clap names (qkv fused, training-only keys, melW) bind the same model as HF names")
    func laionNaming() throws {
        let folder = try Fixtures.temporaryFolder("clapaudio")
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = try Self.laionNamed(folder)
        let laion = try CLAPAudioEncoder(contentsOf: url)
        let hf = try CLAPAudioEncoder(contentsOf: Self.hfTiny)
        #expect(laion.naming == .laion && laion.configuration == hf.configuration)
        #expect(laion.laionMelFilterBank == [Float](repeating: 0.5, count: 513 * 64) && hf.laionMelFilterBank == nil)
        let input = try Self.features()
        #expect(try laion.embed(input) == hf.embed(input))
    }

    @Test("the HF rename table maps qkv to three tensors and the rest one to one")
    func renames() {
        #expect(CheckpointNaming.huggingFace.fileKeys(for: "audio_branch.layers.2.blocks.3.attn.qkv.bias") ==
                ["audio_model.audio_encoder.layers.2.blocks.3.attention.self.query.bias",
                 "audio_model.audio_encoder.layers.2.blocks.3.attention.self.key.bias",
                 "audio_model.audio_encoder.layers.2.blocks.3.attention.self.value.bias"])
        #expect(CheckpointNaming.huggingFace.fileKeys(for: "audio_branch.bn0.running_var") == ["audio_model.audio_encoder.batch_norm.running_var"])
        #expect(CheckpointNaming.huggingFace.fileKeys(for: "audio_branch.layers.0.blocks.1.mlp.fc2.weight") == ["audio_model.audio_encoder.layers.0.blocks.1.output.dense.weight"])
        #expect(CheckpointNaming.huggingFace.fileKeys(for: "audio_projection.2.bias") == ["audio_projection.linear2.bias"])
        #expect(CheckpointNaming.laion.isOutsideAudioEncoder("audio_branch.spectrogram_extractor.stft.conv_real.weight"))
        #expect(!CheckpointNaming.laion.isOutsideAudioEncoder("audio_branch.norm.weight"))
    }

    @Test("released-style .pt files: module. prefix, NumPy scalar, optimizer, attn_mask and index buffers (or none)",
          arguments: ["tiny", "base", "fused"])
    func pytorch(_ arch: String) throws {
        let e = try CLAPAudioEncoder(contentsOf: HTSATFixture.url("laion-\(arch).pt"))
        #expect(e.naming == .laion && e.configuration.enableFusion == (arch == "fused"))
        #expect(e.configuration.embedDim == (arch == "tiny" ? 6 : 8) && e.configuration.projectionDim == 16)
        #expect(e.laionMelFilterBank?.count == 513 * 64)
    }

    @Test("bad paths, configs and feature shapes are typed errors")
    func badInputs() throws {
        let folder = try Fixtures.temporaryFolder("clapaudio")
        defer { try? FileManager.default.removeItem(at: folder) }
        #expect(throws: WeightsError.noWeightsInFolder(folder: folder.path)) { try CLAPAudioEncoder(contentsOf: folder) }  // no weights
        let config = folder.appendingPathComponent("config.json")
        try Data(#"{"audio_config": {"enable_fusion": true, "fusion_type": "daf_2d", "patch_embeds_hidden_size": 8, "hidden_size": 64}}"#.utf8).write(to: config)
        #expect(throws: CLAPAudioError.unsupportedArchitecture(file: config.path, detail: "fusion_type daf_2d (only aff_2d)")) {
            try HTSATConfiguration.huggingFace(configJSON: config)
        }
        let e = try CLAPAudioEncoder(contentsOf: Self.hfTiny)
        #expect(throws: CLAPAudioError.self) { try e.embed(EncoderInput(features: [Float](repeating: 0, count: 1001 * 63))) }
        #expect(throws: CLAPAudioError.self) { try e.embed(EncoderInput(features: [Float](repeating: 0, count: 4 * 1001 * 64))) }
        #expect(throws: CLAPAudioError.self) { try e.embed(EncoderInput(features: [Float](repeating: 0, count: 1100 * 64), frames: 1100)) }
        let fused = try CLAPAudioEncoder(contentsOf: HTSATFixture.url("hf-fused"))
        #expect(throws: CLAPAudioError.self) { try fused.embed(EncoderInput(features: [Float](repeating: 0, count: 1001 * 64), longer: true)) }
    }
}
