import Diagnostics
import Foundation
import NumPyFormat
import Testing
import TestSupport
@testable import Weights

@Suite("PyTorchCheckpoint")
struct PyTorchCheckpointTests {
    @Test("every tensor of the torch.save fixtures reads exactly as numpy converts it (f32/f16/bf16/f64, views, strides, int64 buffers)",
          arguments: ["laion_release.pt", "hf_model.bin", "zip64.pt"])
    func valuesMatchNumpy(name: String) throws {
        let checkpoint = try PyTorchCheckpoint(contentsOf: PTFixture.url(name))
        let expectedFolder = name == "zip64.pt" ? "hf_model.bin" : name  // the same archive in zip64 form
        let keys = try PTFixture.expectedKeys(expectedFolder)
        #expect(checkpoint.keys == keys)
        for key in keys {
            let expected = try Fixtures.npy("pytorch/expected/\(expectedFolder)/\(key).npy")
            #expect(checkpoint.shape(key) == expected.shape, "\(key)")
            let ours = try checkpoint.float32(key)
            if let ints = expected.int64Values() {
                #expect(checkpoint.dtype(key) == .int64, "\(key)")
                #expect(try checkpoint.int64(key) == ints, "\(key)")
                #expect(ours == ints.map { Float($0) }, "\(key)")
            } else {
                let reference = try #require(expected.float32Values())
                #expect(ours.map(\.bitPattern) == reference.map(\.bitPattern), "\(key): \(ours) vs \(reference)")
            }
        }
    }

    @Test("a laion_clap-release-shaped file: module. stripped, epoch and scalar metadata exposed, views share one storage")
    func releaseStructure() throws {
        let c = try PyTorchCheckpoint(contentsOf: PTFixture.url("laion_release.pt"))
        #expect(c.epoch == 45)
        #expect(c.strippedModulePrefix)
        #expect(c.archiveName == "laion_release")
        #expect(c.topLevelKeys == ["best_score", "epoch", "lr", "name", "optimizer", "state_dict"])
        #expect(c.metadata == ["epoch": "45", "name": "2022_11_20-audioset-HTSAT-tiny", "best_score": "0.9014",
                               "lr": "9.999999747378752e-05"])
        #expect(c.dtype("audio_branch.half") == .float16 && c.dtype("audio_branch.brain") == .bfloat16)
        #expect(c.dtype("text_branch.double") == .float64)
        let base = try #require(c.tensors["audio_branch.base"]), t = try #require(c.tensors["audio_branch.transposed"])
        let block = try #require(c.tensors["audio_branch.block"])
        #expect(base.isContiguous && !t.isContiguous && !block.isContiguous)
        #expect(t.stride == [1, 4] && block.storageOffset == 5 && block.stride == [4, 1])
        #expect(Set(["audio_branch.base", "audio_branch.transposed", "audio_branch.row1", "audio_branch.col2", "audio_branch.block"]
            .map { c.tensors[$0]!.storageEntry }).count == 1)
        #expect(c.shape("logit_scale_a") == [] && c.shape("text_branch.empty") == [0, 5])
        #expect(try c.float32("text_branch.empty") == [])
        #expect(throws: WeightsError.unsupportedDType(file: c.path, key: "audio_branch.base", dtype: "float32 (asked for as integers)")) {
            _ = try c.int64("audio_branch.base")
        }
        #expect(throws: WeightsError.missingTensor(key: "module.audio_branch.base", file: c.path)) { _ = try c.float32("module.audio_branch.base") }
    }

    @Test("a bare state dict (pytorch_model.bin) keeps its keys and has no metadata")
    func bareStateDict() throws {
        let c = try PyTorchCheckpoint(contentsOf: PTFixture.url("hf_model.bin"))
        #expect(!c.strippedModulePrefix && c.epoch == nil && c.metadata.isEmpty)
        #expect(c.keys.contains("audio_model.bn.num_batches_tracked"))
        #expect(c.topLevelKeys == c.keys)
        #expect(try c.int64("audio_model.bn.num_batches_tracked") == [3])
    }

    @Test("WeightBinder binds a PyTorch checkpoint strictly, skipping integer recomputed buffers")
    func binderOverPyTorch() throws {
        let c = try PyTorchCheckpoint(contentsOf: PTFixture.url("hf_model.bin"))
        var binder = WeightBinder(c)
        #expect(try binder.take("text_model.norm.weight", shape: [2]) == [1.25, 0.5])
        #expect(throws: WeightsError.shapeMismatch(key: "audio_model.proj.weight", expected: [3, 2], actual: [2, 3], file: c.path)) {
            _ = try binder.take("audio_model.proj.weight", shape: [3, 2])
        }
        for key in c.keys where !WeightBinder.isRecomputedBuffer(key) && key != "text_model.norm.weight" {
            _ = try binder.take(key, shape: c.shape(key)!)
        }
        try binder.finish()
    }

    @Test("a hand-made archive decodes (the test builders write valid files)")
    func handMade() throws {
        let folder = try Fixtures.temporaryFolder("pt")
        defer { try? FileManager.default.removeItem(at: folder) }
        let c = try PTFixture.open(TestZip.checkpoint(pickle: P.stateDict(stride: [1, 2]), storages: ["0": P.fourFloats]), in: folder)
        #expect(c.keys == ["w"] && c.archiveName == "archive")
        #expect(try c.float32("w") == [1, 3, 2, 4])
    }

    @Test("a legacy (pre-1.6) torch.save file and a TorchScript archive get their own errors saying what to do")
    func otherTorchFormats() throws {
        let legacy = PTFixture.url("legacy.pt")
        do {
            _ = try PyTorchCheckpoint(contentsOf: legacy)
            Issue.record("legacy file opened")
        } catch let e as WeightsError {
            #expect(e == .legacyPyTorchFormat(file: legacy.path))
            #expect(e.exitCode == .unsupported)
            #expect(ErrorReport.line(for: e).contains("re-save it with torch >= 1.6"))
        }
        let script = PTFixture.url("torchscript.pt")
        #expect(throws: WeightsError.torchScriptArchive(file: script.path)) { _ = try PyTorchCheckpoint(contentsOf: script) }
        let safetensors = WeightsFixture.url
        #expect(throws: WeightsError.self) { _ = try PyTorchCheckpoint(contentsOf: safetensors) }
    }

    @Test("a global outside the allow-list is never run: it becomes an opaque value, refused as a tensor")
    func foreignGlobalsAreNotRun() throws {
        let folder = try Fixtures.temporaryFolder("pt")
        defer { try? FileManager.default.removeItem(at: folder) }
        let marker = folder.appendingPathComponent("ran")
        let body = P.dict([(P.str("w"), P.call(P.global("os", "system"), [P.str("touch \(marker.path)")]))])
        do {
            _ = try PTFixture.open(TestZip.checkpoint(pickle: P.pickle(body)), in: folder)
            Issue.record("opened")
        } catch let e as WeightsError {
            guard case .noStateDict(_, let found) = e else { Issue.record("\(e)"); return }
            #expect(found.contains("'w' (a os.system(…) value)"))
        }
        #expect(!FileManager.default.fileExists(atPath: marker.path))
    }

    // MARK: Malformed files

    enum Kind: Sendable { case corrupt, unsupported, legacy, torchScript, noStateDict, dtype }

    static let deepList: [UInt8] = P.pickle([UInt8](repeating: 0x5D, count: 150) + [UInt8](repeating: 0x61, count: 149))
    static let deepTuple: [UInt8] = P.pickle([0x29] + [UInt8](repeating: 0x85, count: 150))
    /// L0 = []; L1 = []; L0.append(L1); L1.append(L0): a cycle, refused when L1 is changed after being stored.
    static let cycle: [UInt8] = P.pickle([0x5D, 0x71, 0, 0x5D, 0x71, 1, 0x61, 0x68, 1, 0x68, 0, 0x61, 0x30])

    static let malformed: [(name: String, bytes: @Sendable () throws -> [UInt8], kind: Kind, detail: String)] = [
        ("empty file", { [] }, .corrupt, "the file is empty"),
        ("not a zip", { Array("hello, this is not a checkpoint".utf8) }, .corrupt, "not a zip archive"),
        ("legacy magic", { try PTFixture.bytes("legacy.pt") }, .legacy, ""),
        ("TorchScript", { try PTFixture.bytes("torchscript.pt") }, .torchScript, ""),
        ("truncated by one byte", { Array(try PTFixture.bytes("hf_model.bin").dropLast()) }, .corrupt, "no end-of-central-directory record"),
        ("truncated in half", { Array(try PTFixture.bytes("laion_release.pt").prefix(3000)) }, .corrupt, "no end-of-central-directory record"),
        ("zip64 file truncated before its zip64 record", {
            let b = try PTFixture.bytes("zip64.pt")
            return Array(b.prefix(b.count - 22 - 20 - 56)) + Array(b.suffix(22))
        }, .corrupt, "zip64"),
        ("data.pkl damaged (CRC-32)", {
            var b = try PTFixture.bytes("hf_model.bin")
            let at = try #require(b.firstRange(of: Array("audio_model".utf8))).lowerBound
            b[at] ^= 0x20
            return b
        }, .corrupt, "fails its CRC-32 check"),
        ("compressed entry", { TestZip.make([("archive/data.pkl", P.stateDict())], method: 8) }, .unsupported, "is compressed (method 8)"),
        ("big-endian storages", { TestZip.checkpoint(pickle: P.stateDict(), storages: ["0": P.fourFloats], byteorder: "big") }, .unsupported, "big-endian"),
        ("garbage byteorder", { TestZip.checkpoint(pickle: P.stateDict(), storages: ["0": P.fourFloats], byteorder: "middle") }, .corrupt, "byteorder entry is 'middle'"),
        ("no data.pkl", { TestZip.make([("archive/version", [0x33])]) }, .corrupt, "no <archive>/data.pkl entry"),
        ("duplicate entry", { TestZip.make([("archive/data.pkl", P.stateDict()), ("archive/data.pkl", P.stateDict())]) }, .corrupt, "appears twice"),
        ("central directory past the end", {
            var b = TestZip.checkpoint(pickle: P.stateDict(), storages: ["0": P.fourFloats])
            b.replaceSubrange((b.count - 6)..<(b.count - 2), with: TestZip.le32(1 << 30))
            return b
        }, .corrupt, "runs past the end"),
        ("storage entry missing", { TestZip.checkpoint(pickle: P.stateDict()) }, .corrupt, "tensor 'w': its storage entry 'archive/data/0' is missing"),
        ("storage shorter than its numel", { TestZip.checkpoint(pickle: P.stateDict(numel: 5), storages: ["0": P.fourFloats]) }, .corrupt, "fewer than 5 × 4"),
        ("view past its storage", { TestZip.checkpoint(pickle: P.stateDict(offset: 1), storages: ["0": P.fourFloats]) }, .corrupt, "reaches element 4 of a 4-element storage"),
        ("strided view past its storage", { TestZip.checkpoint(pickle: P.stateDict(stride: [3, 1]), storages: ["0": P.fourFloats]) }, .corrupt, "reaches element 4"),
        ("negative stride", { TestZip.checkpoint(pickle: P.stateDict(stride: [-2, 1]), storages: ["0": P.fourFloats]) }, .corrupt, "negative offset, size or stride"),
        ("negative storage offset", { TestZip.checkpoint(pickle: P.stateDict(offset: -1), storages: ["0": P.fourFloats]) }, .corrupt, "negative offset"),
        ("size and stride ranks differ", { TestZip.checkpoint(pickle: P.stateDict(stride: [1]), storages: ["0": P.fourFloats]) }, .corrupt, "differ in rank"),
        ("size product overflows", {
            TestZip.checkpoint(pickle: P.stateDict(size: [Int(Int32.max), Int(Int32.max), Int(Int32.max)], stride: [0, 0, 0]), storages: ["0": P.fourFloats])
        }, .corrupt, "overflows"),
        ("unsupported storage type", {
            TestZip.checkpoint(pickle: P.pickle(P.dict([(P.str("w"), P.tensor("0", type: "ComplexFloatStorage", numel: 2, size: [2], stride: [1]))])),
                               storages: ["0": P.fourFloats])
        }, .dtype, ""),
        ("persistent id that is not a storage", { TestZip.checkpoint(pickle: P.pickle(P.int(1) + [0x51])) }, .unsupported, "persistent id"),
        ("text-protocol opcode", { TestZip.checkpoint(pickle: P.pickle(Array("I1\n".utf8))) }, .unsupported, "opcode 0x49 'I'"),
        ("pickle protocol 6", { TestZip.checkpoint(pickle: [0x80, 6, 0x7D, 0x2E]) }, .unsupported, "pickle protocol 6"),
        ("stack underflow", { TestZip.checkpoint(pickle: P.pickle([0x52])) }, .corrupt, "stack underflow"),
        ("pop below MARK", { TestZip.checkpoint(pickle: P.pickle([0x7D, 0x28, 0x85])) }, .corrupt, "below the current MARK"),
        ("memo GET never PUT", { TestZip.checkpoint(pickle: P.pickle([0x68, 7])) }, .corrupt, "memo GET 7 was never PUT"),
        ("string past the end", { TestZip.checkpoint(pickle: [0x80, 2, 0x58, 0xE8, 0x03, 0, 0, 0x61]) }, .corrupt, "runs past the end of data.pkl"),
        ("invalid UTF-8", { TestZip.checkpoint(pickle: P.pickle([0x8C, 2, 0xC3, 0x28])) }, .corrupt, "not valid UTF-8"),
        ("no STOP", { TestZip.checkpoint(pickle: [0x80, 2, 0x7D]) }, .corrupt, "runs past the end of data.pkl"),
        ("two values at STOP", { TestZip.checkpoint(pickle: P.pickle([0x7D, 0x7D])) }, .corrupt, "STOP with 2 values"),
        ("SETITEMS with an odd count", { TestZip.checkpoint(pickle: P.pickle([0x7D, 0x28] + P.str("a") + [0x75])) }, .corrupt, "odd number"),
        ("lists nested 150 deep", { TestZip.checkpoint(pickle: deepList) }, .unsupported, "deeper than 100"),
        ("tuples nested 150 deep", { TestZip.checkpoint(pickle: deepTuple) }, .unsupported, "deeper than 100"),
        ("a cycle", { TestZip.checkpoint(pickle: cycle) }, .unsupported, "recursive data"),
        ("top level is a list", { TestZip.checkpoint(pickle: P.pickle([0x5D])) }, .noStateDict, "a list"),
        ("non-string key", { TestZip.checkpoint(pickle: P.pickle(P.dict([(P.int(1), P.int(2))]))) }, .noStateDict, "not a str"),
        ("state dict with a non-tensor", {
            TestZip.checkpoint(pickle: P.pickle(P.dict([(P.str("epoch"), P.int(3)), (P.str("w"), P.tensor("0", numel: 4, size: [4], stride: [1]))])),
                               storages: ["0": P.fourFloats])
        }, .noStateDict, "'epoch' (an int)"),
        ("module. prefix collides", {
            let t = P.tensor("0", numel: 4, size: [4], stride: [1])
            return TestZip.checkpoint(pickle: P.pickle(P.dict([(P.str("module.w"), t), (P.str("w"), t)])), storages: ["0": P.fourFloats])
        }, .corrupt, "the key 'w' appears twice"),
        ("tensor with wrong arguments", {
            TestZip.checkpoint(pickle: P.pickle(P.dict([(P.str("w"), P.call(P.global("torch._utils", "_rebuild_tensor_v2"), [P.int(1)]))])))
        }, .corrupt, "not (storage, offset, size, stride"),
    ]

    @Test("every malformed file is a typed error naming the file and saying what is wrong, never a crash", arguments: 0..<malformed.count)
    func malformedFiles(index: Int) throws {
        let c = Self.malformed[index]
        let folder = try Fixtures.temporaryFolder("pt")
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("bad.pt").path
        do {
            _ = try PTFixture.open(try c.bytes(), in: folder, name: "bad.pt")
            Issue.record("\(c.name): opened without error")
        } catch let e as WeightsError {
            #expect(e.subject == path, "\(c.name)")
            #expect(c.detail.isEmpty || ErrorReport.line(for: e).contains(c.detail), "\(c.name): \(e)")
            switch (e, c.kind) {
            case (.corruptPyTorch, .corrupt): #expect(e.exitCode == .corrupt)
            case (.unsupportedPyTorch, .unsupported), (.legacyPyTorchFormat, .legacy), (.torchScriptArchive, .torchScript):
                #expect(e.exitCode == .unsupported)
            case (.noStateDict, .noStateDict): #expect(e.exitCode == .badInput)
            case (.unsupportedDType(_, let key, let dtype), .dtype): #expect(key == "w" && dtype == "torch.ComplexFloatStorage")
            default: Issue.record("\(c.name): unexpected error \(e)")
            }
        }
    }

    // MARK: Fuzz

    @Test("seeded mutation fuzz: 2,400 damaged copies of the release-shaped file each open with a WeightsError or read every tensor")
    func mutationFuzz() throws {
        let original = try PTFixture.bytes("laion_release.pt")
        let reference = try PyTorchCheckpoint(contentsOf: PTFixture.url("laion_release.pt"))
        let pickleRange = reference.pickleBytesRange
        let folder = try Fixtures.temporaryFolder("pt-fuzz")
        defer { try? FileManager.default.removeItem(at: folder) }
        var rng = SeededGenerator(state: 20261127)
        var opened = 0, refused = 0, pickleCases = 0
        for i in 0..<2400 {
            var b = original
            // Two thirds of the cases damage data.pkl with its checksum ignored, so the unpickler and the
            // state-dict checks see the damage; the rest damage the zip structure with checksums on.
            let pickleCase = i % 3 != 2
            for _ in 0..<Int.random(in: 1...3, using: &rng) {
                if pickleCase {
                    let at = Int.random(in: pickleRange, using: &rng)
                    switch Int.random(in: 0..<4, using: &rng) {
                    case 0: b[at] = UInt8.random(in: 0...255, using: &rng)
                    case 1: b[at] ^= 1 << UInt8.random(in: 0..<8, using: &rng)
                    case 2: b[at] = [0x28, 0x29, 0x2E, 0x51, 0x52, 0x5D, 0x61, 0x62, 0x68, 0x71, 0x73, 0x74, 0x75, 0x7D, 0x85, 0x4B, 0x58].randomElement(using: &rng)!
                    default: b[at] = UInt8(truncatingIfNeeded: Int(b[at]) + Int.random(in: -3...3, using: &rng))
                    }
                } else {
                    switch Int.random(in: 0..<4, using: &rng) {
                    case 0: b = Array(b.prefix(Int.random(in: 0..<b.count, using: &rng)))
                    case 1: b.append(contentsOf: (0..<Int.random(in: 1...30, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) })
                    case 2 where !b.isEmpty:  // the central directory and end record
                        b[Int.random(in: max(0, b.count - 1200)..<b.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
                    default:
                        if !b.isEmpty { b[Int.random(in: 0..<b.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng) }
                    }
                }
            }
            if pickleCase { pickleCases += 1 }
            do {
                let c = try PTFixture.open(b, in: folder, name: "case-\(i).pt", verifyPickleChecksum: !pickleCase)
                for key in c.keys {
                    let values = try c.float32(key)
                    #expect(values.count == c.elementCount(key)!)
                    if !c.tensors[key]!.dtype.isFloatingPoint { #expect(try c.int64(key).count == values.count) }
                }
                opened += 1
            } catch is WeightsError {
                refused += 1
            }
            try? FileManager.default.removeItem(at: folder.appendingPathComponent("case-\(i).pt"))
        }
        #expect(opened + refused == 2400 && pickleCases == 1600)
        #expect(opened > 100 && refused > 100, "opened \(opened), refused \(refused)")
    }
}
