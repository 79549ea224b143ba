import CLAPAudio
import Foundation
import Testing
import TestSupport

@Suite("HTSAT matches the reference stage by stage")
struct HTSATParityTests {
    @Test("every committed fixture file matches MANIFEST.json")
    func manifest() throws {
        #expect(try Fixtures.filesNotMatchingManifest("htsat/MANIFEST.json") == [])
    }

    @Test("Hugging Face folders: each stage within ‖Δ‖/‖ref‖ ≤ 1e-5, final max|Δ| ≤ 1e-4", arguments: HTSATFixture.cases(source: "hf"))
    func huggingFace(_ c: HTSATFixture.Case) throws {
        let encoder = try CLAPAudioEncoder(contentsOf: HTSATFixture.url("hf-\(c.arch)"))
        try check(encoder, c)
    }

    func check(_ encoder: CLAPAudioEncoder, _ c: HTSATFixture.Case) throws {
        var seen: [String: [Float]] = [:]
        let embedding = try encoder.embed(try HTSATFixture.input(c)) { seen[$0] = $1 }
        let stages = HTSATFixture.recordedStages(c)
        #expect(stages.contains("stage3") && stages.contains("embedding"))
        for stage in stages {
            let expected = try HTSATFixture.tensor("\(c.name).\(stage)")
            guard let actual = seen[stage] else { Issue.record("\(c): stage \(stage) not observed"); continue }
            guard actual.count == expected.count else { Issue.record("\(c) \(stage): \(actual.count) values, reference \(expected.count)"); continue }
            let rel = Compare.relative(actual, expected)
            #expect(rel <= 1e-5, "\(c) \(stage): ‖Δ‖/‖ref‖ = \(rel)")
        }
        let final = try HTSATFixture.tensor("\(c.name).embedding")
        #expect(Compare.maxAbs(embedding, final) <= 1e-4, "\(c): max|Δ| = \(Compare.maxAbs(embedding, final))")
    }
}
