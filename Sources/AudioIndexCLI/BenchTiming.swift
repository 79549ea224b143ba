/// Timing shared by the `bench` subcommands: one untimed warm-up, then wall times of each run.
enum BenchTiming {
    /// One untimed warm-up, then the wall time of each of `runs` calls, in seconds.
    static func times(runs: Int, _ body: () throws -> Void) throws -> [Double] {
        try body()
        let clock = ContinuousClock()
        return try (0..<runs).map { _ in
            let d = try clock.measure(body)
            return Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
        }
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
