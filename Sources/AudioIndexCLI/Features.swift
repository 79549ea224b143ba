import ArgumentParser
import AudioIO
import CLAPFrontEnd
import Diagnostics
import FileIO
import Foundation
import Manifest
import NumPyFormat

/// `audio-index features`: one file's CLAP log-mel model input, written as .npy.
struct Features: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "features",
        abstract: "Compute the CLAP log-mel model input of one audio file and write it as a .npy array.",
        discussion: """
            The file is decoded (libsndfile), mixed to mono and resampled to 48 kHz (libsoxr HQ), \
            then run through one of the CLAP front ends (Docs/FrontEnds.md):
              laion          laion_clap 1.1.7 non-fusion: int16 round trip, repeat-pad to 10 s,
                             Slaney mel (librosa bank), float32            → 1001×64
              laion-fusion   laion_clap 1.1.7 fusion: int16 round trip, HTK mel (torchaudio bank),
                             whole-clip view + 3 crops for clips of 10.01 s or more → 4×1001×64
              hf             Hugging Face ClapFeatureExtractor as the model's preprocessor_config.json
                             sets it (no int16 step; rand_trunc → 1001×64, fusion → 4×1001×64)

            The profile is the model's when --model is given: a Hugging Face model folder (with \
            preprocessor_config.json) gives hf with that configuration; laion_clap .pt checkpoints \
            are not supported yet. Without --model the default is laion; --profile hf alone uses the \
            laion/clap-htsat-fused configuration (fusion, 50–14,000 Hz, repeatpad, no top_db).

            Clips longer than 10 s are reduced deterministically (--long-clip; the references crop \
            at random):
              center   the middle 10 s; fusion: the crop at the centre of each third (default)
              start    the first 10 s; fusion: the first crop of each third
              windows  every 10 s window (the last one aligned to the clip's end) → W×1001×64,
                       or W×4×1001×64 for fusion profiles (each window is a 10 s clip)

            The array is float32, little-endian, C order. For one file (--out) a one-line summary \
            (shape, longer flag, policy) goes to stderr.

            With --manifest (Docs/ManifestFormat.md) every clip is processed into --out-dir: one \
            <id>.npy per clip (the id percent-encoded into a file name: characters other than \
            A–Z a–z 0–9 . _ - become %XX, so "sonic-pi/ambi_choir" → "sonic-pi%2Fambi_choir.npy") \
            and summary.jsonl, one object per clip in manifest order: id, path, npy, profile, \
            shape, longer, long_clip, duration_s, error. The same lines go to stdout (--format). \
            A clip that fails is reported on stderr and the others are still processed (exit 1).

            EXAMPLES
              audio-index features song.flac --out song.mel.npy
              audio-index features song.flac --profile laion-fusion --out song.fusion.npy
              audio-index features talk.wav --model models/clap-htsat-unfused --long-clip windows --out talk.npy
              audio-index features --manifest manifests/demo.jsonl --out-dir index/demo-features
            """
    )

    @Argument(help: ArgumentHelp("The audio file (or use --manifest).", valueName: "file"))
    var file: String?

    @Option(help: ArgumentHelp("Front end: laion, laion-fusion or hf. (default: the model's; laion without --model)", valueName: "profile"))
    var profile: ProfileFamily?

    @Option(help: ArgumentHelp("A Hugging Face CLAP model folder; its preprocessor_config.json sets the hf front end.", valueName: "path"))
    var model: String?

    @Option(name: .customLong("long-clip"), help: "How clips longer than 10 s are reduced: center, start or windows.")
    var longClip: LongClipPolicy = .center

    @Option(help: ArgumentHelp("Where to write the .npy array (replaced atomically).", valueName: "path"))
    var out: String?

    @Option(help: ArgumentHelp("A clip manifest (JSONL or CSV) to process instead of one file.", valueName: "manifest"))
    var manifest: String?

    @Option(name: .customLong("out-dir"), help: ArgumentHelp("With --manifest: the folder for the .npy files and summary.jsonl (created if needed).", valueName: "folder"))
    var outDir: String?

    @Option(help: "With --manifest: how each clip's result line is printed on stdout, text or json.")
    var format: OutputFormat = .text

    func validate() throws {
        switch (file, manifest) {
        case (.some, .none):
            guard out != nil else { throw ValidationError("give --out PATH for the .npy array") }
            guard outDir == nil else { throw ValidationError("--out-dir goes with --manifest; for one file use --out") }
        case (.none, .some):
            guard outDir != nil else { throw ValidationError("give --out-dir FOLDER for the manifest's .npy files") }
            guard out == nil else { throw ValidationError("--out is for one file; with --manifest use --out-dir") }
        case (.some, .some):
            throw ValidationError("give either one audio file or --manifest, not both")
        case (.none, .none):
            throw ValidationError("give an audio file (with --out) or --manifest (with --out-dir)")
        }
    }

    func run() throws {
        let frontEnd = try CLAPFrontEnd(profile: .resolve(model: model.map { URL(fileURLWithPath: $0) }, requested: profile))
        if let manifest, let outDir {
            try runManifest(manifest, outDir: outDir, frontEnd: frontEnd)
            return
        }
        guard let file, let out else { return }  // validate() guarantees both
        let (features, seconds) = try Self.compute(file, frontEnd: frontEnd, policy: longClip)
        try NPY.write(NPYArray(shape: features.shape, float32: features.values), to: URL(fileURLWithPath: out))
        StandardError.writeLine("features: \(file) (\(String(format: "%.2f", seconds)) s) → \(out): profile \(features.profile), "
                                + "shape \(Self.shapeText(features.shape)), longer \(Self.longerText(features)), "
                                + "long-clip \(features.cropPlan)")
    }

    /// Decodes one file and runs the front end; returns the features and the clip's length in seconds.
    static func compute(_ path: String, frontEnd: CLAPFrontEnd, policy: LongClipPolicy) throws -> (CLAPFeatures, Double) {
        let samples = try load(path, sampleRate: frontEnd.sampleRate)
        do {
            let features = try frontEnd.features(samples, crop: .policy(policy))
            return (features, Double(samples.count) / Double(frontEnd.sampleRate))
        } catch CLAPFrontEndError.emptyAudio {
            throw CLAPFrontEndError.emptyAudio(source: path)
        }
    }

    static func shapeText(_ shape: [Int]) -> String { shape.map(String.init).joined(separator: "×") }
    static func longerText(_ features: CLAPFeatures) -> String {
        features.segments.map { $0.longer ? "true" : "false" }.joined(separator: ",")
    }

    /// Every clip of the manifest into `outDir`, plus summary.jsonl; per-clip failures are reported
    /// and counted, and make the exit status 1 at the end.
    func runManifest(_ manifest: String, outDir: String, frontEnd: CLAPFrontEnd) throws {
        let entries = try ManifestReader.read(url: URL(fileURLWithPath: manifest))
        let folder = URL(fileURLWithPath: outDir)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        var summary: [String] = []
        var failures = 0
        let progress = ProgressReporter(label: "features", total: entries.count)
        for entry in entries {
            let failuresBefore = failures
            defer { progress.advance(failures: failures - failuresBefore) }
            let name = Self.fileName(forID: entry.id)
            var json = JSONLine()
            json.add("id", entry.id)
            json.add("path", entry.resolvedURL.path)
            do {
                let (features, seconds) = try Self.compute(entry.resolvedURL.path, frontEnd: frontEnd, policy: longClip)
                try NPY.write(NPYArray(shape: features.shape, float32: features.values), to: folder.appendingPathComponent(name))
                json.add("npy", name)
                json.add("profile", features.profile)
                json.add("shape", features.shape)
                json.add("longer", features.longer)
                json.add("long_clip", features.cropPlan)
                json.add("duration_s", seconds)
                json.add("error", nil as String?)
                print(format == .json ? json.text : "\(entry.id): \(name) \(Self.shapeText(features.shape)), longer \(Self.longerText(features))")
            } catch {
                failures += 1
                StandardError.writeLine("audio-index: error: \(entry.id): " + ErrorReport.line(for: error))
                json.add("npy", nil as String?)
                json.add("profile", nil as String?)
                json.add("shape", nil as [Int]?)
                json.add("longer", nil as Bool?)
                json.add("long_clip", longClip.rawValue)
                json.add("duration_s", nil as Double?)
                json.add("error", ErrorReport.line(for: error))
                if format == .json { print(json.text) }
            }
            summary.append(json.text)
        }
        try AtomicFile.write(Array((summary.map { $0 + "\n" }.joined()).utf8), to: folder.appendingPathComponent("summary.jsonl"))
        progress.finish()
        StandardError.writeLine("features: \(entries.count - failures) of \(entries.count) clips → \(outDir) (summary.jsonl)")
        if failures > 0 { throw ExitCode(ProcessExitCode.someInputsFailed.rawValue) }
    }

    /// A manifest id as a file name: A–Z a–z 0–9 . _ - kept, every other UTF-8 byte as %XX (so
    /// no id can name a path outside the folder, and distinct ids give distinct names); ".npy" added.
    static func fileName(forID id: String) -> String {
        let safe = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-".utf8)
        var name = ""
        for byte in id.utf8 {
            if safe.contains(byte) { name.unicodeScalars.append(UnicodeScalar(byte)) } else { name += String(format: "%%%02X", byte) }
        }
        // "." and ".." alone would be folder names; a leading dot would hide the file.
        if name.hasPrefix(".") { name = "%2E" + name.dropFirst() }
        return name + ".npy"
    }

    /// Decoded, mono, at the front end's rate (48 kHz for every CLAP model: `AudioLoader`).
    static func load(_ path: String, sampleRate: Int) throws -> [Float] {
        if sampleRate == Resampler.targetRate { return try AudioLoader.load48kMono(path: path).samples }
        let decoded = try AudioDecoder.decode(path: path)
        return try Resampler.resample(Downmix.mono(decoded), from: decoded.sampleRate, to: sampleRate)
    }
}

extension ProfileFamily: ExpressibleByArgument {}
extension LongClipPolicy: ExpressibleByArgument {}
