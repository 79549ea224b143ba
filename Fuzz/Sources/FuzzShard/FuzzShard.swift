import FuzzSupport
import Manifest
import Shards

// Tar reader + webdataset grouping + LAION JSON: any bytes give clips and problems, or a ShardError.
// Every clip delivered must point inside the file and read back through its locator.
private func fuzzOne(_ data: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let bytes = fuzzBytes(data, count)
    let url = fuzzFile("shard.tar", bytes)
    expectOnly(ShardError.self, from: "shard reader") {
        try LAIONShardReader().forEachClip(shard: url, clip: { clip in
            let member = clip.archiveMember!
            precondition(member.payloadOffset >= 512 && member.payloadOffset + member.size <= Int64(bytes.count),
                         "a locator outside the archive")
            precondition(!member.name.hasPrefix("/") && !member.name.split(separator: "/").contains(".."), "an unsafe name")
            _ = try ArchiveMemberReader.payload(archive: url, member: member)
        }, problem: { _ in })
    }
    return 0
}

@_cdecl("FuzzShard_main")
public func entry(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runFuzzer(argc, argv) { fuzzOne($0, $1) }
}
