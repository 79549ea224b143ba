import Foundation
import Manifest
import Shards
import Testing
import TestSupport

/// Hostile shard inputs not covered elsewhere (issue 7 item 5): a member whose header declares
/// 10 GB in a 10 KB file. Reading must end with a typed error naming the member, without
/// allocating or reading 10 GB, and the clips before it stay usable.
@Suite("hostile shards")
struct HostileShardTests {
    /// `train/0.tar` with the size field of the member whose header is at `headerOffset` set to
    /// `size` (checksum fixed, so the header itself is valid).
    static func withDeclaredSize(_ size: Int64, headerOffset: Int) throws -> URL {
        var bytes = [UInt8](try Data(contentsOf: Fixtures.url("shards/train/0.tar")))
        let field = Array(String(size, radix: 8).leftPadded(to: 11).utf8) + [0]
        bytes.replaceSubrange((headerOffset + 124)..<(headerOffset + 136), with: field)
        bytes.replaceSubrange((headerOffset + 148)..<(headerOffset + 156), with: [UInt8](repeating: 0x20, count: 8))
        let sum = bytes[headerOffset..<(headerOffset + 512)].reduce(0) { $0 + Int($1) }
        bytes.replaceSubrange((headerOffset + 148)..<(headerOffset + 156), with: Array(String(sum, radix: 8).leftPadded(to: 6).utf8) + [0, 0x20])
        let folder = try Fixtures.temporaryFolder("hostile-shard")
        let url = folder.appendingPathComponent("0.tar")
        try Data(bytes).write(to: url)
        return url
    }

    @Test("a member declaring 10 GB in a 10 KB shard is a typed truncation error naming it; nothing of that size is read or allocated")
    func tenGigabyteMember() throws {
        let expected = try expectedMembers("train/0.tar")
        let victim = expected[2]
        let url = try Self.withDeclaredSize(10 << 30, headerOffset: Int(victim.header_offset))
        defer { try? FileManager.default.removeItem(at: url.deletingLastPathComponent()) }
        let reader = try TarReader(url: url, displayName: "0.tar")
        var names: [String] = []
        do {
            while let e = try reader.next() { if case .member(let m) = e { names.append(m.name) } }
            Issue.record("no error for a member larger than its file")
        } catch let error as ShardError {
            guard case .truncated(_, let member, _, _) = error else { Issue.record("\(error)"); return }
            #expect(member == victim.name)
        }
        #expect(names == expected.prefix(2).map(\.name))
        // The webdataset reader reports it as a problem or an error, and reading the locator of a
        // member that claims 10 GB is refused by size before any read.
        do {
            let result = try LAIONShardReader().read(shard: url)
            #expect(result.clips.allSatisfy { $0.archiveMember!.size < 1 << 20 })
        } catch {
            #expect(error is ShardError, "\(error)")
        }
        let member = ArchiveMember(name: victim.name, payloadOffset: victim.payload_offset, size: 10 << 30)
        #expect(throws: ShardError.self) { try ArchiveMemberReader.payload(archive: url, member: member) }
    }
}

extension String {
    func leftPadded(to width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }
}
