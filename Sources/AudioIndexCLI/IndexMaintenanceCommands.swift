import ArgumentParser
import Foundation
import Pipeline

/// `audio-index remove`.
struct Remove: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "remove",
        abstract: "Remove clips from an index by id.",
        discussion: """
            A vector shared with a byte-identical duplicate stays until its last clip is removed. \
            Unknown ids are refused before anything changes. Removed vectors are hidden at once \
            (tombstones); compact rewrites the files without them.

            EXAMPLES
              audio-index remove --index idx --id freesound/123 --id freesound/456
            """
    )
    @Option(help: ArgumentHelp("The index directory.", valueName: "dir")) var index: String
    @Option(help: ArgumentHelp("A clip id to remove (repeat for more).", valueName: "id")) var id: [String] = []

    func validate() throws { if id.isEmpty { throw ValidationError("give at least one --id ID") } }

    func run() throws {
        let freed = try IndexMaintenance(index: IndexDirectory(index)).remove(ids: id)
        print("remove: \(id.count) clip\(id.count == 1 ? "" : "s") removed, \(freed) vector\(freed == 1 ? "" : "s") freed")
    }
}

/// `audio-index compact`.
struct Compact: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compact",
        abstract: "Rewrite an index's live vectors into one segment, dropping removed ones.",
        discussion: """
            EXAMPLES
              audio-index compact --index idx
            """
    )
    @Option(help: ArgumentHelp("The index directory.", valueName: "dir")) var index: String

    func run() throws {
        try IndexMaintenance(index: IndexDirectory(index)).compact()
        print("compact: \(index) rewritten")
    }
}

/// `audio-index retrain`.
struct Retrain: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "retrain",
        abstract: "Re-cluster an index into IVF lists (a flat index becomes IVF).",
        discussion: """
            k-means is seeded and trained on min(N, 256·nlist) vectors; every vector is then assigned \
            to its nearest list, as one commit.

            EXAMPLES
              audio-index retrain --index idx --nlist 1024
            """
    )
    @Option(help: ArgumentHelp("The index directory.", valueName: "dir")) var index: String
    @Option(help: ArgumentHelp("IVF lists. (default: the current count; flat: about 4·√N)", valueName: "n")) var nlist: Int?

    func validate() throws { if let nlist, nlist < 1 { throw ValidationError("--nlist must be at least 1") } }

    func run() throws {
        try IndexMaintenance(index: IndexDirectory(index)).retrain(nlist: nlist)
        print("retrain: \(index) re-clustered")
    }
}

/// `audio-index export`.
struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write an index as vectors.npy, clips.jsonl and index.faiss for other tools.",
        discussion: """
            vectors.npy is N×D <f4 (live vectors only); clips.jsonl has one line per vector in the same \
            order: row, ids (every clip sharing it), captions, locators, start_seconds, duration, \
            licence; index.faiss is a faiss IndexIDMap/IndexIVFFlat whose labels are the row numbers.

            EXAMPLES
              audio-index export --index idx --out idx-export
            """
    )
    @Option(help: ArgumentHelp("The index directory.", valueName: "dir")) var index: String
    @Option(help: ArgumentHelp("The folder to write (created if missing).", valueName: "folder")) var out: String

    func run() throws {
        let n = try IndexQuery(index: IndexDirectory(index)).export(to: URL(fileURLWithPath: out))
        print("export: \(n) vectors → \(out)/vectors.npy, clips.jsonl, index.faiss")
    }
}
