import ArgumentParser
import AudioIO
import Diagnostics
import Foundation

/// `audio-index bench decode`: decode throughput per format and HQ resampling throughput.
struct BenchDecode: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "decode",
        abstract: "Benchmark decoding (libsndfile) and resampling to 48 kHz (libsoxr HQ).",
        discussion: """
            Writes a generated signal (pink-ish noise plus a 440 Hz tone; 48 kHz stereo, --seconds \
            long) as WAV PCM_16, FLAC PCM_16, FLAC PCM_24, Ogg Vorbis, Ogg Opus and MP3, then times \
            AudioDecoder.decode (open, read to the end, NaN/Inf check) on each. Resampling is timed \
            on mono float input at 44.1 kHz and 16 kHz (Resampler.resample to 48 kHz, librosa's \
            length). Throughput is input samples (frames × channels) per second, from the median \
            of --runs timed runs after one warm-up run. Everything runs on the calling thread.

            The files stay in --folder when one is given, so other tools can read the same input \
            (Scripts/bench/bench_decode.py does).

            EXAMPLES
              swift build -c release
              .build/release/audio-index bench decode
              .build/release/audio-index bench decode --folder /tmp/bench --format json
            """
    )

    @Option(help: "Keep the generated files in this folder (created if needed). (default: a temporary folder, removed afterwards)")
    var folder: String?

    @Option(help: "Timed runs per case; the median is reported.")
    var runs = 7

    @Option(help: "Length of the generated signal, in seconds.")
    var seconds = 10

    @Option(help: "Output format: text (a table) or json (one object per case and line).")
    var format: OutputFormat = .text

    func validate() throws {
        guard runs >= 1 else { throw ValidationError("--runs must be at least 1") }
        guard (1...600).contains(seconds) else { throw ValidationError("--seconds must be between 1 and 600") }
    }

    /// The decode cases: label, file name, container, encoding.
    static let decodeCases: [(String, String, AudioContainer, AudioEncoding)] = [
        ("WAV16", "bench-wav16.wav", .wav, .pcm16),
        ("FLAC16", "bench-flac16.flac", .flac, .pcm16),
        ("FLAC24", "bench-flac24.flac", .flac, .pcm24),
        ("Vorbis", "bench-vorbis.ogg", .ogg, .vorbis),
        ("Opus", "bench-opus.opus", .ogg, .opus),
        ("MP3", "bench-mp3.mp3", .mp3, .mpegLayerIII),
    ]

    /// The resampling cases: label, file name, source rate (mono float WAV).
    static let resampleCases: [(String, String, Int)] = [
        ("resample 44.1k->48k", "bench-resample-44100.wav", 44_100),
        ("resample 16k->48k", "bench-resample-16000.wav", 16_000),
    ]

    func run() throws {
        let workFolder: URL
        if let folder {
            workFolder = URL(fileURLWithPath: folder)
            try FileManager.default.createDirectory(at: workFolder, withIntermediateDirectories: true)
        } else {
            workFolder = FileManager.default.temporaryDirectory.appendingPathComponent("audio-index-bench-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: workFolder, withIntermediateDirectories: true)
        }
        defer { if folder == nil { try? FileManager.default.removeItem(at: workFolder) } }

        StandardError.writeLine("bench decode: \(libsndfileVersion), \(Resampler.libsoxrVersion); \(seconds) s signal, \(runs) runs; files in \(workFolder.path)")
        var results: [(label: String, file: String, samples: Int, median: Double)] = []

        let stereo = Self.signal(frames: 48_000 * seconds, channels: 2, sampleRate: 48_000)
        for (label, name, container, encoding) in Self.decodeCases {
            let path = workFolder.appendingPathComponent(name).path
            guard AudioFileWriter.canWrite(container, encoding, sampleRate: 48_000, channels: 2) else {
                StandardError.warn("\(label): this libsndfile cannot write \(container.rawValue) \(encoding.rawValue); skipped")
                continue
            }
            try AudioFileWriter.write(float: stereo, channels: 2, sampleRate: 48_000, container: container, encoding: encoding, to: path)
            var samples = 0
            let median = try BenchTiming.medianSeconds(runs: runs) {
                samples = try AudioDecoder.decode(path: path).samples.count
            }
            results.append((label, path, samples, median))
        }

        for (label, name, rate) in Self.resampleCases {
            let path = workFolder.appendingPathComponent(name).path
            try AudioFileWriter.write(float: Self.signal(frames: rate * seconds, channels: 1, sampleRate: rate), channels: 1,
                                      sampleRate: rate, container: .wav, encoding: .float, to: path)
            let mono = try AudioDecoder.decode(path: path).samples
            let median = try BenchTiming.medianSeconds(runs: runs) { _ = try Resampler.resample(mono, from: rate) }
            results.append((label, path, mono.count, median))
        }

        switch format {
        case .text:
            print("case                 input samples   median ms   Msamples/s   x realtime")
            for r in results {
                let rate = Double(r.samples) / r.median
                let realtime = Double(seconds) / r.median
                print(r.label.padding(toLength: 20, withPad: " ", startingAt: 0)
                      + String(format: "%15d%12.2f%13.1f%13.0f", r.samples, r.median * 1e3, rate / 1e6, realtime))
            }
        case .json:
            for r in results {
                var json = JSONLine()
                json.add("case", r.label)
                json.add("file", r.file)
                json.add("samples", r.samples)
                json.add("runs", runs)
                json.add("median_s", r.median)
                json.add("samples_per_s", Double(r.samples) / r.median)
                print(json.text)
            }
        }
    }


    /// Deterministic test material: a 440 Hz tone plus low-passed noise (a one-pole filter on a
    /// 32-bit LCG), each channel with its own noise, peak below 0.9 (FLAC refuses to encode floats beyond full scale). Compressible like real audio,
    /// unlike white noise, so the lossy and FLAC encoders do representative work.
    static func signal(frames: Int, channels: Int, sampleRate: Int) -> [Float] {
        var out = [Float](repeating: 0, count: frames * channels)
        var state: UInt32 = 0x1234_5678
        var smooth = [Float](repeating: 0, count: channels)
        for f in 0..<frames {
            let tone = Float(0.25 * sin(2 * Double.pi * 440 * Double(f) / Double(sampleRate)))
            for c in 0..<channels {
                state = state &* 1_664_525 &+ 1_013_904_223
                let white = Float(Int32(bitPattern: state)) / Float(Int32.max)
                smooth[c] = 0.95 * smooth[c] + 0.05 * white
                out[f * channels + c] = tone + 1.5 * smooth[c]
            }
        }
        return out
    }
}
