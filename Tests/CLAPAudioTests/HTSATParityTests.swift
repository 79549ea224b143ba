import CLAPAudio
import Foundation
import Testing
import TestSupport
import Weights

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

    @Test("laion_clap .pt files: each stage within ‖Δ‖/‖ref‖ ≤ 1e-5 (bn0 and the image included), final max|Δ| ≤ 1e-4",
          arguments: HTSATFixture.cases(source: "laion"))
    func laion(_ c: HTSATFixture.Case) throws {
        let encoder = try CLAPAudioEncoder(contentsOf: HTSATFixture.url("laion-\(c.arch).pt"))
        try check(encoder, c)
    }

    /// Full-size HTSAT-tiny, when `CLAP_HTSAT_FULL_SIZE_DIR` names the output of
    /// `make_htsat_fixtures.py --full-size --out DIR` (about 250 MiB, not committed).
    @Test("full-size HTSAT-tiny (CLAP_HTSAT_FULL_SIZE_DIR): the same bounds",
          .enabled(if: ProcessInfo.processInfo.environment["CLAP_HTSAT_FULL_SIZE_DIR"] != nil))
    func fullSize() throws {
        let dir = URL(fileURLWithPath: ProcessInfo.processInfo.environment["CLAP_HTSAT_FULL_SIZE_DIR"]!)
        let golden = try SafetensorsFile(contentsOf: dir.appendingPathComponent("golden.safetensors"))
        let encoder = try CLAPAudioEncoder(contentsOf: dir.appendingPathComponent("hf-tiny"))
        #expect(encoder.configuration == HTSATConfiguration(embedDim: 96, depths: [2, 2, 6, 2], numHeads: [4, 8, 16, 32], projectionDim: 512, enableFusion: false))
        try check(encoder, HTSATFixture.Case(source: "hf", arch: "tiny", clip: "chirp_noise_7s"), golden: golden)
    }

    func check(_ encoder: CLAPAudioEncoder, _ c: HTSATFixture.Case, golden: SafetensorsFile = HTSATFixture.golden) throws {
        var seen: [String: [Float]] = [:]
        let embedding = try encoder.embed(try HTSATFixture.input(c, in: golden)) { seen[$0] = $1 }
        let stages = HTSATFixture.recordedStages(c, in: golden)
        var worst = 0.0
        #expect(stages.contains("stage3") && stages.contains("embedding"))
        for stage in stages {
            let expected = try HTSATFixture.tensor("\(c.name).\(stage)", in: golden)
            guard let actual = seen[stage] else { Issue.record("\(c): stage \(stage) not observed"); continue }
            guard actual.count == expected.count else { Issue.record("\(c) \(stage): \(actual.count) values, reference \(expected.count)"); continue }
            let rel = Compare.relative(actual, expected)
            #expect(rel <= 1e-5, "\(c) \(stage): ‖Δ‖/‖ref‖ = \(rel)")
            worst = max(worst, rel)
        }
        let final = try HTSATFixture.tensor("\(c.name).embedding", in: golden)
        #expect(Compare.maxAbs(embedding, final) <= 1e-4, "\(c): max|Δ| = \(Compare.maxAbs(embedding, final))")
        print("parity \(c): worst stage ‖Δ‖/‖ref‖ = \(worst), final max|Δ| = \(Compare.maxAbs(embedding, final))")
    }
}
