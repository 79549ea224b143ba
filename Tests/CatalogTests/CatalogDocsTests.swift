import Catalog
import Foundation
import Testing
import TestSupport

@Suite("Docs/CatalogSchema.md")
struct CatalogDocsTests {
    let doc: String = (try? String(contentsOf: Fixtures.packageRoot.appendingPathComponent("Docs/CatalogSchema.md"), encoding: .utf8)) ?? ""

    @Test("the filter column table lists exactly the columns the parser accepts")
    func columns() throws {
        let section = try #require(doc.range(of: "## The `--where` filter")).upperBound
        let rows = doc[section...].split(separator: "\n").filter { $0.hasPrefix("| `") && $0.contains("| text |") || $0.contains("| number |") }
        var documented: [String] = []
        for row in rows {
            let firstCell = row.split(separator: "|")[0]
            documented += firstCell.split(separator: ",").map { $0.trimmingCharacters(in: CharacterSet(charactersIn: " `")) }
        }
        #expect(documented == FilterColumn.all.map(\.name))
    }

    @Test("every example filter parses; every error example fails with the documented message")
    func examples() throws {
        for line in doc.split(separator: "\n") where line.hasPrefix("--where \"") {
            let text = String(line.dropFirst("--where \"".count).dropLast())
            #expect(throws: Never.self, "\(text)") { try CatalogFilter(text) }
        }
        let errorTable = doc.split(separator: "\n").filter { $0.hasPrefix("| `") && $0.contains("`--where, at") }
        #expect(errorTable.count == 6)
        for row in errorTable {
            let cells = row.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
            let input = String(cells[0].dropFirst().dropLast())
            let documented = String(cells[1].dropFirst().dropLast())
            do {
                _ = try CatalogFilter(input)
                Issue.record("accepted \(input)")
            } catch {
                // The table abbreviates long hints as "…".
                let prefix = documented.components(separatedBy: "…")[0]
                #expect("\(error)".hasPrefix(prefix), "\(input): \(error)")
            }
        }
    }
}

extension CatalogDocsTests {
    @Test("the Python reading sketch in the doc reads a catalog written here (skipped without python3)",
          .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/python3")))
    func pythonSketch() throws {
        let start = try #require(doc.range(of: "```python\n")).upperBound
        let sketch = String(doc[start..<(try #require(doc[start...].range(of: "```")).lowerBound)])
        let folder = try TemporaryFolder()
        let url = folder.url.appendingPathComponent("catalog.sqlite")
        let catalog = try Catalog(url: url, mode: .create)
        try catalog.write { w in
            try w.insertClip(clip("b", "a", locator: .archiveMember(archive: "s/0.tar", member: "b.flac", payloadOffset: 512, size: 9),
                                  captions: ["rain"]), generation: 1)
            try w.insertClip(clip("a", "a", captions: ["rain, again"]), generation: 1)
            try w.addRow(7, audioHash: hash("a"), startSeconds: 0, generation: 1)
            try w.link(clipID: "a", row: 7)
            try w.link(clipID: "b", row: 7)
            try w.setGeneration(1)
        }
        let script = sketch + """

            db, generation = open_catalog(\(JSONText(url.path)))
            print(generation, json.dumps(owners(db, 7)))
            """
        let result = try CLI.run(executable: URL(fileURLWithPath: "/usr/bin/python3"), ["-c", script])
        #expect(result.status == 0, "\(result.stderr)")
        let text = result.stdout
        #expect(text == #"1 [["a", 0.0, ["/audio/a.flac", null, null, null], ["rain, again"]], ["b", 0.0, ["s/0.tar", "b.flac", 512, 9], ["rain"]]]"# + "\n")
    }
}

/// A Python string literal (JSON's is valid Python for plain paths).
func JSONText(_ s: String) -> String {
    String(decoding: try! JSONSerialization.data(withJSONObject: [s], options: [.withoutEscapingSlashes]), as: UTF8.self).dropFirst().dropLast().description
}
