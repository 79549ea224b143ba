import ArgumentParser
import AudioIO
import CLAPFrontEnd
import Diagnostics
import FileIO
import Foundation
import LinearAlgebra
import NumPyFormat
import Pipeline

extension IndexLongClipPolicy: ExpressibleByArgument {}

/// The audio input of `embed`.
struct AudioEmbedOptions: ParsableArguments {
    @Option(name: .customLong("audio"), parsing: .upToNextOption,
            help: ArgumentHelp("Audio files to embed (rows keep this order).", valueName: "file"))
    var files: [String] = []

    @Option(help: ArgumentHelp("Front-end profile: \(ProfileFamily.allCases.map(\.rawValue).joined(separator: ", ")). (default: the model's own)", valueName: "profile"))
    var profile: ProfileFamily?

    @Option(help: ArgumentHelp("Clips longer than 10 s: center (the middle 10 s), start (the first 10 s), windows (every 10 s window, mean of their embeddings).", valueName: "policy"))
    var longClip: IndexLongClipPolicy = .center

    @Option(help: "Clips per encoder call; the rows do not depend on it.")
    var batch: Int = 8

    func validate() throws {
        if batch < 1 { throw ValidationError("--batch must be at least 1, got \(batch)") }
        if longClip == .segments { throw ValidationError("--long-clip segments stores one vector per window and exists for build/add only; embed takes center, start or windows") }
    }

    func run(_ options: EmbedOptions) throws {
        let model = try AudioModel.load(path: options.model, profile: profile)
        if let note = model.note { StandardError.warn(note) }
        if model.encoder.configuration.enableFusion && longClip != .center {
            throw ValidationError("a fusion model takes --long-clip center only (its long-clip path is the fused crops)")
        }
        BLAS.setThreadCount(1)
        let d = model.dimension
        let progress = ProgressReporter(label: "embed", total: files.count)
        var rows: [Float] = []
        var failures: [String] = []
        for start in stride(from: 0, to: files.count, by: batch) {
            let chunk = Array(files[start..<min(start + batch, files.count)])
            let results: [Result<[Float], PipelineFailure>] = try parallelMap(count: chunk.count, threads: options.threads,
                                                                              makeWorker: { try ClipEmbedder(model: model, policy: longClip) }) { i, embedder in
                embedder.embedFile(path: chunk[i])
            }
            for (i, r) in results.enumerated() {
                switch r {
                case .success(let v): rows += v
                case .failure(let f):
                    rows += [Float](repeating: .nan, count: d)
                    var line = JSONLine()
                    line.add("index", start + i)
                    line.add("path", chunk[i])
                    line.add("stage", f.stage.rawValue)
                    line.add("error", f.message)
                    failures.append(line.text)
                    StandardError.writeLine("embed: \(chunk[i]): \(f.message)")
                }
            }
            progress.advance(by: chunk.count, failures: results.filter { if case .failure = $0 { return true }; return false }.count)
        }
        progress.finish()
        let out = URL(fileURLWithPath: options.out)
        try NPY.write(NPYArray(shape: [files.count, d], float32: rows), to: out)
        let failuresURL = URL(fileURLWithPath: options.out + ".failures.jsonl")
        if failures.isEmpty {
            try? FileManager.default.removeItem(at: failuresURL)
        } else {
            try AtomicFile.write(Array(failures.map { $0 + "\n" }.joined().utf8), to: failuresURL)
        }
        StandardError.writeLine("embed: \(files.count) clip\(files.count == 1 ? "" : "s") → \(options.out): \(files.count)×\(d) float32, "
                                + "profile \(model.profileName), long clips \(longClip.rawValue)"
                                + (failures.isEmpty ? "" : "; \(failures.count) failed (NaN rows, listed in \(failuresURL.path))"))
        if !failures.isEmpty { throw ExitCode(1) }
    }
}
