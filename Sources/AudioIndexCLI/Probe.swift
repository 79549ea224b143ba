import ArgumentParser
import AudioIO
import Diagnostics
import Foundation
import Manifest

/// `audio-index probe`: decodes files completely and reports what they are, or why they cannot be used.
struct Probe: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "probe",
        abstract: "Decode audio files and report format, sample rate, channels, frames and duration.",
        discussion: """
            Every file is decoded in full with libsndfile (\(libsndfileVersion)), so the frame count is \
            what decoding produced, not what the header claims. The format is detected from the \
            content, not the extension. A file fails when it is missing, empty, not audio, corrupt, \
            decodes to no frames, holds NaN or Inf samples, or has a native rate outside 5–192 kHz.

            Successes go to stdout; each failure is also reported on stderr. Every file is reported \
            and probing goes on after failures.

            EXAMPLES
              audio-index probe clip.wav song.mp3
              audio-index probe --recursive sounds/ --format json > probe.jsonl
              audio-index probe --manifest manifests/demo.jsonl

            JSON FIELDS (one object per line, in this order)
              path, ok, format ("WAV"), subtype ("PCM_16"), sample_rate, channels,
              frames, duration_s, error (null, or "<reason> (<what to do>)").
              A failure has "ok":false and null in the other fields.

            EXIT STATUS
              0  every file decoded
              1  some failed, or a folder was given without --recursive
            """
    )

    @Argument(help: ArgumentHelp("Audio files, or folders with --recursive.", valueName: "file"))
    var files: [String] = []

    @Option(help: ArgumentHelp("Also probe every clip of a manifest (JSONL or CSV, Docs/ManifestFormat.md); paths resolve against the manifest's folder.", valueName: "manifest"))
    var manifest: String?

    @Flag(help: "Walk folders: every non-hidden file, depth-first in sorted order; symbolic links to folders are not followed. (default: off; a folder is an error)")
    var recursive = false

    @Option(help: "Output format: text (one line per file) or json (one object per line).")
    var format: OutputFormat = .text

    func validate() throws {
        if files.isEmpty && manifest == nil {
            throw ValidationError("give at least one file (or a folder with --recursive, or --manifest FILE)")
        }
    }

    func run() throws {
        var failures = 0
        var seen = 0
        var paths = files
        if let manifest {
            // A manifest that cannot be read is the whole command's failure (thrown, exit 5).
            paths += try ManifestReader.read(url: URL(fileURLWithPath: manifest)).map(\.resolvedURL.path)
        }
        for entry in AudioInputs.expand(paths, recursive: recursive) {
            seen += 1
            switch entry {
            case .failure(let error):
                failures += 1
                report(error, path: error.subject ?? "")
            case .file(let path):
                do {
                    let audio = try AudioDecoder.decode(path: path)
                    print(line(path: path, audio: audio))
                } catch {
                    failures += 1
                    report(error, path: path)
                }
            }
        }
        if seen == 0 { StandardError.warn("no files found in \((files + [manifest].compactMap { $0 }).joined(separator: ", "))") }
        if failures > 0 { throw ExitCode(ProcessExitCode.someInputsFailed.rawValue) }
    }

    private func line(path: String, audio: DecodedAudio) -> String {
        switch format {
        case .text:
            let seconds = String(format: "%.3f", audio.duration)
            return "\(path): \(audio.format.container) \(audio.format.encoding), \(audio.sampleRate) Hz, "
                + "\(audio.channels) ch, \(audio.frames) frames, \(seconds) s"
        case .json:
            var json = JSONLine()
            json.add("path", path)
            json.add("ok", true)
            json.add("format", audio.format.container)
            json.add("subtype", audio.format.encoding)
            json.add("sample_rate", audio.sampleRate)
            json.add("channels", audio.channels)
            json.add("frames", audio.frames)
            json.add("duration_s", audio.duration)
            json.add("error", nil as String?)
            return json.text
        }
    }

    /// stderr always gets the one-line report; json output also gets an object with `"ok":false`.
    private func report(_ error: any Error, path: String) {
        StandardError.report(error)
        guard format == .json else { return }
        var json = JSONLine()
        json.add("path", path)
        json.add("ok", false)
        for key in ["format", "subtype"] { json.add(key, nil as String?) }
        for key in ["sample_rate", "channels", "frames"] { json.add(key, nil as Int?) }
        json.add("duration_s", nil as Double?)
        if let e = error as? any UserFacingError {
            json.add("error", e.reason + (e.hint.map { " (\($0))" } ?? ""))
        } else {
            json.add("error", ErrorReport.line(for: error))
        }
        print(json.text)
    }
}
