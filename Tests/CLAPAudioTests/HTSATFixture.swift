import CLAPAudio
import Foundation
import TestSupport
import Weights

/// The committed reference outputs (Tests/Fixtures/htsat, Scripts/reference/make_htsat_fixtures.py).
enum HTSATFixture {
    static let folder = Fixtures.url("htsat")
    static func url(_ name: String) -> URL { folder.appendingPathComponent(name) }

    static let golden: SafetensorsFile = {
        do { return try SafetensorsFile(contentsOf: url("golden.safetensors")) } catch { fatalError("golden.safetensors: \(error)") }
    }()

    static func tensor(_ key: String, in file: SafetensorsFile = golden) throws -> [Float] { try file.float32(key) }

    /// A stage-parity case: `<source>-<arch>.<clip>` with its features key.
    struct Case: Sendable, CustomStringConvertible {
        let source: String
        let arch: String
        let clip: String
        var name: String { "\(source)-\(arch).\(clip)" }
        var fusion: Bool { arch == "fused" }
        var featuresKey: String { "\(clip).\(fusion ? "fusion" : "rand_trunc").features" }
        var description: String { name }
    }

    static let stageCases: [(arch: String, clip: String)] = [
        ("tiny", "chirp_noise_7s"), ("base", "long25s"), ("fused", "long25s"), ("fused", "chirp_noise_7s"),
    ]

    static func cases(source: String) -> [Case] { stageCases.map { Case(source: source, arch: $0.arch, clip: $0.clip) } }

    static func input(_ c: Case, in file: SafetensorsFile = golden) throws -> EncoderInput {
        let longer = try tensor("\(c.name).longer", in: file)[0] == 1
        return EncoderInput(features: try tensor(c.featuresKey, in: file), frames: 1001, longer: longer)
    }

    /// The stages the generator recorded for this case.
    static func recordedStages(_ c: Case, in file: SafetensorsFile = golden) -> [String] {
        file.keys.filter { $0.hasPrefix(c.name + ".") }.map { String($0.dropFirst(c.name.count + 1)) }
            .filter { $0 != "longer" }.sorted()
    }
}

enum Compare {
    /// ‖a − b‖ / ‖b‖ in Double.
    static func relative(_ a: [Float], _ b: [Float]) -> Double {
        precondition(a.count == b.count, "\(a.count) vs \(b.count)")
        var d = 0.0, n = 0.0
        for i in 0..<a.count { let e = Double(a[i]) - Double(b[i]); d += e * e; n += Double(b[i]) * Double(b[i]) }
        return (d / max(n, 1e-300)).squareRoot()
    }

    static func maxAbs(_ a: [Float], _ b: [Float]) -> Double {
        precondition(a.count == b.count)
        return zip(a, b).map { abs(Double($0) - Double($1)) }.max() ?? 0
    }
}
