import ArgumentParser
import AudioIO
import CLAPFrontEnd
import Diagnostics
import Foundation
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

            The array is float32, little-endian, C order. A one-line summary (shape, longer flag, \
            policy) goes to stderr.

            EXAMPLES
              audio-index features song.flac --out song.mel.npy
              audio-index features song.flac --profile laion-fusion --out song.fusion.npy
              audio-index features talk.wav --model models/clap-htsat-unfused --long-clip windows --out talk.npy
            """
    )

    @Argument(help: ArgumentHelp("The audio file.", valueName: "file"))
    var file: String

    @Option(help: ArgumentHelp("Front end: laion, laion-fusion or hf. (default: the model's; laion without --model)", valueName: "profile"))
    var profile: ProfileFamily?

    @Option(help: ArgumentHelp("A Hugging Face CLAP model folder; its preprocessor_config.json sets the hf front end.", valueName: "path"))
    var model: String?

    @Option(name: .customLong("long-clip"), help: "How clips longer than 10 s are reduced: center, start or windows.")
    var longClip: LongClipPolicy = .center

    @Option(help: ArgumentHelp("Where to write the .npy array (replaced atomically).", valueName: "path"))
    var out: String

    func run() throws {
        let frontEnd = try CLAPFrontEnd(profile: .resolve(model: model.map { URL(fileURLWithPath: $0) }, requested: profile))
        let samples = try Self.load(file, sampleRate: frontEnd.sampleRate)
        let features: CLAPFeatures
        do {
            features = try frontEnd.features(samples, crop: .policy(longClip))
        } catch CLAPFrontEndError.emptyAudio {
            throw CLAPFrontEndError.emptyAudio(source: file)
        }
        try NPY.write(NPYArray(shape: features.shape, float32: features.values), to: URL(fileURLWithPath: out))
        let seconds = Double(samples.count) / Double(frontEnd.sampleRate)
        StandardError.writeLine("features: \(file) (\(String(format: "%.2f", seconds)) s) → \(out): profile \(features.profile), "
                                + "shape \(features.shape.map(String.init).joined(separator: "×")), "
                                + "longer \(features.segments.map { $0.longer ? "true" : "false" }.joined(separator: ",")), "
                                + "long-clip \(features.cropPlan)")
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
