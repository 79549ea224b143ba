import CLAPText
import Diagnostics
import Foundation
import Testing
import TestSupport
import Tokenizer
import Weights

/// A checkpoint as (key, shape, values), written as F32 safetensors (the header layout of
/// huggingface/safetensors: u64 length, JSON padded with spaces to 8 bytes, data in key order).
private struct Checkpoint {
    var tensors: [(key: String, shape: [Int], values: [Float])]

    static func fixture() throws -> Checkpoint {
        let file = try SafetensorsFile(contentsOf: TextFixture.hfModel.appendingPathComponent("model.safetensors"))
        return Checkpoint(tensors: try file.keys.map { ($0, file.shape($0)!, try file.float32($0)) })
    }

    mutating func remove(_ key: String) {
        let before = tensors.count
        tensors.removeAll { $0.key == key }
        precondition(tensors.count == before - 1, "no \(key)")
    }

    mutating func rename(_ transform: (String) -> String) {
        tensors = tensors.map { (transform($0.key), $0.shape, $0.values) }
    }

    func write(to url: URL) throws {
        var header: [String] = [], data: [UInt8] = [], offset = 0
        for t in tensors.sorted(by: { $0.key < $1.key }) {
            let bytes = t.values.flatMap { withUnsafeBytes(of: $0.bitPattern.littleEndian, Array.init) }
            header.append("\"\(t.key)\":{\"dtype\":\"F32\",\"shape\":[\(t.shape.map(String.init).joined(separator: ","))],\"data_offsets\":[\(offset),\(offset + bytes.count)]}")
            data += bytes
            offset += bytes.count
        }
        var json = Array(("{" + header.joined(separator: ",") + "}").utf8)
        while json.count % 8 != 0 { json.append(0x20) }
        let out = withUnsafeBytes(of: UInt64(json.count).littleEndian, Array.init) + json + data
        try Data(out).write(to: url)
    }

    /// A Hugging Face folder: these weights plus the fixture's config and tokenizer files.
    func folder(in parent: URL, config: String? = nil) throws -> URL {
        let dir = parent.appendingPathComponent("model")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        for name in ["config.json", "vocab.json", "merges.txt", "tokenizer_config.json"] {
            try FileManager.default.copyItem(at: TextFixture.hfModel.appendingPathComponent(name), to: dir.appendingPathComponent(name))
        }
        if let config { try Data(config.utf8).write(to: dir.appendingPathComponent("config.json")) }
        try write(to: dir.appendingPathComponent("model.safetensors"))
        return dir
    }

    /// laion_clap naming with the DataParallel `module.` prefix, through the layout's mapping table.
    static func laionNamed() throws -> Checkpoint {
        var c = try fixture()
        c.rename { key in
            var k = key
            for (hf, laion) in [("text_model.", "text_branch."), ("text_projection.linear1.", "text_projection.0."),
                                ("text_projection.linear2.", "text_projection.2."), ("audio_model.", "audio_branch.")] where k.hasPrefix(hf) {
                k = laion + k.dropFirst(hf.count)
            }
            return "module." + k
        }
        c.tensors.removeAll { $0.key.hasSuffix("token_type_ids") }
        return c
    }
}

@Suite("CLAP text tower: strict loading of both layouts")
struct CLAPTextLoadingTests {
    private func expectError<E: Error & Equatable>(_ expected: E, _ body: () throws -> Void) {
        do { try body(); Issue.record("no error, expected \(expected)") } catch let e as E {
            #expect(e == expected)
        } catch { Issue.record("unexpected error \(error)") }
    }

    @Test("the layout table maps every canonical laion name to HF's, and module. is kept for DataParallel files")
    func mappingTable() {
        let hf = TextCheckpointLayout(family: .huggingFace)
        #expect(hf.fileKey("text_branch.encoder.layer.3.attention.self.query.weight") == "text_model.encoder.layer.3.attention.self.query.weight")
        #expect(hf.fileKey("text_projection.0.weight") == "text_projection.linear1.weight")
        #expect(hf.fileKey("text_projection.2.bias") == "text_projection.linear2.bias")
        let laion = TextCheckpointLayout(family: .laion, keyPrefix: "module.")
        #expect(laion.fileKey("text_projection.0.weight") == "module.text_projection.0.weight")
        #expect(laion.isIgnored("module.audio_branch.bn0.weight") && laion.isIgnored("module.logit_scale_t"))
        #expect(!laion.isIgnored("module.text_branch.pooler.dense.weight") && !laion.isIgnored("audio_branch.bn0.weight"))
        #expect(hf.isIgnored("audio_model.audio_encoder.norm.weight") && hf.isIgnored("logit_scale_a") && hf.isIgnored("text_model.embeddings.token_type_ids"))
        #expect(!hf.isIgnored("text_model.embeddings.position_embeddings.weight"))
    }

    @Test("the HF fixture holds the audio tower and loads: audio keys are ignored by rule, nothing else")
    func audioKeysIgnored() throws {
        let file = try SafetensorsFile(contentsOf: TextFixture.hfModel.appendingPathComponent("model.safetensors"))
        #expect(file.keys.contains { $0.hasPrefix("audio_model.") })
        let encoder = try TextFixture.hfEncoder()
        #expect(encoder.fingerprint == "clap-text hugging-face roberta L2 H48 A4 I128 V3261 P80 T1 pad1 D32 eps1e-12")
    }

    @Test("laion-named weights (module.text_branch…, text_projection.0/2) load with shapes inferred and eps 1e-5, same bits as the HF folder at eps 1e-5")
    func laionLayoutFromShapes() throws {
        let tmp = try Fixtures.temporaryFolder("clap-text")
        defer { try? FileManager.default.removeItem(at: tmp) }
        let url = tmp.appendingPathComponent("laion.safetensors")
        try Checkpoint.laionNamed().write(to: url)
        let encoder = try CLAPTextEncoder.load(model: url, tokenizer: TextFixture.hfModel, attentionHeads: 4)
        #expect(encoder.layout == TextCheckpointLayout(family: .laion, keyPrefix: "module."))
        #expect(encoder.config.layerNormEps == 1e-5 && encoder.config.numHiddenLayers == 2 && encoder.config.projectionDim == 32)
        let texts = try TextFixture.texts()
        #expect(try encoder.embed(texts: texts) == TextFixture.hfWeightsWithLaionEpsilon().embed(texts: texts))
        expectError(CLAPTextError.headsNotInferable(file: url.path, hiddenSize: 48)) {
            _ = try CLAPTextEncoder.load(model: url, tokenizer: TextFixture.hfModel)
        }
        expectError(CLAPTextError.noTokenizer(model: url.path)) { _ = try CLAPTextEncoder.load(model: url) }
    }

    @Test("memory-mapped F32 weights are read in place, not copied: the HF safetensors folder and the laion .pt")
    func weightsBorrowedFromTheMap() throws {
        #expect(try TextFixture.hfEncoder().weightsAreBorrowed)
        let laion = try CLAPTextEncoder.load(model: TextFixture.laionPT, tokenizer: TextFixture.hfModel, attentionHeads: 4)
        #expect(laion.weightsAreBorrowed)
    }

    @Test("the laion .pt needs a tokenizer folder and, at hidden 48, the head count")
    func laionCheckpointErrors() throws {
        let pt = TextFixture.laionPT
        expectError(CLAPTextError.noTokenizer(model: pt.path)) { _ = try CLAPTextEncoder.load(model: pt) }
        expectError(CLAPTextError.headsNotInferable(file: pt.path, hiddenSize: 48)) {
            _ = try CLAPTextEncoder.load(model: pt, tokenizer: TextFixture.hfModel)
        }
    }

    @Test("a missing text tensor throws naming the file's key")
    func missingTensor() throws {
        let tmp = try Fixtures.temporaryFolder("clap-text")
        defer { try? FileManager.default.removeItem(at: tmp) }
        var c = try Checkpoint.fixture()
        c.remove("text_model.encoder.layer.1.output.dense.bias")
        let dir = try c.folder(in: tmp)
        let file = dir.appendingPathComponent("model.safetensors").path
        expectError(WeightsError.missingTensor(key: "text_model.encoder.layer.1.output.dense.bias", file: file)) {
            _ = try CLAPTextEncoder.load(model: dir)
        }
    }

    @Test("a wrong-shaped tensor throws naming the key and both shapes")
    func wrongShape() throws {
        let tmp = try Fixtures.temporaryFolder("clap-text")
        defer { try? FileManager.default.removeItem(at: tmp) }
        var c = try Checkpoint.fixture()
        c.remove("text_projection.linear1.weight")
        c.tensors.append(("text_projection.linear1.weight", [32, 40], [Float](repeating: 0.5, count: 32 * 40)))
        let dir = try c.folder(in: tmp)
        let file = dir.appendingPathComponent("model.safetensors").path
        do {
            _ = try CLAPTextEncoder.load(model: dir)
            Issue.record("loaded a wrong-shaped tensor")
        } catch let e as WeightsError {
            #expect(e == .shapeMismatch(key: "text_projection.linear1.weight", expected: [32, 48], actual: [32, 40], file: file))
            #expect(ErrorReport.line(for: e).contains("tensor 'text_projection.linear1.weight': expected shape [32, 48], found [32, 40]"))
        }
    }

    @Test("a tensor no rule accounts for (an extra layer) throws unexpectedTensors naming it")
    func unexpectedTensor() throws {
        let tmp = try Fixtures.temporaryFolder("clap-text")
        defer { try? FileManager.default.removeItem(at: tmp) }
        var c = try Checkpoint.fixture()
        c.tensors.append(("text_model.encoder.layer.2.attention.self.query.weight", [48, 48], [Float](repeating: 0, count: 48 * 48)))
        let dir = try c.folder(in: tmp)
        expectError(WeightsError.unexpectedTensors(keys: ["text_model.encoder.layer.2.attention.self.query.weight"],
                                                   file: dir.appendingPathComponent("model.safetensors").path)) {
            _ = try CLAPTextEncoder.load(model: dir)
        }
    }

    @Test("a checkpoint without a text tower, a non-GELU config and a too-long max length are typed errors")
    func otherErrors() throws {
        let tmp = try Fixtures.temporaryFolder("clap-text")
        defer { try? FileManager.default.removeItem(at: tmp) }
        let bare = tmp.appendingPathComponent("other.safetensors")
        try Checkpoint(tensors: [("encoder.w", [2], [1, 2])]).write(to: bare)
        expectError(CLAPTextError.unknownLayout(file: bare.path, sampleKeys: ["encoder.w"])) {
            _ = try CLAPTextEncoder.load(model: bare, tokenizer: TextFixture.hfModel)
        }
        let config = try String(contentsOf: TextFixture.hfModel.appendingPathComponent("config.json"), encoding: .utf8)
            .replacingOccurrences(of: "\"hidden_act\": \"gelu\"", with: "\"hidden_act\": \"relu\"")
        let dir = try Checkpoint.fixture().folder(in: tmp, config: config)
        do {
            _ = try CLAPTextEncoder.load(model: dir)
            Issue.record("accepted hidden_act relu")
        } catch let e as CLAPTextError {
            #expect(ErrorReport.line(for: e).contains("hidden_act is \"relu\""))
            #expect(e.exitCode == .corrupt)
        }
        let encoder = try TextFixture.hfEncoder()
        expectError(CLAPTextError.maxLengthTooLong(maxLength: 79, positions: 80, model: encoder.weightsPath)) {
            _ = try encoder.embed(texts: ["a"], maxLength: 79)
        }
        #expect(try encoder.embed(texts: ["a"], maxLength: 78).count == 1)
    }
}
