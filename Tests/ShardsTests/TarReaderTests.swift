import Foundation
import Shards
import Testing
import TestSupport

/// What Python's tarfile says about a fixture archive (Scripts/reference/make_shard_fixtures.py).
struct ExpectedMember: Decodable {
    let name: String
    let type: String
    let size: Int64
    let payload_offset: Int64
    let header_offset: Int64
    let linkname: String
}

func expectedMembers(_ tar: String) throws -> [ExpectedMember] {
    let file = tar.replacingOccurrences(of: "/", with: "_") + ".json"
    let data = try Data(contentsOf: Fixtures.url("shards/expected/\(file)"))
    return try JSONDecoder().decode([ExpectedMember].self, from: data)
}

func shardURL(_ name: String) -> URL { Fixtures.url("shards/\(name)") }

/// Runs a command and fails the test if it does not exit 0.
func runTool(_ tool: String, _ arguments: [String], in folder: URL) throws {
    let result = try CLI.run(executable: URL(fileURLWithPath: tool), arguments, in: folder)
    #expect(result.status == 0, "\(tool) \(arguments): \(result.stderr)")
}

@Suite("TarReader")
struct TarReaderTests {
    @Test("fixture manifest matches the committed tars")
    func manifest() throws {
        #expect(try Fixtures.filesNotMatchingManifest("shards/MANIFEST.json") == [])
    }

    @Test("regular members, sizes and payload offsets equal Python tarfile's for ustar, pax and GNU archives",
          arguments: ["train/0.tar", "train/1.tar", "gnu-long.tar", "hostile.tar"])
    func matchesTarfile(tar: String) throws {
        let expected = try expectedMembers(tar)
        let events = try TarReader(url: shardURL(tar)).readAll()
        // tarfile lists directories; this reader passes over them silently.
        let notDirectories = expected.filter { $0.type != "5" }
        #expect(events.count == notDirectories.count)
        for (event, want) in zip(events, notDirectories) {
            switch event {
            case .member(let m):
                #expect(want.type == "0")
                #expect(m.name == want.name)
                #expect(m.size == want.size)
                #expect(m.payloadOffset == want.payload_offset)
                #expect(m.headerOffset == want.header_offset)
            case .skipped(let s):
                #expect(s.name == want.name)
                #expect(s.headerOffset == want.header_offset)
            }
        }
    }

    @Test("links, devices, FIFOs, absolute and dot-dot names are reported as skipped, never as members")
    func hostile() throws {
        let events = try TarReader(url: shardURL("hostile.tar")).readAll()
        let skipped = events.compactMap { e -> TarSkippedMember? in if case .skipped(let s) = e { return s }; return nil }
        #expect(skipped.map(\.name) == ["../evil.flac", "/etc/evil.json", "ok/link.flac", "ok/hard.flac",
                                        "ok/fifo.flac", "ok/dev.flac", "ok/a/../../up.json"])
        #expect(skipped.map(\.reason) == [
            .unsafeName("a \"..\" component"), .unsafeName("an absolute path"),
            .symbolicLink(target: "/etc/passwd"), .hardLink(target: "ok/a.flac"), .fifo, .characterDevice,
            .unsafeName("a \"..\" component"),
        ])
        for case .member(let m) in events {
            #expect(!m.name.hasPrefix("/") && !m.name.split(separator: "/").contains(".."))
        }
    }

    @Test("payload(of:) returns the member's exact bytes and refuses more than the limit")
    func payload() throws {
        let reader = try TarReader(url: shardURL("train/0.tar"))
        let members = try reader.readAll().compactMap { e -> TarMember? in if case .member(let m) = e { return m }; return nil }
        let json = try #require(members.first { $0.name.hasSuffix("17.json") })
        let bytes = try reader.payload(of: json, maximumBytes: 1 << 20)
        let object = try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any]
        #expect(object?["text"] as? String == "Busy French Village Street, traffic")
        #expect(throws: ShardError.memberTooLarge(file: reader.displayName, member: json.name, size: json.size, limit: 10)) {
            try reader.payload(of: json, maximumBytes: 10)
        }
    }

    @Test("archives written by GNU tar (gnu, posix, ustar formats) give every file's name and exact bytes",
          arguments: ["gnu", "posix", "ustar", "oldgnu"])
    func gnuTar(format: String) throws {
        let folder = try TemporaryFolder()
        let src = folder.url.appendingPathComponent("src")
        var files: [String: [UInt8]] = [:]
        var rng = SeededGenerator(state: 7)
        var names = ["a.flac", "a.json", "sub/dir/b.c.flac", "sub/dir/b.c.json", "empty.json", "né/ü.flac"]
        if format != "ustar" && format != "v7" { names.append(String(repeating: "long", count: 40) + "/" + String(repeating: "n", count: 120) + ".flac") }
        for (i, name) in names.enumerated() {
            let count = [0, 1, 511, 512, 513, 3000, 70][i % 7]
            let bytes = (0..<count).map { _ in UInt8.random(in: 0...255, using: &rng) }
            files[name] = bytes
            let url = src.appendingPathComponent(name)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(bytes).write(to: url)
        }
        try FileManager.default.createSymbolicLink(atPath: src.appendingPathComponent("link.flac").path, withDestinationPath: "/etc/passwd")
        try runTool("/bin/ln", [src.appendingPathComponent("a.flac").path, src.appendingPathComponent("hard.flac").path], in: src)
        let tar = folder.url.appendingPathComponent("out.tar")
        try runTool("/usr/bin/tar", ["--format=\(format)", "--sort=name", "-cf", tar.path, "."], in: src)

        let reader = try TarReader(url: tar)
        var found: [String: [UInt8]] = [:]
        var skipped: [String] = []
        for event in try reader.readAll() {
            switch event {
            case .member(let m): found[String(m.name.dropFirst(2))] = try reader.payload(of: m, maximumBytes: 1 << 20)
            case .skipped(let s): skipped.append(s.name)
            }
        }
        // GNU tar stores the second name of a hard link as a link member; the first one as a file.
        let firstOfPair = found["hard.flac"] != nil ? "hard.flac" : "a.flac"
        var expected = files
        expected[firstOfPair] = files["a.flac"]
        #expect(found.keys.sorted() == expected.keys.sorted())
        for (name, bytes) in expected { #expect(found[name] == bytes, "\(name)") }
        #expect(skipped.sorted() == ["./" + (firstOfPair == "a.flac" ? "hard.flac" : "a.flac"), "./link.flac"])
    }

    @Test("a truncated archive yields every member before the cut, then a typed error naming the member and offset")
    func truncation() throws {
        let source = try Data(contentsOf: shardURL("train/0.tar"))
        let expected = try expectedMembers("train/0.tar")
        let folder = try TemporaryFolder()
        let url = folder.url.appendingPathComponent("cut.tar")
        // Every cut inside the members' bytes (after the last payload, the zero blocks start).
        let end = Int(expected.last!.payload_offset + expected.last!.size)
        for cut in stride(from: 0, to: end, by: 37) {
            try source.prefix(cut).write(to: url)
            let reader = try TarReader(url: url, displayName: "cut.tar")
            var names: [String] = []
            do {
                while let e = try reader.next() { if case .member(let m) = e { names.append(m.name) } }
                Issue.record("cut at \(cut): no error")
            } catch let e as ShardError {
                // The members whose payload (with padding) is complete come before the error.
                let complete = expected.filter { $0.payload_offset + ($0.size + 511) / 512 * 512 <= cut }.map(\.name)
                #expect(names == complete, "cut at \(cut)")
                switch e {
                case .truncated(let file, let member, let offset, _):
                    #expect(file == "cut.tar")
                    let cutMember = expected.first { $0.payload_offset + ($0.size + 511) / 512 * 512 > cut }
                    if let cutMember, Int64(cut) >= cutMember.header_offset + 512 {
                        #expect(member == cutMember.name, "cut at \(cut)")
                        #expect(offset == cutMember.header_offset)
                    }
                case .missingEndMarker(_, let offset, _):
                    #expect(Int(offset) == cut)
                default:
                    Issue.record("cut at \(cut): \(e)")
                }
            }
            #expect(try reader.next() == nil)
        }
    }

    @Test("a header with a wrong checksum is a typed error naming the member and its offset")
    func checksum() throws {
        var bytes = [UInt8](try Data(contentsOf: shardURL("train/0.tar")))
        let expected = try expectedMembers("train/0.tar")
        let victim = expected[2]
        bytes[Int(victim.header_offset) + 110] ^= 0x01  // inside the uid field
        let folder = try TemporaryFolder()
        let url = folder.url.appendingPathComponent("bad.tar")
        try Data(bytes).write(to: url)
        let reader = try TarReader(url: url, displayName: "bad.tar")
        #expect(try reader.next() == .member(TarMember(name: expected[0].name, size: expected[0].size,
                                                      payloadOffset: expected[0].payload_offset, headerOffset: 0)))
        _ = try reader.next()
        #expect(throws: ShardError.badChecksum(file: "bad.tar", member: victim.name, offset: victim.header_offset)) {
            try reader.next()
        }
        let message = ShardError.badChecksum(file: "bad.tar", member: victim.name, offset: victim.header_offset).description
        #expect(message == "bad.tar: member \"scratch/freesound_new/17.flac\" at byte 3072: the header checksum does not match (the archive is damaged) (download or copy the shard again; the samples before this point were read)")
    }

    @Test("octal and base-256 numbers decode; garbage in a number field is refused")
    func numbers() throws {
        // Built by hand: a header whose size uses GNU base-256.
        var block = [UInt8](repeating: 0, count: 512)
        for (i, b) in "big.flac".utf8.enumerated() { block[i] = b }
        block[124] = 0x80
        block[135] = 0x05  // size 5 in base-256
        block[156] = UInt8(ascii: "0")
        for (i, b) in "ustar\u{0}00".utf8.enumerated() { block[257 + i] = b }
        func sealed(_ b: [UInt8]) -> [UInt8] {
            var b = b
            for i in 148..<156 { b[i] = 0x20 }
            let sum = b.reduce(0) { $0 + Int($1) }
            let text = Array(String(format: "%06o", sum).utf8) + [0, 0x20]
            for i in 0..<8 { b[148 + i] = text[i] }
            return b
        }
        let folder = try TemporaryFolder()
        let url = folder.url.appendingPathComponent("n.tar")
        let payload = [UInt8](repeating: 9, count: 512)
        try Data(sealed(block) + payload + [UInt8](repeating: 0, count: 1024)).write(to: url)
        #expect(try TarReader(url: url).readAll() == [.member(TarMember(name: "big.flac", size: 5, payloadOffset: 512, headerOffset: 0))])

        var bad = block
        bad[124] = UInt8(ascii: "9")  // not octal
        try Data(sealed(bad) + payload + [UInt8](repeating: 0, count: 1024)).write(to: url)
        #expect(throws: ShardError.self) { try TarReader(url: url).readAll() }
    }

    @Test("an archive cut exactly at a member boundary is reported as missing its end marker")
    func missingEnd() throws {
        let source = try Data(contentsOf: shardURL("train/0.tar"))
        let expected = try expectedMembers("train/0.tar")
        let folder = try TemporaryFolder()
        let url = folder.url.appendingPathComponent("cut.tar")
        try source.prefix(Int(expected[2].header_offset)).write(to: url)
        let reader = try TarReader(url: url, displayName: "cut.tar")
        #expect(throws: ShardError.missingEndMarker(file: "cut.tar", offset: expected[2].header_offset, lastMember: expected[1].name)) {
            _ = try reader.readAll()
        }
    }

    @Test("a missing file and a folder are typed input errors")
    func openErrors() throws {
        #expect(throws: ShardError.cannotRead(file: "/nonexistent/x.tar", errno: ENOENT)) {
            try TarReader(url: URL(fileURLWithPath: "/nonexistent/x.tar"))
        }
        let folder = try TemporaryFolder()
        #expect(throws: ShardError.cannotRead(file: folder.url.path, errno: EISDIR)) {
            try TarReader(url: folder.url, displayName: folder.url.path)
        }
    }
}
