import Foundation
import Manifest

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads one clip's bytes back from a tar through its catalog locator (archive path, member name,
/// payload offset, size), without scanning the archive: what `query` needs to hand a hit's waveform
/// to a runtime.
///
/// Before trusting the locator it re-reads the header block just before the payload and checks that
/// it is intact (checksum), a regular file, and of the recorded size, so a shard that was replaced or
/// rewritten since the build is reported as a stale locator, not decoded as the wrong clip.
public enum ArchiveMemberReader {
    public static func payload(archive: URL, member: ArchiveMember, maximumBytes: Int = 1 << 30) throws -> [UInt8] {
        let file = archive.relativePath
        func stale(_ why: String) -> ShardError {
            .staleLocator(file: file, member: member.name, offset: member.payloadOffset, detail: why)
        }
        guard member.size <= Int64(maximumBytes) else {
            throw ShardError.memberTooLarge(file: file, member: member.name, size: member.size, limit: Int64(maximumBytes))
        }
        guard member.payloadOffset >= 512, member.payloadOffset % 512 == 0, member.size >= 0 else {
            throw stale("a payload offset that is not after a 512-byte header block")
        }
        let fd = open(archive.path, O_RDONLY | O_CLOEXEC)
        if fd < 0 { throw ShardError.cannotRead(file: file, errno: errno) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw ShardError.readFailed(file: file, errno: errno) }
        guard member.payloadOffset + member.size <= Int64(info.st_size) else {
            throw stale("the archive is \(info.st_size) bytes, shorter than the member's end")
        }
        let headerBytes = try TarReader.readExactly(fd, count: 512, at: member.payloadOffset - 512, file: file, member: member.name)
        let header: TarHeader
        do {
            header = try TarHeader(block: headerBytes, offset: member.payloadOffset - 512, file: file)
        } catch {
            throw stale("no intact tar header before the payload")
        }
        guard [UInt8(ascii: "0"), 0, UInt8(ascii: "7")].contains(header.type) else {
            throw stale("the header before the payload is not a regular file's")
        }
        // A pax `size` record can override the header's size field only for members over 8 GiB.
        guard header.size == member.size || member.size >= 0o77777777777 else {
            throw stale("the header says \(header.size) bytes, the catalog \(member.size)")
        }
        return try TarReader.readExactly(fd, count: Int(member.size), at: member.payloadOffset, file: file, member: member.name)
    }
}
