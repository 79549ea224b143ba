import ArgumentParser
import CLAPFrontEnd
import Diagnostics
import Foundation
import Pipeline

/// The options `build` and `add` share.
struct IndexWriteOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The index directory (DIR/vectors + DIR/catalog.sqlite).", valueName: "dir"))
    var index: String

    @Option(help: ArgumentHelp("A Hugging Face ClapModel folder or a laion_clap checkpoint (.pt). add: must match the index's model fingerprint.", valueName: "path"))
    var model: String

    @Option(help: ArgumentHelp("Tokenizer folder recorded for text queries (laion_clap checkpoints carry none). (default: none)", valueName: "dir"))
    var tokenizer: String?

    @Option(help: ArgumentHelp("A clip manifest, JSONL or CSV (Docs/ManifestFormat.md).", valueName: "file"))
    var manifest: String?

    @Option(help: ArgumentHelp("LAION-Audio-630K webdataset .tar shards, a quoted glob; read in place, never unpacked.", valueName: "glob"))
    var shards: String?

    @Option(help: ArgumentHelp("A folder of audio files (recursive; captions from file names).", valueName: "dir"))
    var dir: String?

    @Option(help: ArgumentHelp("Front-end profile: laion, laion-fusion or hf. (default: the model's own)", valueName: "profile"))
    var profile: ProfileFamily?

    @Option(help: ArgumentHelp("Clips longer than 10 s: center, start, windows (mean of the 10 s windows) or segments (one vector per 10 s window with its start time).", valueName: "policy"))
    var longClip: IndexLongClipPolicy = .center

    @Option(help: ArgumentHelp("Index only part i of N (0-based): shard files, manifest lines or folder files whose position modulo N is i. Each part is its own flat index; join them with merge.", valueName: "i/N"))
    var shard: String?

    @Flag(help: "Retry the clips recorded in the failures table.")
    var retryFailed = false

    @Option(help: "Total CPU budget: this many workers each decode and embed whole clips, BLAS on one thread each.")
    var threads: Int = 1

    @Option(help: .hidden) var commitClips: Int = 256

    @Flag(help: "Decode audio in this process instead of in isolated worker processes. Saves a process per thread; a codec crash or hang on a hostile file then stops the whole build. (default: isolated)")
    var decodeInProcess = false

    /// Per-clip limits of the decode workers (wall seconds, CPU seconds), for tests and odd inputs.
    @Option(help: .hidden) var decodeTimeout: Double = 300
    @Option(help: .hidden) var decodeCpuSeconds: Int = 60

    var input: IndexInput {
        if let manifest { return .manifest(manifest) }
        if let shards { return .shards(shards) }
        return .dir(dir!)
    }

    var shardPart: (index: Int, count: Int)? {
        guard let shard else { return nil }
        let p = shard.split(separator: "/")
        return (Int(p[0])!, Int(p[1])!)
    }

    func validate() throws {
        if [manifest, shards, dir].compactMap({ $0 }).count != 1 { throw ValidationError("give exactly one input: --manifest FILE, --shards GLOB or --dir DIR") }
        if threads < 1 { throw ValidationError("--threads must be at least 1, got \(threads)") }
        if let shard {
            let p = shard.split(separator: "/").map { Int($0) }
            guard p.count == 2, let i = p[0], let n = p[1], n >= 1, (0..<n).contains(i) else {
                throw ValidationError("--shard must be i/N with 0 ≤ i < N, e.g. 0/4; got \(shard)")
            }
        }
    }

    func options(mode: BuildOptions.Mode) -> BuildOptions {
        var o = BuildOptions(modelPath: model, input: input, index: IndexDirectory(index))
        o.mode = mode
        o.tokenizerPath = tokenizer
        o.profile = profile
        o.longClip = longClip
        o.shard = shardPart
        o.retryFailed = retryFailed
        o.threads = threads
        o.commitClips = commitClips
        if !decodeInProcess {
            var isolation = DecodeIsolation(executable: DecodeIsolation.currentExecutable)
            isolation.wallSecondsPerClip = decodeTimeout
            isolation.cpuSecondsPerClip = decodeCpuSeconds
            o.decodeIsolation = isolation
        }
        return o
    }

    func runAndReport(_ options: BuildOptions, format: OutputFormat) throws {
        let builder = try IndexBuilder(options: options)
        let s = try builder.run()
        switch format {
        case .text:
            print("\(options.mode.rawValue): \(s.embedded) embedded, \(s.duplicates) duplicates, \(s.failed) failed, \(s.skipped) already indexed, "
                  + "in \(ProgressReporter.duration(s.seconds)); the index holds \(s.clipsInIndex) clips in \(s.vectors) vectors (generation \(s.generation))")
        case .json:
            var line = JSONLine()
            line.add("embedded", s.embedded); line.add("duplicates", s.duplicates); line.add("failed", s.failed)
            line.add("skipped", s.skipped); line.add("seconds", s.seconds); line.add("clips", s.clipsInIndex)
            line.add("vectors", s.vectors); line.add("generation", Int(s.generation))
            for (stage, seconds) in s.stageSeconds { line.add("seconds_\(stage.rawValue)", seconds) }
            print(line.text)
        }
        let total = s.stageSeconds.reduce(0) { $0 + $1.seconds }
        if total > 0 {
            StandardError.writeLine("\(options.mode.rawValue): thread-seconds per stage: " + s.stageSeconds.map {
                "\($0.stage.rawValue) " + String(format: "%.2f s (%.0f%%)", $0.seconds, 100 * $0.seconds / total)
            }.joined(separator: ", "))
        }
        if s.failed > 0 {
            StandardError.writeLine("\(s.failed) clip\(s.failed == 1 ? "" : "s") failed; they are listed in the catalog's failures table (audio-index info --index \(options.index.url.path)); retry with --retry-failed")
            throw ExitCode(1)
        }
    }
}

enum IndexKind: String, ExpressibleByArgument, CaseIterable { case flat, ivf }

/// `audio-index build`.
struct Build: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "build",
        abstract: "Build (or resume building) an index of CLAP audio embeddings with a SQLite catalog.",
        discussion: """
            Every clip is decoded (its audio hash = SHA-256 of the decoded samples at the native rate, \
            rate and channels), byte-identical audio under several ids is embedded once and the ids \
            share its vector, the rest goes through the model's front end and the HTSAT audio tower. \
            Vectors and catalog are committed together every 256 clips (and at the end of every input \
            file) in the order of Docs/IndexDirectory.md, so a build killed at any moment resumes \
            when run again with the same command and ends with the same index as an uninterrupted one. \
            A clip that fails is recorded in the failures table and the build goes on (exit 1 at the \
            end); --retry-failed retries them. Running a finished build again is a no-op.

            The index records the model fingerprint (audio-tower weights, architecture, profile, \
            --long-clip, dimension); resuming with another model or other inputs is refused naming \
            the difference (use add for more inputs). A second writer is refused with exit 8.

            --kind ivf embeds into flat segments, then trains k-means (seeded, on min(N, 256·nlist) \
            vectors) and assigns every vector to its list as one commit.

            EXAMPLES
              audio-index build --model models/clap-htsat-unfused --manifest clips.jsonl --index idx
              audio-index build --model 630k-audioset-best.pt --shards 'laion630k/train/*.tar' --index idx --threads 2
              audio-index build --model clap --dir ~/sounds --index idx --kind ivf --nlist 256
              audio-index build --model clap --manifest all.jsonl --shard 0/4 --index part0

            OUTPUT
              Progress (clips/s, ETA) on stderr; one summary line on stdout (embedded, duplicates, \
              failed, already indexed, time), or a JSON object with --format json.
            """
    )

    @OptionGroup var write: IndexWriteOptions
    @Option(help: "flat (exact search) or ivf (inverted lists; trained after embedding).")
    var kind: IndexKind = .flat
    @Option(help: ArgumentHelp("IVF lists. (default: about 4·√N)", valueName: "n"))
    var nlist: Int?
    @Option(help: "Summary as text or json.")
    var format: OutputFormat = .text

    func validate() throws {
        if write.shard != nil && kind == .ivf { throw ValidationError("--shard parts are always flat; merge them, then train IVF once (--kind ivf is refused with --shard)") }
        if let nlist, nlist < 1 { throw ValidationError("--nlist must be at least 1") }
    }

    func run() throws {
        var o = write.options(mode: .build)
        o.wantsIVF = kind == .ivf
        o.ivfLists = nlist
        try write.runAndReport(o, format: format)
    }
}

/// `audio-index add`.
struct Add: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add",
        abstract: "Add clips from more inputs to an index built with the same model.",
        discussion: """
            As build, on an existing index: --model must have the index's fingerprint (same \
            audio-tower weights, profile, --long-clip). Clips already present with the same audio are \
            no-ops; an id present with other audio is a failure naming both locators. An IVF index \
            puts the new vectors into its existing lists (retrain to re-cluster).

            EXAMPLES
              audio-index add --index idx --model models/clap-htsat-unfused --manifest more.jsonl
              audio-index add --index idx --model clap --dir new-recordings --threads 2
            """
    )

    @OptionGroup var write: IndexWriteOptions
    @Option(help: "Summary as text or json.")
    var format: OutputFormat = .text

    func run() throws {
        try write.runAndReport(write.options(mode: .add), format: format)
    }
}
