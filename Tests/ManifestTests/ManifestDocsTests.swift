import Foundation
@testable import Manifest
import Testing
import TestSupport

@Suite("Docs/ManifestFormat.md: the examples are valid manifests")
struct ManifestDocsTests {
    /// The text of the first fenced block of `language` in the format document.
    static func example(_ language: String) throws -> String {
        let doc = try String(contentsOf: Fixtures.packageRoot.appendingPathComponent("Docs/ManifestFormat.md"), encoding: .utf8)
        let fence = "```" + language + "\n"
        let start = try #require(doc.range(of: fence)).upperBound
        let end = try #require(doc.range(of: "```", range: start..<doc.endIndex)).lowerBound
        return String(doc[start..<end])
    }

    @Test("the JSON Lines example reads: comment skipped, LAION spellings mapped, extra kept")
    func jsonlExample() throws {
        let entries = try readEntries("m.jsonl", try Self.example("jsonl"))
        #expect(entries.map(\.id) == ["sonic-pi/ambi_choir", "282776", "rain-1"])
        #expect(entries[1].captions.count == 2)
        #expect(entries[1].tags == ["synthesizer", "single-note"])
        #expect(entries[1].licence == "CC0")
        #expect(entries[1].extraJSON == #"{"freesound_id": 282776, "username": "modularsamples"}"#)
        #expect(entries[2].captions == ["rain on a tin roof"])
    }

    @Test("the CSV example reads: | lists, quoted comma and quotes, extra JSON")
    func csvExample() throws {
        let entries = try readEntries("m.csv", try Self.example("csv"))
        #expect(entries.map(\.id) == ["rain-1", "dog, barking"])
        #expect(entries[0].captions == ["rain on a tin roof", "heavy rain"])
        #expect(entries[0].tags == ["weather", "rain"])
        #expect(entries[0].extraJSON == nil)
        #expect(entries[1].captions == ["a dog barks \"woof\" twice"])
        #expect(entries[1].extraJSON == #"{"duration_s": 2.5}"#)
    }
}
