import Foundation

/// One committed fuzz corpus file (Fuzz/corpus/<target>/<name>), a test argument of the corpus replays.
public struct FuzzCorpusInput: Sendable, CustomStringConvertible {
    public let target: String
    public let name: String
    public var url: URL { Fixtures.fuzzCorpusFolder(target).appendingPathComponent(name) }
    public var description: String { "\(target)/\(name)" }
    public func bytes() throws -> [UInt8] { Array(try Data(contentsOf: url)) }
}

extension Fixtures {
    /// Fuzz/corpus/<target>: the seeds and regression inputs of one fuzz target.
    public static func fuzzCorpusFolder(_ target: String) -> URL {
        packageRoot.appendingPathComponent("Fuzz/corpus/\(target)")
    }

    /// The folders of Fuzz/corpus (one per fuzz target).
    public static var fuzzCorpusTargets: [String] {
        let folder = packageRoot.appendingPathComponent("Fuzz/corpus")
        return ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).sorted()
    }

    /// Every committed input of one fuzz target, by name (empty when the folder is missing; the
    /// replay suites check that every target has inputs).
    public static func fuzzCorpus(_ target: String) -> [FuzzCorpusInput] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: fuzzCorpusFolder(target).path)) ?? []
        return names.filter { !$0.hasPrefix(".") }.sorted().map { FuzzCorpusInput(target: target, name: $0) }
    }
}
