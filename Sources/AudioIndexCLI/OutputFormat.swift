import ArgumentParser

/// `--format`: how results are printed on stdout.
enum OutputFormat: String, ExpressibleByArgument, CaseIterable, Sendable {
    /// One human-readable line per result.
    case text
    /// One JSON object per line (JSON Lines), for scripts: `jq`, pandas `read_json(lines=True)`.
    case json
}
