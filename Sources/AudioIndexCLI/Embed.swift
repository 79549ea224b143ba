import ArgumentParser
import CLAPText
import Diagnostics
import Foundation
import LinearAlgebra
import NumPyFormat

/// Options every `embed` run shares, whatever the input: the model, where the rows go, the worker count.
/// The input kinds are option groups of their own (`TextEmbedOptions`); exactly one kind is given per run.
struct EmbedOptions: ParsableArguments {
    @Option(help: ArgumentHelp("A Hugging Face ClapModel folder (config.json, model.safetensors, tokenizer files) or a laion_clap checkpoint file (with --tokenizer).", valueName: "path"))
    var model: String

    @Option(help: ArgumentHelp("Where to write the N×D float32 .npy array, one row per input in input order (replaced atomically).", valueName: "path"))
    var out: String

    @Option(help: "Inputs are spread over this many workers; each input's result is the same for any value. (default: 1)")
    var threads: Int = 1

    func validate() throws {
        if threads < 1 { throw ValidationError("--threads must be at least 1, got \(threads)") }
    }
}

/// The text input of `embed`.
struct TextEmbedOptions: ParsableArguments {
    @Option(name: .customLong("text"), help: ArgumentHelp("A text to embed; repeat for more (rows keep this order).", valueName: "text"))
    var texts: [String] = []

    @Option(help: ArgumentHelp("Wrap each text: {} is replaced by the text, e.g. \"{} sound\" as AudioBERT queries. (default: none)", valueName: "template"))
    var template: String?

    @Option(help: ArgumentHelp("A folder with the tokenizer files (tokenizer.json, or vocab.json + merges.txt), for checkpoints that carry none (laion_clap .pt); overrides the model folder's.", valueName: "dir"))
    var tokenizer: String?

    @Option(help: "At most this many tokens per text, <s> and </s> included: 77 as laion_clap, 64 as AudioBERT.")
    var maxLength: Int = CLAPTextEncoder.laionMaxLength

    func validate() throws {
        if let template, template.components(separatedBy: "{}").count != 2 {
            throw ValidationError("--template must contain {} exactly once, got \"\(template)\"")
        }
        if maxLength < 2 { throw ValidationError("--max-length must be at least 2 (room for <s> and </s>), got \(maxLength)") }
    }

    /// The texts the encoder gets, template applied.
    var queries: [String] {
        guard let template else { return texts }
        return texts.map { template.replacingOccurrences(of: "{}", with: $0) }
    }
}

/// `audio-index embed`: CLAP embeddings of texts, written as .npy.
struct Embed: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "embed",
        abstract: "Compute CLAP embeddings (L2-normalised, one row per input) and write them as a .npy array.",
        discussion: """
            Texts go through the model's RoBERTa byte-level BPE tokenizer (truncated to --max-length, \
            never padded: only the real tokens are run, which gives the padded reference's result), \
            RoBERTa, its pooler and text_projection, then L2 normalisation, as laion_clap's \
            get_text_embedding and transformers' ClapModel.get_text_features compute them. Scores \
            against audio embeddings are dot products.

            Models: a Hugging Face ClapModel folder is read with its own config.json (layer-norm \
            epsilon 1e-12 in every HF CLAP config) and tokenizer files. A laion_clap checkpoint has \
            no tokenizer: give --tokenizer DIR (roberta-base's vocab.json + merges.txt); its \
            architecture follows from the tensor shapes, with laion_clap's epsilon 1e-5. Loading is \
            strict: a missing, unexpected or wrong-shaped tensor is an error naming the key.

            Every input's row is the same bits whatever the other inputs and --threads are.

            Audio files are decoded, mixed to mono and resampled to 48 kHz, then go through the front \
            end of --profile (default: the model's own — a Hugging Face folder uses hf with its \
            preprocessor_config.json, a fused laion_clap checkpoint laion-fusion, any other laion) and \
            the HTSAT audio tower. A profile that does not fit the model is refused. Clips longer \
            than 10 s follow --long-clip. A clip that cannot be decoded gets a row of NaN, is listed \
            in OUT.failures.jsonl with the reason, and the exit code is 1.

            EXAMPLES
              audio-index embed --model models/clap-htsat-unfused --audio dog.wav rain.flac --out a.npy
              audio-index embed --model 630k-audioset-best.pt --audio long.flac --long-clip windows --threads 2 --out a.npy
              audio-index embed --model models/clap-htsat-unfused --text "a dog barking" --out q.npy
              audio-index embed --model clap --text dog --text rain --template "{} sound" --max-length 64 --out q.npy
              audio-index embed --model 630k-best.pt --tokenizer roberta-base --text "church bells" --out q.npy

            OUTPUT
              The .npy array: float32, little-endian, C order, N×D (D = 512 for released models).
              A one-line summary (rows, width, model fingerprint) goes to stderr.
            """
    )

    @OptionGroup var options: EmbedOptions
    @OptionGroup(title: "Text input") var text: TextEmbedOptions
    @OptionGroup(title: "Audio input") var audio: AudioEmbedOptions

    func validate() throws {
        if text.texts.isEmpty && audio.files.isEmpty { throw ValidationError("give --audio FILE... or --text TEXT... to embed") }
        if !text.texts.isEmpty && !audio.files.isEmpty { throw ValidationError("give either --audio or --text, not both (one .npy holds one kind of embedding)") }
    }

    func run() throws {
        if !audio.files.isEmpty { return try audio.run(options) }
        let model = URL(fileURLWithPath: options.model)
        let encoder = try CLAPTextEncoder.load(model: model, tokenizer: text.tokenizer.map { URL(fileURLWithPath: $0) })
        // Workers each run whole queries; BLAS stays on one thread so no query's bits depend on the split.
        BLAS.setThreadCount(1)
        let rows = try encoder.embed(texts: text.queries, maxLength: text.maxLength, threads: options.threads)
        try NPY.write(NPYArray(shape: [rows.count, encoder.dimension], float32: rows.flatMap { $0 }),
                      to: URL(fileURLWithPath: options.out))
        StandardError.writeLine("embed: \(rows.count) text\(rows.count == 1 ? "" : "s") → \(options.out): "
                                + "\(rows.count)×\(encoder.dimension) float32, \(encoder.fingerprint)")
    }
}
