import Foundation

/// Seconds spent per pipeline stage, summed over worker threads (thread-seconds), for the build
/// summary and `Scripts/bench/bench_build.sh` (issue 6 item 8: the share of time per stage).
/// Wall-clock intervals around whole stage calls; a few clock reads per clip, negligible beside
/// decoding or the encoder.
public final class StageTimes: @unchecked Sendable {
    public enum Stage: String, CaseIterable, Sendable {
        /// Reading and decoding the file (libsndfile), tar payload reads included.
        case decode
        /// SHA-256 of the decoded samples (deduplication).
        case hash
        /// Mono downmix and resampling to 48 kHz (libsoxr).
        case resample
        /// The log-mel front end.
        case features
        /// HTSAT + projection.
        case encoder
        /// Vector files: segment and generation writes, publishing.
        case index
        /// Catalog transactions and lookups.
        case catalog
    }

    private let lock = NSLock()
    private var seconds: [Stage: Double] = [:]

    public init() {}

    public func add(_ stage: Stage, _ t: Double) {
        lock.lock(); seconds[stage, default: 0] += t; lock.unlock()
    }

    /// Runs `body`, adding its wall time to `stage`.
    public func measure<T>(_ stage: Stage, _ body: () throws -> T) rethrows -> T {
        let start = ProcessInfo.processInfo.systemUptime
        defer { add(stage, ProcessInfo.processInfo.systemUptime - start) }
        return try body()
    }

    /// Every stage in pipeline order with its seconds (0 when unused).
    public var snapshot: [(stage: Stage, seconds: Double)] {
        lock.lock(); defer { lock.unlock() }
        return Stage.allCases.map { ($0, seconds[$0] ?? 0) }
    }
}
