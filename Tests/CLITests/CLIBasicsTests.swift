import Foundation
import Testing
import TestSupport

@Suite("CLI basics: help, usage errors and exit codes")
struct CLIBasicsTests {
    @Test("--help goes to stdout with exit 0 and lists the exit codes")
    func help() throws {
        let r = try CLI.run(["--help"])
        #expect(r.status == 0)
        #expect(r.stdout.contains("USAGE: audio-index"))
        #expect(r.stdout.contains("EXIT CODES"))
        #expect(r.stdout.contains("some inputs failed"))
    }

    @Test("an unknown option is a usage error: exit 2 (not the parser's 64), message on stderr")
    func unknownOption() throws {
        let r = try CLI.run(["--no-such-option"])
        #expect(r.status == 2)
        #expect(r.stdout.isEmpty)
        #expect(r.stderr.contains("no-such-option"))
    }
}
