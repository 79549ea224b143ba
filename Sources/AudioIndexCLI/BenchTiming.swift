import Foundation

/// Timing shared by the `bench` subcommands: one untimed warm-up, then wall times of each run.
enum BenchTiming {
    /// One untimed warm-up, then the wall time of each of `runs` calls, in seconds.
    static func times(runs: Int, _ body: () throws -> Void) throws -> [Double] {
        try timesAndCPU(runs: runs, body).times
    }

    /// `times`, plus the CPU utilisation of the timed runs: process CPU seconds (all threads) ÷ wall
    /// seconds (2.0 = two cores busy the whole time), which says how much of a shared machine a run got.
    static func timesAndCPU(runs: Int, _ body: () throws -> Void) throws -> (times: [Double], utilisation: Double) {
        try body()
        let clock = ContinuousClock()
        let cpuStart = processCPUSeconds()
        let times = try (0..<runs).map { _ in
            let d = try clock.measure(body)
            return Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
        }
        return (times, (processCPUSeconds() - cpuStart) / max(times.reduce(0, +), 1e-9))
    }

    /// Process CPU time (all threads) in seconds.
    static func processCPUSeconds() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
    }

    static func median(_ values: [Double]) -> Double {
        let s = values.sorted()
        return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }

    /// One untimed warm-up, then the median wall time of `runs` calls.
    static func medianSeconds(runs: Int, _ body: () throws -> Void) throws -> Double {
        median(try times(runs: runs, body))
    }
}
