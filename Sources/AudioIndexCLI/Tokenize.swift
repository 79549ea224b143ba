import ArgumentParser
import Diagnostics
import Foundation
import Tokenizer

/// `audio-index tokenize`: shows the ids CLAP's text encoder receives for a text.
struct Tokenize: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenize",
        abstract: "Show the RoBERTa byte-level BPE ids and pieces CLAP's text encoder gets for a text.",
        discussion: """
            The tokenizer is read from a Hugging Face model folder, unchanged: tokenizer.json if the \
            folder has one, else vocab.json + merges.txt (with tokenizer_config.json when present). \
            The ids are identical to Hugging Face tokenizers': GPT-2's pre-tokenisation pattern, merges \
            by rank, <s> … </s> around the text, truncation that keeps <s> and </s>, <pad> (id 1 for \
            RoBERTa) only with --pad.

            laion_clap .pt checkpoints carry no tokenizer: pass --tokenizer DIR, a folder with \
            roberta-base's vocab.json and merges.txt (or tokenizer.json). --tokenizer also overrides the \
            model folder's own files.

            Pieces are byte-level: a leading space shows as Ġ ("Ġdog"), a newline as Ċ. Put -- before \
            a text that starts with "-".

            EXAMPLES
              audio-index tokenize --model clap-htsat-unfused "magpie chirping sound"
              audio-index tokenize --model 630k.pt --tokenizer roberta-base "a dog"
              audio-index tokenize --model clap --max-length 64 --pad --format json "rain"

            OUTPUT (one result per text)
              text  "ids: …", "pieces: …", "attention_mask: …"; a blank line between texts
              json  {"ids": [...], "pieces": [...], "attention_mask": [...]} on one line
            """
    )

    @Option(help: ArgumentHelp("A Hugging Face model folder holding the tokenizer files (tokenizer.json, or vocab.json + merges.txt), or a model file when --tokenizer is given.", valueName: "path"))
    var model: String?

    @Option(help: ArgumentHelp("A folder with the tokenizer files, for models that carry none (laion_clap .pt); overrides the model folder's.", valueName: "dir"))
    var tokenizer: String?

    @Option(help: "At most this many ids, <s> and </s> included: 77 for laion_clap, 64 for AudioBERT's queries; at least 2.")
    var maxLength: Int = 77

    @Flag(help: "Pad with <pad> (attention mask 0) up to --max-length. (default: off)")
    var pad = false

    @Option(help: "Output format: text or json (one object per text and line).")
    var format: OutputFormat = .text

    @Argument(help: ArgumentHelp("The texts to tokenize (one result each; \"\" is the empty text).", valueName: "text"))
    var texts: [String] = []

    func validate() throws {
        if model == nil && tokenizer == nil { throw ValidationError("give --model PATH (a model folder) or --tokenizer DIR") }
        if maxLength < 2 { throw ValidationError("--max-length must be at least 2 (room for <s> and </s>), got \(maxLength)") }
        if texts.isEmpty { throw ValidationError("give at least one text to tokenize") }
    }

    func run() throws {
        let folder = URL(fileURLWithPath: tokenizer ?? model!)
        if tokenizer != nil, let model, !FileManager.default.fileExists(atPath: model) {
            throw TokenizerError.missing(path: model)
        }
        let bpe = try ByteLevelBPETokenizer(folder: folder)
        var blocks: [String] = []
        for text in texts {
            let e = try bpe.encode(text, maxLength: maxLength, padToMaxLength: pad)
            blocks.append(render(e))
        }
        print(blocks.joined(separator: format == .text ? "\n\n" : "\n"))
    }

    private func render(_ e: Encoding) -> String {
        switch format {
        case .text:
            return """
                ids: \(e.ids.map(String.init).joined(separator: " "))
                pieces: \(e.pieces.joined(separator: " "))
                attention_mask: \(e.attentionMask.map(String.init).joined(separator: " "))
                """
        case .json:
            func list(_ items: [String]) -> String { "[" + items.joined(separator: ",") + "]" }
            return "{\"ids\":\(list(e.ids.map(String.init))),\"pieces\":\(list(e.pieces.map(JSONLine.quote))),"
                + "\"attention_mask\":\(list(e.attentionMask.map(String.init)))}"
        }
    }
}
