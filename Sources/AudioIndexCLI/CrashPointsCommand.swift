import ArgumentParser
import Diagnostics

/// `audio-index crash-points` (hidden): the registry of named crash points the crash harness
/// kills writers at (Scripts/crash-harness.sh, RELIABILITY.md).
struct CrashPointsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "crash-points",
        abstract: "List the named crash points of the write path (for the crash harness).",
        discussion: """
            Each line is a point's name, its stage and the state on disk when a writer is killed \
            there. With AUDIO_INDEX_CRASH_AT=<name>:<count> in the environment a writer sends \
            itself SIGKILL the count-th time it passes <name>; with AUDIO_INDEX_CRASH_TRACE=FILE it \
            appends every point it passes to FILE. Neither is meant for production use.

            EXAMPLES
              audio-index crash-points
              AUDIO_INDEX_CRASH_AT=after-vectors:2 audio-index build --model m --manifest clips.jsonl --index idx
            """,
        shouldDisplay: false
    )

    @Option(help: "text (name, stage, state; tab-separated) or json (one object per line).")
    var format: OutputFormat = .text

    func run() throws {
        for point in CrashPoints.all {
            switch format {
            case .text: print("\(point.name)\t\(point.stage.rawValue)\t\(point.state)")
            case .json:
                var line = JSONLine()
                line.add("name", point.name); line.add("stage", point.stage.rawValue); line.add("state", point.state)
                print(line.text)
            }
        }
    }
}
