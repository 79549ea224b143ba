import Foundation

/// Progress of a long job (a build over hundreds of thousands of clips) on stderr: count, percentage,
/// rate and ETA. On a terminal one line is redrawn at most every `terminalInterval`; in a log file (a
/// cluster job's stderr) a full line is written every `logInterval`, so logs stay readable.
public final class ProgressReporter: @unchecked Sendable {
    public typealias Clock = @Sendable () -> Double
    public typealias Sink = @Sendable (_ text: String, _ redraw: Bool) -> Void

    private let label: String
    private let unit: String
    private let total: Int?
    private let clock: Clock
    private let sink: Sink
    private let redraws: Bool
    private let interval: Double
    private let lock = NSLock()
    private let start: Double
    private var lastDraw: Double
    private var done = 0
    private var failed = 0
    private var drewSomething = false

    /// - Parameters:
    ///   - total: the number of items, or nil when unknown (tar shards streamed without `sizes.json`).
    ///   - terminal: redraw one line (default: whether stderr is a terminal).
    public init(label: String, unit: String = "clips", total: Int?, terminal: Bool = StandardError.isTerminal,
                terminalInterval: Double = 0.25, logInterval: Double = 10,
                clock: @escaping Clock = { ProcessInfo.processInfo.systemUptime },
                sink: Sink? = nil) {
        self.label = label
        self.unit = unit
        self.total = total
        self.clock = clock
        self.redraws = terminal
        self.interval = terminal ? terminalInterval : logInterval
        self.sink = sink ?? { text, redraw in
            if redraw { StandardError.writeRaw("\r\u{1B}[2K" + text) } else { StandardError.writeLine(text) }
        }
        start = clock()
        lastDraw = start
    }

    /// Records `count` finished items, `failures` of which failed.
    public func advance(by count: Int = 1, failures: Int = 0) {
        lock.lock()
        done += count
        failed += failures
        let now = clock()
        let due = now - lastDraw >= interval
        if due { lastDraw = now }
        let snapshot = (done, failed, now - start)
        lock.unlock()
        if due { draw(snapshot.0, snapshot.1, snapshot.2) }
    }

    /// Draws the final state and ends the terminal line. Returns the elapsed seconds.
    @discardableResult
    public func finish() -> Double {
        lock.lock()
        let snapshot = (done, failed, clock() - start)
        lock.unlock()
        draw(snapshot.0, snapshot.1, snapshot.2)
        if redraws { sink("\n", true) }
        return snapshot.2
    }

    private func draw(_ done: Int, _ failed: Int, _ elapsed: Double) {
        sink(ProgressReporter.line(label: label, unit: unit, done: done, total: total, failed: failed,
                                   elapsed: elapsed), redraws)
    }

    /// `build: 1,234/5,000 clips (24.7%), 3 failed, 3.21 clips/s, elapsed 6m24s, ETA 19m32s`.
    public static func line(label: String, unit: String, done: Int, total: Int?, failed: Int, elapsed: Double) -> String {
        var parts: [String] = []
        if let total {
            let percent = total > 0 ? 100 * Double(done) / Double(total) : 100
            parts.append("\(grouped(done))/\(grouped(total)) \(unit) (\(String(format: "%.1f", percent))%)")
        } else {
            parts.append("\(grouped(done)) \(unit)")
        }
        if failed > 0 { parts.append("\(grouped(failed)) failed") }
        let rate = elapsed > 0 ? Double(done) / elapsed : 0
        parts.append(String(format: rate >= 100 ? "%.0f %@/s" : "%.2f %@/s", rate, unit))
        parts.append("elapsed " + duration(elapsed))
        if let total, rate > 0, done < total {
            parts.append("ETA " + duration(Double(total - done) / rate))
        }
        return "\(label): " + parts.joined(separator: ", ")
    }

    /// `45s`, `6m24s`, `2h05m`, `3d04h`.
    public static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite, seconds >= 0 else { return "?" }
        let s = Int(seconds.rounded())
        if s < 60 { return "\(s)s" }
        if s < 3600 { return "\(s / 60)m\(String(format: "%02d", s % 60))s" }
        if s < 86400 { return "\(s / 3600)h\(String(format: "%02d", (s % 3600) / 60))m" }
        return "\(s / 86400)d\(String(format: "%02d", (s % 86400) / 3600))h"
    }

    /// 633526 → `633,526`.
    public static func grouped(_ n: Int) -> String {
        let digits = String(abs(n))
        var out = ""
        for (i, c) in digits.reversed().enumerated() {
            if i > 0 && i % 3 == 0 { out.append(",") }
            out.append(c)
        }
        return (n < 0 ? "-" : "") + String(out.reversed())
    }
}
