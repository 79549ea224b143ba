import ArgumentParser
import Diagnostics
import Foundation
import Weights

/// `audio-index convert`: any checkpoint audio-index reads → one `.safetensors` file.
struct Convert: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "convert",
        abstract: "Convert a checkpoint (.pt, pytorch_model.bin, sharded or single safetensors) to one .safetensors file.",
        discussion: """
            MODEL is a Hugging Face model folder (model.safetensors, model.safetensors.index.json or \
            pytorch_model.bin) or a single file (a laion_clap .pt, a pytorch_model.bin, a .safetensors), \
            recognised by content. PyTorch files are read natively: no Python, and nothing in the \
            pickle is executed (Docs/WeightsFormat.md lists what is accepted).

            Every floating-point tensor is written as F32 under its own key (a laion_clap "module." \
            prefix is already stripped; nothing else is renamed): F16 and BF16 widen exactly, F64 \
            rounds to nearest. Integer buffers the model recomputes (num_batches_tracked, \
            relative_position_index, position_ids, token_type_ids) are left out and listed; any other integer tensor \
            is refused. The checkpoint's scalar metadata (laion_clap epoch, name, …) goes into \
            __metadata__ with "format": "pt" and "converted_from". The output is written to a \
            temporary file beside --out and renamed over it only when complete. A legacy (pre-1.6) \
            torch file must first be re-saved with torch >= 1.6.

            EXAMPLES
              audio-index convert 630k-audioset-best.pt --out 630k-audioset-best.safetensors
              audio-index convert clap-htsat-unfused/ --out clap.safetensors --format json

            OUTPUT (one result)
              text  "wrote OUT: N tensors, B bytes; left out: k1, k2"
              json  {"out", "source", "tensors", "bytes", "skipped": [keys]}

            EXIT STATUS
              0 written; 3–7 the checkpoint could not be read or the output not written (see stderr)
            """
    )

    @Argument(help: ArgumentHelp("A model folder or a checkpoint file.", valueName: "model"))
    var model: String

    @Option(help: ArgumentHelp("The .safetensors file to write (replaced atomically if it exists).", valueName: "file"))
    var out: String

    @Option(help: "Output format: text or json (one object on one line).")
    var format: OutputFormat = .text

    func validate() throws {
        if out.isEmpty { throw ValidationError("--out must name a file") }
    }

    func run() throws {
        let (source, _) = try ModelCheckpoint.openSource(model)
        var metadata = source.metadata
        metadata["format"] = "pt"
        metadata["converted_from"] = (source.path as NSString).lastPathComponent
        let summary = try SafetensorsWriter.write(source, to: URL(fileURLWithPath: out), metadata: metadata)
        switch format {
        case .text:
            let left = summary.skipped.isEmpty ? "" : "; left out: " + summary.skipped.joined(separator: ", ")
            print("wrote \(out): \(summary.written.count) tensors, \(summary.bytes) bytes\(left)")
        case .json:
            var line = JSONLine()
            line.add("out", out)
            line.add("source", source.path)
            line.add("tensors", summary.written.count)
            line.add("bytes", summary.bytes)
            line.add("skipped", summary.skipped)
            print(line.text)
        }
    }
}
