import ArgumentParser
import Catalog
import Diagnostics
import Foundation
import NumPyFormat
import Pipeline
import VectorIndex

/// `audio-index query`.
struct Query: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "query",
        abstract: "Search an index by text, audio, a vector or a clip already in it.",
        discussion: """
            Exactly one of --text, --audio, --vector, --like. The index is opened at the generation its \
            catalog records (never written). --audio and --text use the model recorded at build time \
            unless --model is given; an audio model must have the index's fingerprint. Scores are inner \
            products of L2-normalised embeddings (cosine similarity). Each hit is a distinct clip with \
            every id that shares its vector (byte-identical duplicates).

            --where FILTER keeps clips whose catalog columns match (Docs/CatalogSchema.md: = != < <= > \
            >= LIKE IN, AND OR NOT, parentheses; values are bound, never pasted into SQL); --match WORDS \
            keeps clips whose captions or tags contain every word (FTS5). Both are applied inside the \
            scan, so k results come back whenever k clips pass.

            EXAMPLES
              audio-index query --index idx --text "a dog barking" -k 5
              audio-index query --index idx --audio clip.wav --format json
              audio-index query --index idx --like "freesound/12345" --where "duration < 10 AND licence LIKE 'CC0%'"
              audio-index query --index idx --vector q.npy --match "rain" --nprobe 32
            """
    )

    @Option(help: ArgumentHelp("The index directory.", valueName: "dir")) var index: String
    @Option(help: ArgumentHelp("A text query (repeat for several).", valueName: "text")) var text: [String] = []
    @Option(help: ArgumentHelp("An audio file to search with.", valueName: "file")) var audio: String?
    @Option(help: ArgumentHelp("A .npy float32 vector (D,) or matrix (Q, D).", valueName: "file")) var vector: String?
    @Option(help: ArgumentHelp("The id of a clip in the index: find clips like it.", valueName: "id")) var like: String?
    @Option(help: ArgumentHelp("Model for --audio / --text. (default: the recorded one)", valueName: "path")) var model: String?
    @Option(help: ArgumentHelp("Tokenizer folder for --text. (default: the recorded one, else the model's)", valueName: "dir")) var tokenizer: String?
    @Option(name: .short, help: "Hits per query.") var k: Int = 10
    @Option(help: "IVF lists to scan. (default: 16)") var nprobe: Int?
    @Option(help: ArgumentHelp("Wrap --text: {} is the text, e.g. \"{} sound\". (default: none)", valueName: "template")) var template: String?
    @Option(help: ArgumentHelp("Only clips whose captions or tags contain these words.", valueName: "words")) var match: String?
    @Option(name: .customLong("where"), help: ArgumentHelp("Only clips matching this catalog filter.", valueName: "filter")) var filter: String?
    @Option(help: "text or json (one object per hit).") var format: OutputFormat = .text

    func validate() throws {
        let given = [!text.isEmpty, audio != nil, vector != nil, like != nil].filter { $0 }.count
        if given != 1 { throw ValidationError("give exactly one of --text, --audio, --vector, --like") }
        if k < 1 { throw ValidationError("-k must be at least 1, got \(k)") }
        if let template, template.components(separatedBy: "{}").count != 2 { throw ValidationError("--template must contain {} exactly once") }
        if let filter { _ = try CatalogFilter(filter) }  // rejected before anything is opened
    }

    func run() throws {
        let q = try IndexQuery(index: IndexDirectory(index))
        let queries: [Float]
        if let audio {
            queries = try q.embedAudio(file: audio, model: try q.audioModel(path: model))
        } else if !text.isEmpty {
            queries = try q.embedText(text, model: model, tokenizer: tokenizer, template: template)
        } else if let vector {
            let npy = try NPY.read(contentsOf: URL(fileURLWithPath: vector))
            guard let values = npy.float32Values(), [1, 2].contains(npy.shape.count), npy.shape.last == q.dimension else {
                throw PipelineError.badQuery(detail: "\(vector): expected float32 of shape (\(q.dimension),) or (Q, \(q.dimension)), got \(npy.shape)")
            }
            queries = values
        } else {
            queries = try q.vector(ofClip: like!)
        }
        let allowed = try q.allowedRows(where: filter, match: match)
        let results = try q.search(queries: queries, k: k, nprobe: nprobe, allowed: allowed)
        for (qi, hits) in results.enumerated() {
            for h in hits {
                switch format {
                case .text:
                    let prefix = results.count > 1 ? "q\(qi) " : ""
                    let start = h.startSeconds > 0 ? " @\(h.startSeconds)s" : ""
                    print("\(prefix)\(h.rank)\t\(String(format: "%.4f", h.score))\t\(h.ids.joined(separator: ","))\(start)\t\(h.captions.first ?? "")\t\(h.locator)")
                case .json:
                    var line = JSONLine()
                    if results.count > 1 { line.add("query", qi) }
                    line.add("rank", h.rank); line.add("score", Double(h.score)); line.add("ids", h.ids)
                    line.add("start_seconds", h.startSeconds); line.add("captions", h.captions)
                    line.add("path", h.locator.path)
                    if case .archiveMember(_, let m, let o, let s) = h.locator {
                        line.add("member", m); line.add("member_offset", Int(o)); line.add("member_size", Int(s))
                    }
                    print(line.text)
                }
            }
        }
    }
}

/// `audio-index info`.
struct Info: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "info",
        abstract: "Describe an index: counts, model facts, generation, IVF list balance, recorded failures.",
        discussion: """
            EXAMPLES
              audio-index info --index idx
              audio-index info --index idx --format json
            """
    )
    @Option(help: ArgumentHelp("The index directory.", valueName: "dir")) var index: String
    @Option(help: "text or json.") var format: OutputFormat = .text

    func run() throws {
        let q = try IndexQuery(index: IndexDirectory(index))
        let c = q.catalog, v = q.vectors
        let m = try c.model()
        let failures = try c.failures()
        var fields: [(String, String)] = [
            ("clips", String(try c.clipCount())), ("vectors", String(try c.rowCount())), ("generation", String(try c.generation())),
            ("kind", v.kind.rawValue), ("dimension", String(v.dimension)), ("failures", String(failures.count)),
            ("model", m?.modelPath ?? "-"), ("fingerprint", m?.fingerprint ?? "-"), ("architecture", m?.architecture ?? "-"),
            ("profile", m?.profile ?? "-"), ("long_clip", m?.longClipPolicy ?? "-"), ("text_tower", m?.textTowerHash ?? "- (no text tower or tokenizer found at build time)"),
            ("text_layer_norm_eps", m?.layerNormEpsilon.map { "\($0)" } ?? "-"), ("tokenizer", m?.tokenizerPath ?? "-"),
            ("tokenizer_hash", m?.tokenizerHash ?? "-"),
            ("inputs", try c.inputs().map { i in
                "\(i.kind.rawValue) \(i.location)" + (i.shardIndex.map { " (part \($0)/\(i.shardCount ?? 0))" } ?? "")
            }.joined(separator: "; ")),
        ]
        if v.kind == .ivf { fields += [("nlist", String(v.nlist)), ("list_imbalance", String(format: "%.3f", v.listImbalance))] }
        switch format {
        case .text:
            for (k, val) in fields { print("\(k): \(val)") }
            for f in failures.prefix(20) { print("failed: \(f.clipID ?? "-") \(f.locator) [\(f.stage.rawValue)] \(f.error)") }
        case .json:
            var line = JSONLine()
            for (k, val) in fields { line.add(k, val) }
            print(line.text)
        }
    }
}

/// `audio-index verify`.
struct Verify: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check an index: catalog integrity, catalog ↔ vectors consistency, every checksum; with --model, a self-test.",
        discussion: """
            Exit 0 when sound; exit 3 listing the problems otherwise (exit 4 for a damaged file).

            With --model PATH: the model is hashed afresh (never the cache) and must be the index's audio \
            model; --clips clips spread over the catalog are decoded from their locators and embedded \
            again, and each stored vector must equal the fresh one within 1e-4 per component (the \
            stored vectors came from this very code, so the difference is 0 on the machine that built \
            them; 1e-4 leaves room for another CPU's BLAS kernels and is the bound the encoder holds \
            against PyTorch). Their captions (topped up to four texts with fixed probes) are embedded \
            with the text tower (--tokenizer, else the recorded tokenizer, else the model folder's), \
            and a warning says when the text embeddings collapse: mean pairwise cosine above 0.99, as \
            with the broken larger_clap_music projection. A collapse is a warning, not a failure: \
            audio queries still work.

            EXAMPLES
              audio-index verify --index idx
              audio-index verify --index idx --model models/clap-htsat-unfused --clips 8
            """
    )
    @Option(help: ArgumentHelp("The index directory.", valueName: "dir")) var index: String
    @Option(help: ArgumentHelp("A model to self-test against the index (the one it was built with).", valueName: "path")) var model: String?
    @Option(help: ArgumentHelp("Tokenizer folder for the text self-test. (default: the recorded one, else the model's)", valueName: "dir")) var tokenizer: String?
    @Option(help: "Clips to re-embed with --model.") var clips: Int = 4

    func validate() throws {
        if clips < 1 { throw ValidationError("--clips must be at least 1, got \(clips)") }
        if tokenizer != nil && model == nil { throw ValidationError("--tokenizer needs --model") }
    }

    func run() throws {
        let q = try IndexQuery(index: IndexDirectory(index))
        var problems = try q.verify()
        if let model {
            let report = try q.selfTest(modelPath: model, tokenizer: tokenizer, sampleCount: clips)
            for c in report.clips {
                print("self-test: \(c.id): \(c.vectors) vector\(c.vectors == 1 ? "" : "s") re-embedded, cosine \(String(format: "%.6f", c.cosine)), max |difference| \(c.maxAbsDifference)")
            }
            if let mean = report.meanPairwiseTextCosine {
                print("self-test: text: \(report.texts.count) texts, mean pairwise cosine \(String(format: "%.4f", mean))")
            }
            for w in report.warnings { StandardError.warn(w) }
            problems += report.problems
        }
        guard problems.isEmpty else { throw PipelineError.inconsistent(index: index, problems: problems) }
        print("verify: \(index): \(try q.catalog.clipCount()) clips, \(try q.catalog.rowCount()) vectors at generation \(try q.catalog.generation()): consistent, checksums good")
    }
}
