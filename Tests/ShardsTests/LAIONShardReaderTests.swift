import Foundation
import Manifest
import Shards
import Testing
import TestSupport

@Suite("LAION webdataset shards")
struct LAIONShardReaderTests {
    @Test("webdataset keys: directory kept, basename up to its first dot, the rest is the extension")
    func keys() {
        #expect(webDatasetKey("a/b/123.flac")! == ("a/b/123", "flac"))
        #expect(webDatasetKey("x.seg.flac")! == ("x", "seg.flac"))
        #expect(webDatasetKey("dir.v2/clip.json")! == ("dir.v2/clip", "json"))
        #expect(webDatasetKey("README") == nil)
        #expect(webDatasetKey("dir/.hidden") == nil)
        #expect(webDatasetKey("a.")! == ("a", ""))
    }

    @Test("a LAION shard becomes clip records: captions from a list or a string, tags, licence, JSON verbatim, locator")
    func clips() throws {
        let url = Fixtures.url("shards/train/0.tar")
        let (clips, problems) = try LAIONShardReader().read(shard: url, expectedCount: 3)
        #expect(problems == [])
        #expect(clips.map(\.id) == ["scratch/freesound_new/282776", "scratch/freesound_new/17", "scratch/freesound_new/9"])
        #expect(clips[0].captions == ["DSI Tetra - Sample and Hold Me - B4", "Single note sampled."])
        #expect(clips[0].tags == ["multisample", "synthesizer"])
        #expect(clips[0].licence == "http://creativecommons.org/publicdomain/zero/1.0/")
        #expect(clips[1].captions == ["Busy French Village Street, traffic"])
        #expect(clips[1].tags == [] && clips[1].licence == nil)
        #expect(clips[2].tags == ["weather"])
        let expected = try expectedMembers("train/0.tar")
        for (clip, flac) in zip(clips, expected.filter { $0.name.hasSuffix(".flac") }) {
            #expect(clip.path == url.relativePath)
            #expect(clip.resolvedURL == url)
            #expect(clip.archiveMember == ArchiveMember(name: flac.name, payloadOffset: flac.payload_offset, size: flac.size))
        }
        // The whole .json is kept byte for byte (pretty-printed as Python wrote it).
        let reader = try TarReader(url: url)
        let jsonMember = try #require(reader.readAll().compactMap { e -> TarMember? in
            if case .member(let m) = e, m.name.hasSuffix("9.json") { return m }; return nil
        }.first)
        let raw = String(decoding: try reader.payload(of: jsonMember, maximumBytes: 1 << 16), as: UTF8.self)
        #expect(clips[2].extraJSON == raw)
        #expect(raw.contains("\"text_augment_t5\": \"heavy rain on a roof\""))
    }

    @Test("pax long paths, non-ASCII names and GNU long names pair up like short ones")
    func longNames() throws {
        let pax = try LAIONShardReader(idPrefix: "train/").read(shard: Fixtures.url("shards/train/1.tar"))
        #expect(pax.problems == [])
        #expect(pax.clips.map(\.id) == ["train/" + String(repeating: "d", count: 120) + ".v2/" + String(repeating: "e", count: 120) + "/clip",
                                        "train/café/ünï"])
        #expect(pax.clips[0].archiveMember?.name.hasSuffix(".v2/" + String(repeating: "e", count: 120) + "/clip.flac") == true)
        #expect(pax.clips[1].captions == ["non-ASCII name"])
        let gnu = try LAIONShardReader().read(shard: Fixtures.url("shards/gnu-long.tar"))
        #expect(gnu.clips.map(\.id) == ["dir/" + String(repeating: "x", count: 150)])
        #expect(gnu.clips[0].captions == ["gnu long name"])
    }

    @Test("hostile members, missing partners and unexpected JSON types are reported; the good samples are read")
    func hostile() throws {
        let url = Fixtures.url("shards/hostile.tar")
        let (clips, problems) = try LAIONShardReader().read(shard: url)
        #expect(clips.map(\.id) == ["ok/a", "ok/b"])
        #expect(clips[1].licence == "CC-BY-4.0")
        let lines = problems.map(\.description).map { $0.replacingOccurrences(of: url.relativePath + ": ", with: "") }
        #expect(lines == [
            "member \"../evil.flac\" at byte 0 is an unsafe name: a \"..\" component (skipped)",
            "member \"/etc/evil.json\" at byte 1024 is an unsafe name: an absolute path (skipped)",
            "member \"ok/link.flac\" at byte 4096 is a symbolic link to \"/etc/passwd\" (links are never followed) (skipped)",
            "member \"ok/hard.flac\" at byte 4608 is a hard link to \"ok/a.flac\" (links are never followed) (skipped)",
            "member \"ok/fifo.flac\" at byte 5120 is a FIFO (skipped)",
            "member \"ok/dev.flac\" at byte 5632 is a character device (skipped)",
            "member \"ok/a/../../up.json\" at byte 6144 is an unsafe name: a \"..\" component (skipped)",
            "sample \"ok/onlyaudio\" has .flac but no .json (skipped)",
            "sample \"ok/onlyjson\" has .json but no .flac (skipped)",
            "sample \"ok/badtype\": ok/badtype.json: \"text\" must be a string or a list of strings, found a number (skipped)",
            "sample \"ok/badlist\": ok/badlist.json: \"text[1]\" must be a string, found a number (skipped)",
            "member \"ok/README\" has no extension, so it belongs to no sample (skipped)",
            "sample \"ok/notjson\": ok/notjson.json: not valid JSON at byte 1: expected a key in double quotes, found \"'\" (skipped)",
            "member \"ok/b.flac\" repeats an extension within its sample (skipped; the first is kept)",
            "sample \"ok/a\" appears twice, not consecutively (webdataset reads two samples)",
            "sample \"ok/a\" has .txt but no .flac and .json (skipped)",
        ])
    }

    @Test("LAION JSON: text as string or list, optional tag and original_data, wrong types named")
    func metadata() throws {
        func parse(_ s: String) -> Result<LAIONMetadata, LAIONMetadata.Problem> { LAIONMetadata.parse(Array(s.utf8)) }
        #expect(try parse(#"{"text": "a"}"#).get().captions == ["a"])
        #expect(try parse(#"{"text": ["a", "", "b"], "tag": null}"#).get().captions == ["a", "b"])
        #expect(try parse(#"{}"#).get() == LAIONMetadata(captions: [], tags: [], licence: nil, json: "{}"))
        #expect(try parse(#" {"text": [], "original_data": {"license": "CC0"}} "#).get().licence == "CC0")
        #expect(parse(#"{"tag": {"a": 1}}"#) == .failure(.init(text: "\"tag\" must be a string or a list of strings, found an object")))
        #expect(parse(#"{"original_data": [1]}"#) == .failure(.init(text: "\"original_data\" must be an object, found an array")))
        #expect(parse(#"[1]"#) == .failure(.init(text: "must be a JSON object, found an array")))
        #expect(parse(#"{"text": "a", "text": "b"}"#) == .failure(.init(text: "\"text\" appears twice")))
        #expect(LAIONMetadata.parse([0x7B, 0xFF, 0x7D]) == .failure(.init(text: "not UTF-8")))
    }

    @Test("sizes.json gives each shard's expected count; a mismatch is reported")
    func sizes() throws {
        let set = try ShardSet.matching(Fixtures.url("shards/train").path + "/*.tar")
        #expect(set.shards.map(\.url.lastPathComponent) == ["0.tar", "1.tar"])
        #expect(set.shards.map(\.expectedCount) == [3, 2])
        #expect(set.expectedTotal == 5)
        #expect(set.part(1, of: 2).shards.map(\.url.lastPathComponent) == ["1.tar"])
        let (_, problems) = try LAIONShardReader().read(shard: set.shards[0].url, expectedCount: 4)
        #expect(problems.map(\.kind) == [.countMismatch(expected: 4, found: 3)])

        let folder = try TemporaryFolder()
        try Data(#"{"0.tar": -1}"#.utf8).write(to: folder.url.appendingPathComponent("sizes.json"))
        try Data().write(to: folder.url.appendingPathComponent("0.tar"))
        #expect(throws: ShardError.self) { try ShardSet.matching(folder.url.path + "/*.tar") }
        #expect(throws: ShardError.noInputs(pattern: folder.url.path + "/*.nothing", what: "shard file")) {
            try ShardSet.matching(folder.url.path + "/*.nothing")
        }
    }

    @Test("a truncated shard delivers the complete samples before the damage, then throws")
    func truncatedShard() throws {
        let source = try Data(contentsOf: Fixtures.url("shards/train/0.tar"))
        let expected = try expectedMembers("train/0.tar")
        let folder = try TemporaryFolder()
        let url = folder.url.appendingPathComponent("0.tar")
        // Cut inside the third sample's .json payload.
        try source.prefix(Int(expected[5].payload_offset) + 3).write(to: url)
        var ids: [String] = []
        #expect(throws: ShardError.self) {
            try LAIONShardReader().forEachClip(shard: url, clip: { ids.append($0.id) }, problem: { _ in })
        }
        #expect(ids == ["scratch/freesound_new/282776", "scratch/freesound_new/17"])
    }

    @Test("an error thrown by the clip handler stops the reading and passes through unchanged")
    func handlerError() throws {
        let stop = ShardError.noInputs(pattern: "handler", what: "thing")
        var delivered = 0
        #expect(throws: stop) {
            try LAIONShardReader().forEachClip(shard: Fixtures.url("shards/train/0.tar"), clip: { _ in
                delivered += 1
                throw stop
            }, problem: { _ in })
        }
        #expect(delivered == 1)
    }

    @Test("a folder of audio files: recursive, sorted, hidden files skipped, captions from file names")
    func folder() throws {
        let folder = try TemporaryFolder()
        for name in ["b/dog_barking-loud.WAV", "a.flac", "a.wav", "notes.txt", ".hidden/x.wav", "b/.y.wav", "c/deep/rain.ogg"] {
            let url = folder.url.appendingPathComponent(name)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data([1]).write(to: url)
        }
        try FileManager.default.createSymbolicLink(atPath: folder.url.appendingPathComponent("loop").path, withDestinationPath: folder.url.path)
        let (entries, failures) = try AudioFolderReader.entries(folder: folder.url)
        #expect(failures == [])
        #expect(entries.map(\.id) == ["a.flac", "a.wav", "b/dog_barking-loud.WAV", "c/deep/rain.ogg"])
        #expect(entries.map(\.captions) == [["a"], ["a"], ["dog barking loud"], ["rain"]])
        #expect(entries[3].resolvedURL.path == folder.url.appendingPathComponent("c/deep/rain.ogg").path)
        #expect(throws: ShardError.noInputs(pattern: folder.url.appendingPathComponent("a.wav").relativePath, what: "folder")) {
            try AudioFolderReader.entries(folder: folder.url.appendingPathComponent("a.wav"))
        }
        #expect(AudioFolderReader.caption(forFileName: "__x  y-.flac") == "x y")
    }
}

@Suite("ArchiveMemberReader")
struct ArchiveMemberReaderTests {
    @Test("a clip's locator reads back exactly its member's bytes, for ustar, pax and GNU shards")
    func readBack() throws {
        for tar in ["train/0.tar", "train/1.tar", "gnu-long.tar"] {
            let url = Fixtures.url("shards/\(tar)")
            let reader = try TarReader(url: url)
            for case .member(let m) in try reader.readAll() {
                let locator = ArchiveMember(name: m.name, payloadOffset: m.payloadOffset, size: m.size)
                #expect(try ArchiveMemberReader.payload(archive: url, member: locator) == reader.payload(of: m, maximumBytes: 1 << 20))
            }
        }
    }

    @Test("a locator that no longer matches the archive is reported as stale, not read")
    func stale() throws {
        let url = Fixtures.url("shards/train/0.tar")
        let (clips, _) = try LAIONShardReader().read(shard: url)
        let good = try #require(clips[0].archiveMember)
        var wrongSize = good
        wrongSize.size += 1
        var wrongOffset = good
        wrongOffset.payloadOffset += 512  // inside the payload: no header before it
        var pastEnd = good
        pastEnd.payloadOffset = 1 << 20
        for (locator, detail) in [(wrongSize, "the header says 1500 bytes, the catalog 1501"),
                                  (wrongOffset, "no intact tar header before the payload"),
                                  (pastEnd, "the archive is 10240 bytes, shorter than the member's end")] {
            #expect(throws: ShardError.staleLocator(file: url.relativePath, member: good.name, offset: locator.payloadOffset, detail: detail)) {
                try ArchiveMemberReader.payload(archive: url, member: locator)
            }
        }
    }
}
