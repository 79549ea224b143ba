import Foundation
import Shards
import Testing
import TestSupport

@Suite("TarReader mutation fuzz")
struct TarFuzzTests {
    /// Seeded mutations of the fixture archives: byte flips, runs of random bytes, cuts, changed
    /// size digits, pasted headers. Each case must end (the reader always moves forward) with either
    /// members that lie inside the file and have safe names, or a `ShardError`; never a crash.
    @Test("4,000 mutated archives give a typed error or well-formed members, never a crash or a hang")
    func fuzz() throws {
        let sources = try ["train/0.tar", "train/1.tar", "gnu-long.tar", "hostile.tar"].map {
            [UInt8](try Data(contentsOf: Fixtures.url("shards/\($0)")))
        }
        let folder = try TemporaryFolder()
        let url = folder.url.appendingPathComponent("fuzz.tar")
        var rng = SeededGenerator(state: 2026)
        var outcomes = (clean: 0, errors: 0)
        for _ in 0..<4000 {
            var bytes = sources[Int.random(in: 0..<sources.count, using: &rng)]
            for _ in 0..<Int.random(in: 1...4, using: &rng) where bytes.count >= 512 {
                switch Int.random(in: 0..<6, using: &rng) {
                case 0:  // flip bits anywhere in the first blocks (headers live there)
                    let i = Int.random(in: 0..<min(bytes.count, 8192), using: &rng)
                    bytes[i] ^= UInt8.random(in: 1...255, using: &rng)
                case 1:  // a random digit in a size field of some header block
                    let block = Int.random(in: 0..<(bytes.count / 512), using: &rng)
                    bytes[block * 512 + 124 + Int.random(in: 0..<11, using: &rng)] = UInt8(ascii: "0") + UInt8.random(in: 0...9, using: &rng)
                case 2:  // cut
                    bytes = Array(bytes.prefix(Int.random(in: 0...bytes.count, using: &rng)))
                case 3:  // random run
                    if bytes.count > 64 {
                        let i = Int.random(in: 0..<(bytes.count - 32), using: &rng)
                        for j in i..<(i + 32) { bytes[j] = UInt8.random(in: 0...255, using: &rng) }
                    }
                case 4:  // duplicate a block (a header pasted where a payload was)
                    if bytes.count >= 1024 {
                        let from = Int.random(in: 0..<(bytes.count / 512), using: &rng) * 512
                        let to = Int.random(in: 0..<(bytes.count / 512), using: &rng) * 512
                        let block = Array(bytes[from..<(from + 512)])
                        bytes.replaceSubrange(to..<(to + 512), with: block)
                    }
                default:  // type flag
                    let block = Int.random(in: 0..<max(1, bytes.count / 512), using: &rng)
                    if block * 512 + 156 < bytes.count {
                        bytes[block * 512 + 156] = Array("0125x gLKS7V".utf8)[Int.random(in: 0..<12, using: &rng)]
                    }
                }
            }
            try Data(bytes).write(to: url)
            let reader = try TarReader(url: url)
            do {
                var previousEnd: Int64 = 0
                while let event = try reader.next() {
                    if case .member(let m) = event {
                        #expect(m.payloadOffset >= previousEnd && m.payloadOffset + m.size <= Int64(bytes.count))
                        #expect(!m.name.hasPrefix("/") && !m.name.split(separator: "/").contains("..") && !m.name.isEmpty)
                        previousEnd = m.payloadOffset + m.size
                        if m.size <= 4096 { #expect(try reader.payload(of: m, maximumBytes: 4096).count == Int(m.size)) }
                    }
                }
                outcomes.clean += 1
            } catch is ShardError {
                outcomes.errors += 1
            }
        }
        // Both outcomes occur, so the mutations reach the reader's checks and pass them.
        #expect(outcomes.clean > 100 && outcomes.errors > 100, "\(outcomes)")
    }
}
