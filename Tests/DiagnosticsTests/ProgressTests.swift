import Diagnostics
import Foundation
import Testing

/// A clock and a sink the test controls.
private final class Recorder: @unchecked Sendable {
    var now = 0.0
    var lines: [(String, Bool)] = []
    let lock = NSLock()
    func record(_ text: String, _ redraw: Bool) { lock.lock(); lines.append((text, redraw)); lock.unlock() }
}

@Suite("Progress on stderr")
struct ProgressTests {
    @Test("the line gives count, percentage, failures, rate, elapsed time and ETA")
    func lineContents() {
        let line = ProgressReporter.line(label: "build", unit: "clips", done: 1234, total: 5000, failed: 3, elapsed: 384)
        #expect(line == "build: 1,234/5,000 clips (24.7%), 3 failed, 3.21 clips/s, elapsed 6m24s, ETA 19m32s")
        let unknown = ProgressReporter.line(label: "scan", unit: "members", done: 250_000, total: nil, failed: 0, elapsed: 100)
        #expect(unknown == "scan: 250,000 members, 2500 members/s, elapsed 1m40s")
        let finished = ProgressReporter.line(label: "b", unit: "clips", done: 10, total: 10, failed: 0, elapsed: 2)
        #expect(!finished.contains("ETA"))
    }

    @Test("durations read as s, m, h and d; projections for 633,526 clips stay readable")
    func durations() {
        #expect(ProgressReporter.duration(0) == "0s")
        #expect(ProgressReporter.duration(59.4) == "59s")
        #expect(ProgressReporter.duration(3599) == "59m59s")
        #expect(ProgressReporter.duration(7500) == "2h05m")
        #expect(ProgressReporter.duration(633_526 / 2.5) == "2d22h")
        #expect(ProgressReporter.duration(.infinity) == "?")
        #expect(ProgressReporter.grouped(633_526) == "633,526" && ProgressReporter.grouped(999) == "999")
    }

    @Test("a log file gets one full line per interval and a final line; a terminal redraws and ends the line")
    func throttling() {
        for terminal in [false, true] {
            let recorder = Recorder()
            let reporter = ProgressReporter(label: "build", total: 100, terminal: terminal, terminalInterval: 1,
                                            logInterval: 10, clock: { recorder.now },
                                            sink: { recorder.record($0, $1) })
            for i in 1...100 {
                recorder.now = Double(i) * 0.5   // 2 items per second, 50 s in all
                reporter.advance()
            }
            reporter.finish()
            let drawn = recorder.lines.filter { $0.0 != "\n" }
            #expect(drawn.count == (terminal ? 51 : 6), "terminal \(terminal): \(drawn.count) lines")
            #expect(drawn.allSatisfy { $0.1 == terminal })
            #expect(drawn.last?.0 == "build: 100/100 clips (100.0%), 2.00 clips/s, elapsed 50s")
            #expect((recorder.lines.last?.0 == "\n") == terminal)
        }
    }
}
