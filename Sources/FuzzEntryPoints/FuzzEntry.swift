import AudioIO
import Catalog
import Foundation
import Manifest
import Shards
import Synchronization
import Tokenizer
import VectorIndex
import Weights

/// The fuzz targets' bodies, one per reader (issue 7 items 4 and 6). The libFuzzer executables of
/// Fuzz/ call these with libFuzzer's inputs; the readers' own test suites (`FuzzCorpusReplayTests`)
/// call them with every committed corpus file in Fuzz/corpus/<target>, so `swift test` — and its
/// AddressSanitizer run in CI — replays each corpus through exactly the entry point the fuzzer uses.
/// Each body's oracle is stronger than "does not crash": the reader answers, or throws its own typed
/// error; anything else is a `preconditionFailure` (a fuzz finding, a crashed test).
public enum FuzzEntry {
    /// Target name (the Fuzz/ executable and its corpus folder) → entry point.
    public static let targets: [String: @Sendable ([UInt8]) -> Void] = [
        "FuzzManifest": manifest, "FuzzSafetensors": safetensors, "FuzzPyTorch": pyTorch,
        "FuzzTokenizer": tokenizer, "FuzzVectorSegment": vectorSegment, "FuzzShard": shard,
        "FuzzWhereFilter": whereFilter, "FuzzAudioDecode": audioDecode,
    ]

    /// Manifest reader (JSONL and CSV, our own JSON parser): any bytes give entries or a ManifestError.
    /// The first input byte picks the encoding so one corpus covers both.
    @Sendable public static func manifest(_ bytes: [UInt8]) {
        serially {
            let name = (bytes.first ?? 0) & 1 == 0 ? "m.jsonl" : "m.csv"
            let url = scratchFile(name, Array(bytes.dropFirst()))
            expectOnly(ManifestError.self, from: "manifest reader") {
                try ManifestReader.forEach(url: url) { entry in
                    precondition(!entry.id.isEmpty, "a manifest entry with an empty id was accepted")
                }
            }
        }
    }

    /// safetensors reader: any bytes give a validated file whose every tensor converts, or a WeightsError.
    @Sendable public static func safetensors(_ bytes: [UInt8]) {
        serially {
            let url = scratchFile("f.safetensors", bytes)
            expectOnly(WeightsError.self, from: "safetensors reader") {
                let file = try SafetensorsFile(contentsOf: url)
                for key in file.keys {
                    let values = try file.float32(key)
                    precondition(values.count == file.tensors[key]!.elementCount, "\(key): element count differs from shape")
                }
            }
        }
    }

    /// PyTorch zip checkpoints (.pt, pytorch_model.bin): any bytes give a checkpoint whose every tensor
    /// converts to the element count of its shape, or a WeightsError; the pickle is never executed.
    @Sendable public static func pyTorch(_ bytes: [UInt8]) {
        serially {
            let url = scratchFile("f.pt", bytes)
            expectOnly(WeightsError.self, from: "PyTorch checkpoint reader") {
                let checkpoint = try PyTorchCheckpoint(contentsOf: url)
                for key in checkpoint.keys {
                    guard let info = checkpoint.tensors[key] else { preconditionFailure("\(key) listed without a tensor") }
                    let count = info.dtype.isFloatingPoint ? try checkpoint.float32(key).count : try checkpoint.int64(key).count
                    precondition(count == info.elementCount, "\(key): \(count) values for shape \(info.shape)")
                }
            }
        }
    }

    /// The GPT-2 byte-level BPE (the committed fixture folder) on arbitrary bytes as text: every id is in
    /// the vocabulary, truncation holds, and without special tokens the ids decode back to the text.
    @Sendable public static func tokenizer(_ bytes: [UInt8]) {
        let maxLength = Int(bytes.first ?? 0) % 80
        let text = String(decoding: bytes.dropFirst(), as: UTF8.self)
        do {
            let bounded = try bpe.encode(text, maxLength: maxLength)
            precondition(bounded.ids.count <= maxLength, "truncation to \(maxLength) gave \(bounded.ids.count) ids")
        } catch is TokenizerError {
            precondition(maxLength < 2, "maxLength \(maxLength) refused")
        } catch {
            preconditionFailure("untyped error from the tokenizer: \(error)")
        }
        guard let plain = try? bpe.encode(text, addSpecialTokens: false) else {
            preconditionFailure("encoding without a length limit failed")
        }
        for id in plain.ids { precondition(bpe.token(for: id) != nil, "id \(id) has no piece") }
        if !text.contains("<") {  // added tokens (`<mask>` strips spaces to its left) are not byte round trips
            precondition(bpe.decode(plain.ids) == text, "decode(encode(text)) differs for \(Array(text.utf8))")
        }
    }

    /// A one-segment index whose segment file is replaced by the input: opening, searching (single and
    /// batched, with and without a filter) and `verify` give answers or a VectorIndexError, never a crash,
    /// and the fast search agrees in length with the slow twin.
    @Sendable public static func vectorSegment(_ bytes: [UInt8]) {
        serially {
            let index = segmentIndex
            let segment = index.appendingPathComponent("seg-1.vseg")
            _ = FileManager.default.createFile(atPath: segment.path, contents: Data(bytes))
            expectOnly(VectorIndexError.self, from: "index reader") {
                let opened = try VectorIndex.open(directory: index)
                for qs in [segmentQueries, Array(segmentQueries[0..<6])] {
                    for allowed in [nil, Set<Int64>([0, 5, 55, 115])] {
                        let fast = opened.search(queries: qs, k: 4, allowedIDs: allowed)
                        let slow = opened.referenceSearch(queries: qs, k: 4, allowedIDs: allowed)
                        precondition(fast.ids.count == slow.ids.count, "fast and slow searches return different shapes")
                    }
                }
                try opened.verify()
            }
        }
    }

    /// Tar reader + webdataset grouping + LAION JSON: any bytes give clips and problems, or a ShardError.
    /// Every clip delivered must point inside the file and read back through its locator.
    @Sendable public static func shard(_ bytes: [UInt8]) {
        serially {
            let url = scratchFile("shard.tar", bytes)
            expectOnly(ShardError.self, from: "shard reader") {
                try LAIONShardReader().forEachClip(shard: url, clip: { clip in
                    let member = clip.archiveMember!
                    precondition(member.payloadOffset >= 512 && member.payloadOffset + member.size <= Int64(bytes.count),
                                 "a locator outside the archive")
                    precondition(!member.name.hasPrefix("/") && !member.name.split(separator: "/").contains(".."), "an unsafe name")
                    _ = try ArchiveMemberReader.payload(archive: url, member: member)
                }, problem: { _ in })
            }
        }
    }

    /// --where parser: any text gives a filter or a FilterError (never a crash or unbounded recursion), and
    /// an accepted filter renders with exactly one bound value per placeholder and no literal text.
    @Sendable public static func whereFilter(_ bytes: [UInt8]) {
        let text = String(decoding: bytes, as: UTF8.self)
        expectOnly(FilterError.self, from: "--where parser") {
            let filter = try CatalogFilter(text)
            let (sql, values) = filter.sqlAndValues()
            let placeholders = sql.filter { $0 == "?" }.count
            precondition(placeholders == values.count, "placeholders and bound values differ")
            precondition(!sql.contains(";") && !sql.contains("--") && !sql.contains("'"), "literal text reached the SQL")
        }
    }

    /// Our audio-decoding wrapper (AudioDecoder over libsndfile's virtual I/O, then AudioLoader's downmix
    /// + 48 kHz resample): any bytes give validated audio or an AudioIOError. libsndfile and its codecs
    /// are not instrumented and cannot be fixed here; Scripts/fuzz.sh runs this target with libFuzzer's
    /// `-fork=1 -ignore_crashes=1` so a codec crash is saved and counted (RELIABILITY.md), while `build`
    /// meets such files through its decode workers. A failed precondition here is a finding in our code.
    @Sendable public static func audioDecode(_ bytes: [UInt8]) {
        expectOnly(AudioIOError.self, from: "audio decoder") {
            let audio = try AudioDecoder.decode(bytes: bytes, name: "fuzz")
            precondition(audio.frames > 0 && audio.channels > 0, "decoded audio without frames or channels")
            precondition(AudioIOError.supportedSampleRates.contains(audio.sampleRate), "sample rate \(audio.sampleRate) accepted")
            precondition(audio.samples.allSatisfy(\.isFinite), "a non-finite sample was accepted")
            guard audio.duration < 30 else { return }   // keep each input fast
            let clip = try AudioLoader.prepare(audio)
            precondition(clip.samples.allSatisfy(\.isFinite), "resampling produced a non-finite sample")
        }
    }

    // MARK: Shared state

    /// The repository root (this file is Sources/FuzzEntryPoints/FuzzEntry.swift), for fixtures.
    public static let repositoryRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// Entry points that go through files share one scratch folder; tests call them from parallel tasks.
    private static let gate = Mutex<Void>(())

    private static func serially(_ body: () -> Void) {
        gate.withLock { _ in body() }
    }

    /// A per-process scratch folder in memory-backed /dev/shm (the readers under test take file paths).
    private static let scratch: URL = {
        let base = FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory()
        let url = URL(fileURLWithPath: base).appendingPathComponent("audio-index-fuzz-\(getpid())")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        atexit { try? FileManager.default.removeItem(at: FuzzEntry.scratch) }
        return url
    }()

    /// Writes `bytes` to `name` in the scratch folder (replacing it) and returns its URL.
    private static func scratchFile(_ name: String, _ bytes: [UInt8]) -> URL {
        let url = scratch.appendingPathComponent(name)
        _ = FileManager.default.createFile(atPath: url.path, contents: Data(bytes))
        return url
    }

    private static let bpe: ByteLevelBPETokenizer = {
        do {
            return try ByteLevelBPETokenizer(folder: repositoryRoot.appendingPathComponent("Tests/Fixtures/tokenizer/gpt2-roberta"))
        } catch {
            fatalError("FuzzTokenizer needs Tests/Fixtures/tokenizer/gpt2-roberta: \(error)")
        }
    }()

    /// The index whose segment the vector-segment target replaces: 24 seeded 6-d vectors, ids 0, 5, … 115.
    private static let segmentIndex: URL = {
        let url = scratch.appendingPathComponent("idx")
        var state: UInt64 = 42
        let vectors: [Float] = (0..<(24 * 6)).map { _ in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Float(Int64(bitPattern: state >> 11) % 2001 - 1000) / 1000
        }
        do {
            _ = try VectorIndexWriter.build(directory: url, dimension: 6, metric: .ip, vectors: vectors,
                                            ids: (0..<24).map { Int64($0 * 5) })
        } catch {
            fatalError("cannot build the seed index: \(error)")
        }
        // The committed seed (Fuzz/corpus/FuzzVectorSegment/pristine) is this segment, written with
        // AUDIO_INDEX_FUZZ_SEED_OUT=FILE; a seed from another index would fail the generation's checks.
        if let out = ProcessInfo.processInfo.environment["AUDIO_INDEX_FUZZ_SEED_OUT"] {
            try? FileManager.default.copyItem(at: url.appendingPathComponent("seg-1.vseg"), to: URL(fileURLWithPath: out))
        }
        return url
    }()

    private static let segmentQueries: [Float] = (0..<(9 * 6)).map { Float(($0 * 7919) % 13) / 13 - 0.5 }

    /// Runs `body`; an error of the reader's own typed error `E` is an accepted outcome, any other error
    /// is a finding (the CLI could not map it to an exit code and a message naming the file).
    private static func expectOnly<E: Error>(_ errorType: E.Type, from reader: String, _ body: () throws -> Void) {
        do {
            try body()
        } catch is E {
        } catch {
            preconditionFailure("untyped error from the \(reader): \(error)")
        }
    }
}
