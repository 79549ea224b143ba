import Catalog
import Foundation
import Testing
import TestSupport

@Suite("--where filter")
struct CatalogFilterTests {
    /// A catalog with four clips whose columns differ in the ways the filters test.
    func sample() throws -> (TemporaryFolder, Catalog) {
        let folder = try TemporaryFolder()
        let catalog = try Catalog(url: folder.url.appendingPathComponent("c.sqlite"), mode: .create)
        var clips = [
            clip("rain", "a", captions: ["rain on a roof"]),
            clip("dog", "b", captions: ["dog barking"]),
            clip("o'brien", "c", locator: .archiveMember(archive: "s/0.tar", member: "o.flac", payloadOffset: 512, size: 9)),
            clip("long", "d"),
        ]
        clips[0].licence = "CC0"
        clips[1].licence = "CC-BY-4.0"
        clips[2].licence = "CC0"
        clips[3].duration = 95.5
        clips[3].sampleRate = 44100
        clips[3].channels = 2
        try catalog.write { w in
            for (i, c) in clips.enumerated() {
                try w.insertClip(c, generation: 1)
                try w.addRow(Int64(i), audioHash: c.audioHash, startSeconds: 0, generation: 1)
                try w.link(clipID: c.id, row: Int64(i))
            }
        }
        return (folder, catalog)
    }

    func ids(_ filter: String, _ catalog: Catalog) throws -> [String] {
        try catalog.clipIDs(where: CatalogFilter(filter))
    }

    @Test("comparisons, LIKE, IN, AND/OR/NOT and parentheses select the right clips")
    func semantics() throws {
        let (_, c) = try sample()
        #expect(try ids("licence = 'CC0'", c) == ["o'brien", "rain"])
        #expect(try ids("licence != 'CC0'", c) == ["dog", "long"])        // no licence is unequal to 'CC0'
        #expect(try ids("NOT licence = 'CC0'", c) == ["dog", "long"])     // two-valued: NOT agrees with !=
        #expect(try ids("licence <> 'CC0' AND NOT licence LIKE 'cc-%'", c) == ["long"])
        #expect(try ids("duration > 10", c) == ["long"])
        #expect(try ids("duration <= 2.5 and channels = 1", c) == ["dog", "o'brien", "rain"])
        #expect(try ids("duration >= 2.5e1 OR sample_rate < 44101", c) == ["long"])
        #expect(try ids("id IN ('rain', 'dog', 'zzz')", c) == ["dog", "rain"])
        #expect(try ids("id NOT IN ('rain', 'dog')", c) == ["long", "o'brien"])
        #expect(try ids("captions LIKE '%ROOF%'", c) == ["rain"])
        #expect(try ids("(licence = 'CC0' OR duration > 60) AND NOT (id = 'rain')", c) == ["long", "o'brien"])
        #expect(try ids("licence = 'CC0' OR duration > 60 AND id = 'rain'", c) == ["o'brien", "rain"])  // AND binds tighter
        #expect(try ids("member = 'o.flac' AND member_offset = 512", c) == ["o'brien"])
        #expect(try ids("id = 'o''brien'", c) == ["o'brien"])
        #expect(try ids("LICENSE = 'CC0' and Duration < 3", c) == ["o'brien", "rain"])
        #expect(try c.rows(where: CatalogFilter("licence = 'CC0'")) == [0, 2])
    }

    @Test("the tree and the SQL: only known column names and fixed operators, every literal bound")
    func rendering() throws {
        let f = try CatalogFilter("NOT (duration < 3 OR licence IN ('a', 'b')) AND captions LIKE '%x%'")
        let (sql, arguments) = f.sql(clipsAlias: "c")
        #expect(sql == "((NOT (coalesce(c.duration < ?, 0) OR coalesce(c.licence IN (?,?), 0))) AND coalesce(c.captions LIKE ?, 0))")
        #expect(arguments == [3, "a", "b", "%x%"])
        let column = FilterColumn.all.first { $0.name == "id" }!
        #expect(try CatalogFilter("id = 'x'").expression == .compare(column, .equal, .text("x")))
    }

    @Test("injection attempts are either a bound string or a syntax error; the database is untouched")
    func injection() throws {
        let (_, c) = try sample()
        // Quotes inside the literal are part of the value.
        #expect(try ids("id = 'x'' OR 1=1 --'", c) == [])
        #expect(try ids("id = 'rain'' OR ''1''=''1'", c) == [])
        let attempts: [(String, Int)] = [
            ("id = 'x'; DROP TABLE clips; --", 9),
            ("id = 'x' OR 1=1", 13),
            ("1 = 1", 1),
            ("id = x", 6),
            ("id = 'x' -- comment", 10),
            ("id = 'x' /* c */", 10),
            ("id = \"x\"", 6),
            ("clip_id = 'x'", 1),
            ("(SELECT 1) = 1", 2),
            ("id = 'x' UNION SELECT clip_id FROM clips", 10),
            ("id = (SELECT clip_id FROM clips)", 6),
            ("length(id) > 0", 1),
            ("id || 'a' = 'a'", 4),
            ("id = 'a' COLLATE NOCASE", 10),
            ("id IS NULL", 4),
            ("id = 'x' AND", 13),
            ("id = 'unterminated", 6),
            ("duration > 1 )", 14),
            ("id LIKE 'a' ESCAPE '!'", 13),
        ]
        for (text, position) in attempts {
            do {
                _ = try CatalogFilter(text)
                Issue.record("accepted: \(text)")
            } catch let e as FilterError {
                #expect(e.position == position, "\(text): \(e)")
            }
        }
        #expect(try c.clipCount() == 4)
        #expect(try c.consistencyProblems() == [])
    }

    @Test("messages point at the offending position and say what was expected")
    func messages() throws {
        func message(_ text: String) -> String {
            do { _ = try CatalogFilter(text); return "accepted" } catch { return "\(error)" }
        }
        #expect(message("licnece = 'CC0'") == "--where, at character 1: unknown column \"licnece\" (did you mean \"licence\"? columns: id, path, member, member_offset, member_size, captions, tags, licence, license, source, metadata, duration, sample_rate, channels, audio_hash, generation)")
        #expect(message("duration > 'long'") == "--where, at character 12: duration is a number; compare it with a number, e.g. duration > 10 (see Docs/CatalogSchema.md, \"The --where filter\")")
        #expect(message("licence = 5") == "--where, at character 11: licence is text; compare it with a string in single quotes, e.g. licence = '5' (see Docs/CatalogSchema.md, \"The --where filter\")")
        #expect(message("duration LIKE '1%'") == "--where, at character 10: LIKE matches text, and duration is a number (see Docs/CatalogSchema.md, \"The --where filter\")")
        #expect(message("id == 'a'") == "--where, at character 4: \"==\" is not an operator (write =) (see Docs/CatalogSchema.md, \"The --where filter\")")
        #expect(message("id 'a'") == "--where, at character 4: expected an operator (= != < <= > >= LIKE IN) after id, found \"'a'\" (see Docs/CatalogSchema.md, \"The --where filter\")")
        #expect(message("id = 'a' AND") == "--where, at character 13: expected a column name (id, path, member, member_offset, member_size, captions, tags, licence, license, source, metadata, duration, sample_rate, channels, audio_hash, generation) or \"(\", found the end of the filter (see Docs/CatalogSchema.md, \"The --where filter\")")
        #expect(message("  ") == "--where: the filter is empty (e.g. --where \"licence = 'CC0' AND duration < 30\")")
        #expect(message("id = 'é") == "--where, at character 6: a string that is never closed (close it with ' (write a quote inside a string as ''))")
        #expect(FilterError.empty.exitCode == .usage)
    }

    @Test("hostile sizes: deep nesting and long filters are refused without exhausting the stack")
    func limits() throws {
        let deep = String(repeating: "(", count: 100_000) + "id = 'a'" + String(repeating: ")", count: 100_000)
        #expect(throws: FilterError.tooLong(limit: CatalogFilter.maximumLength)) { try CatalogFilter(deep) }
        let nested = String(repeating: "NOT ", count: 65) + "id = 'a'"
        #expect(throws: FilterError.tooDeep(position: 257, limit: 64)) { try CatalogFilter(nested) }
        #expect(try CatalogFilter(String(repeating: "NOT ", count: 63) + "id = 'a'").text.hasSuffix("'a'"))
    }

    @Test("random token soup: always a parse with bound values or a FilterError, never a crash")
    func soup() throws {
        let (_, c) = try sample()
        let comparisons = ["id = 'a'", "duration >= -1.5e2", "licence LIKE '%'", "licence IN ('a', '''')", "NOT id != 'x'",
                           "channels < 2", "(tags LIKE '%x%')"]
        let pieces = ["id", "licence", "duration", "=", "!=", "<", ">=", "LIKE", "IN", "NOT", "AND", "OR", "(", ")", ",",
                      "'a'", "'%'", "'''", "3", "-1.5e2", ";", "--", "\"", "DROP", "x", "..", "1e999"]
        var rng = SeededGenerator(state: 11)
        var parsed = 0
        for _ in 0..<3000 {
            // A valid filter from the grammar, then (half the time) one random token inserted or one removed.
            var tokens: [String] = [comparisons.randomElement(using: &rng)!]
            for _ in 0..<Int.random(in: 0...4, using: &rng) {
                tokens += [Bool.random(using: &rng) ? "AND" : "OR", comparisons.randomElement(using: &rng)!]
                if Int.random(in: 0..<4, using: &rng) == 0 { tokens = ["("] + tokens + [")"] }
            }
            if Bool.random(using: &rng) {
                let i = Int.random(in: 0...tokens.count, using: &rng)
                if Bool.random(using: &rng) || tokens.count < 2 {
                    tokens.insert(pieces.randomElement(using: &rng)!, at: i)
                } else {
                    tokens.remove(at: min(i, tokens.count - 1))
                }
            }
            let text = tokens.joined(separator: " ")
            do {
                let f = try CatalogFilter(text)
                _ = try c.clipIDs(where: f)  // every accepted filter runs as SQL
                parsed += 1
            } catch is FilterError {}
        }
        #expect(parsed > 1000 && parsed < 3000, "\(parsed)")
        #expect(try c.clipCount() == 4)
    }
}
