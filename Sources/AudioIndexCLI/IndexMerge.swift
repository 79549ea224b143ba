import ArgumentParser
import Diagnostics
import Foundation
import Pipeline

/// `audio-index merge`.
struct Merge: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Join the parts of a sharded build (build --shard i/N) into one index.",
        discussion: """
            A large corpus is built as N parts, each on its own machine or cluster task: \
            build --shard i/N (0-based i) indexes the shard files (or manifest lines, or folder \
            files) whose position modulo N is i into its own flat index directory. merge then \
            copies every part into --out, which ends up holding what one build of the whole \
            input would: the same clips, captions, tags, licences, metadata, locators, audio \
            hashes, failures and vectors. Audio that is byte-identical across parts (same audio \
            hash) keeps one vector that all its ids share.

            Refused before anything is written (exit 3): parts made with another model, profile, \
            --long-clip or dimension (the part and the difference are named); parts of different \
            sharded builds, a part given twice or a part missing; one clip id with different \
            audio in two parts (both parts and locators are named). A part still being built is \
            refused with exit 8. Parts are only read.

            --out is written in the commit order of Docs/IndexDirectory.md under its writer lock, \
            so a merge killed at any moment resumes when run again with the same command and ends \
            with the same index. --kind ivf trains k-means (seeded with --seed, on \
            min(N, 256·nlist) vectors) and assigns every vector once, after the copy, as build \
            --kind ivf does. The merged index takes add, query, info, verify and export like any other.

            EXAMPLES
              audio-index build --model clap --manifest all.jsonl --shard 0/2 --index parts/part-0
              audio-index build --model clap --manifest all.jsonl --shard 1/2 --index parts/part-1
              audio-index merge --out idx parts/part-0 parts/part-1
              audio-index merge --out idx --kind ivf --nlist 1024 parts/part-*

            On Slurm (Scripts/cluster/, configured by environment variables): one array task per \
            part, then the merge \
            once every task has succeeded:
              jid=$(sbatch --parsable --array=0-15 Scripts/cluster/slurm-build.sbatch)
              sbatch --dependency=afterok:$jid Scripts/cluster/slurm-merge.sbatch
            Kubernetes: Scripts/cluster/k8s-indexed-job.yaml (an Indexed Job, then a merge Job).

            OUTPUT
              Progress on stderr; one summary line on stdout (clips added, of them sharing a \
              vector, vectors copied, failures carried over, already merged, time), or a JSON \
              object with --format json.
            """
    )

    @Option(help: ArgumentHelp("The merged index directory (created, or resumed after a kill).", valueName: "dir"))
    var out: String

    @Option(help: "flat (exact search) or ivf (inverted lists; trained once after the copy).")
    var kind: IndexKind = .flat

    @Option(help: ArgumentHelp("IVF lists. (default: about 4·√N)", valueName: "n"))
    var nlist: Int?

    @Option(help: ArgumentHelp("k-means seed for --kind ivf.", valueName: "s"))
    var seed: UInt64 = 1

    @Option(help: "Summary as text or json.")
    var format: OutputFormat = .text

    @Option(help: .hidden) var commitClips: Int = 65_536

    @Argument(help: ArgumentHelp("The part index directories, every i of one build --shard i/N run.", valueName: "part"))
    var parts: [String] = []

    func validate() throws {
        if parts.isEmpty { throw ValidationError("give the part directories, e.g. audio-index merge --out idx parts/part-0 parts/part-1") }
        if let nlist, nlist < 1 { throw ValidationError("--nlist must be at least 1") }
        if nlist != nil && kind != .ivf { throw ValidationError("--nlist is for --kind ivf") }
        if commitClips < 1 { throw ValidationError("--commit-clips must be at least 1") }
    }

    func run() throws {
        var o = MergeOptions(output: IndexDirectory(out), parts: parts.map(IndexDirectory.init))
        o.wantsIVF = kind == .ivf
        o.ivfLists = nlist
        o.seed = seed
        o.commitClips = commitClips
        let s = try IndexMerger(options: o).run()
        switch format {
        case .text:
            print("merge: \(s.parts) parts, \(s.clips) clips added (\(s.shared) sharing another clip's vector), \(s.vectors) vectors, "
                  + "\(s.failures) failures carried over, \(s.skipped) already merged, in \(ProgressReporter.duration(s.seconds)); "
                  + "the index holds \(s.clipsInIndex) clips in \(s.vectorsInIndex) vectors (generation \(s.generation))")
        case .json:
            var line = JSONLine()
            line.add("parts", s.parts); line.add("clips_added", s.clips); line.add("shared", s.shared); line.add("vectors_added", s.vectors)
            line.add("failures", s.failures); line.add("skipped", s.skipped); line.add("seconds", s.seconds)
            line.add("clips", s.clipsInIndex); line.add("vectors", s.vectorsInIndex); line.add("generation", Int(s.generation))
            print(line.text)
        }
    }
}
