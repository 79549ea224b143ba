import ArgumentParser

extension AudioIndex {
    /// Every subcommand, in the order `--help` lists them.
    static let subcommandList: [ParsableCommand.Type] = [Probe.self, Features.self, Tokenize.self, Embed.self, Build.self, Add.self, Merge.self, Query.self, Info.self, Verify.self, Remove.self, Compact.self, Retrain.self, Export.self, Vectors.self, Convert.self, Bench.self, CrashPointsCommand.self, DecodeWorkerCommand.self]
}
