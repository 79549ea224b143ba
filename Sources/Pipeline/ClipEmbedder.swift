import AudioIO
import CLAPAudio
import CLAPFrontEnd
import Diagnostics
import Foundation

/// How a clip longer than the model's 10 s window becomes vectors in an index or an `embed` row.
public enum IndexLongClipPolicy: String, CaseIterable, Sendable {
    /// The middle 10 s (fusion: the centred crops). One vector.
    case center
    /// The first 10 s (fusion: each third's first crop). One vector.
    case start
    /// Every 10 s window embedded, the mean of the window embeddings L2-normalised. One vector.
    case windows
    /// Every 10 s window its own vector, stored with its start time (`build`/`add` only).
    case segments

    var cropPolicy: LongClipPolicy {
        switch self {
        case .center: return .center
        case .start: return .start
        case .windows, .segments: return .windows
        }
    }
}

/// One vector of a clip: the window start in seconds and the L2-normalised embedding.
public struct ClipVector: Sendable, Equatable {
    public var startSeconds: Double
    public var vector: [Float]
}

/// Front end + encoder for one worker (front ends are not thread-safe; the encoder is shared).
public final class ClipEmbedder {
    public let model: AudioModel
    public let policy: IndexLongClipPolicy
    let frontEnd: CLAPFrontEnd
    /// Where resample, features and encoder time is added (build's stage summary), if anywhere.
    public var times: StageTimes?

    public init(model: AudioModel, policy: IndexLongClipPolicy) throws {
        self.model = model
        self.policy = policy
        frontEnd = try model.makeFrontEnd()
    }

    /// The vectors of one clip (48 kHz mono samples): one, or one per 10 s window for `segments`.
    public func vectors(samples: [Float]) throws -> [ClipVector] {
        let start = ProcessInfo.processInfo.systemUptime
        let features = try frontEnd.features(samples, crop: .policy(policy.cropPolicy))
        times?.add(.features, ProcessInfo.processInfo.systemUptime - start)
        CrashPoints.pass("embed.features")
        let per = features.values.count / features.segments.count
        var out: [ClipVector] = []
        for (i, segment) in features.segments.enumerated() {
            let slice = Array(features.values[(i * per)..<((i + 1) * per)])
            let encoderStart = ProcessInfo.processInfo.systemUptime
            let v = try model.encoder.embed(EncoderInput(features: slice, frames: frontEnd.chunkFrames, longer: segment.longer))
            times?.add(.encoder, ProcessInfo.processInfo.systemUptime - encoderStart)
            out.append(ClipVector(startSeconds: Double(segment.start) / Double(frontEnd.sampleRate), vector: v))
            CrashPoints.pass("embed.window")
        }
        if policy == .windows && out.count > 1 {
            var mean = [Float](repeating: 0, count: out[0].vector.count)
            for v in out { for j in mean.indices { mean[j] += v.vector[j] } }
            let norm = mean.reduce(0) { $0 + $1 * $1 }.squareRoot()
            if norm > 0 { for j in mean.indices { mean[j] /= norm } }
            return [ClipVector(startSeconds: 0, vector: mean)]
        }
        return out
    }
}

/// Runs `body(i, worker)` for every index in `0..<count` on `threads` workers, each with its own
/// state from `makeWorker`, and returns the results in index order. Which worker runs an index does
/// not change its result (each result depends only on its input).
public func parallelMap<Worker, Result>(count: Int, threads: Int, makeWorker: () throws -> Worker,
                                        _ body: @escaping (Int, Worker) -> Result) throws -> [Result] {
    guard count > 0 else { return [] }
    let workers = try (0..<max(1, min(threads, count))).map { _ in try makeWorker() }
    if workers.count == 1 { return (0..<count).map { body($0, workers[0]) } }
    let box = ResultBox<Result>(count: count)
    let shared = UncheckedSendable(Shared(body: body, workers: workers))
    DispatchQueue.concurrentPerform(iterations: workers.count) { w in
        while let i = box.claim(below: count) {
            box.set(i, shared.value.body(i, shared.value.workers[w]))
        }
    }
    return box.results()
}

private struct Shared<Worker, Result> {
    let body: (Int, Worker) -> Result
    let workers: [Worker]
}

/// A value handed across threads where the code guarantees exclusive or synchronised use.
struct UncheckedSendable<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}

/// Results written by several threads, each index once; a counter for work claiming.
final class ResultBox<T>: @unchecked Sendable {
    private let lock = NSLock()
    private var values: [T?]
    private var counter = 0
    init(count: Int) { values = Array(repeating: nil, count: count) }
    func set(_ i: Int, _ v: T) { lock.lock(); values[i] = v; lock.unlock() }
    func results() -> [T] { lock.lock(); defer { lock.unlock() }; return values.map { $0! } }
    func claim(below n: Int) -> Int? {
        lock.lock(); defer { lock.unlock() }
        guard counter < n else { return nil }
        counter += 1
        return counter - 1
    }
}

/// Why one clip produced no vector: the stage (as the catalog's failures table names it) and the
/// one-line error.
public struct PipelineFailure: Error, Sendable, Equatable {
    public var stage: FailureStage
    public var message: String
    public init(stage: FailureStage, message: String) { self.stage = stage; self.message = message }
}

/// The stages a clip can fail at (`FailureRecord.Stage` raw values).
public enum FailureStage: String, Sendable { case read, decode, resample, features, encode, index }

extension ClipEmbedder {
    /// Decode → mono → 48 kHz → vectors, as `embed --audio` runs it; the embedding of a `windows`
    /// or `center` clip is its single vector.
    public func embedFile(path: String) -> Result<[Float], PipelineFailure> {
        let decoded: DecodedAudio
        do { decoded = try AudioDecoder.decode(path: path) } catch {
            return .failure(PipelineFailure(stage: .decode, message: ErrorReport.line(for: error)))
        }
        return embed(decoded: decoded).map { $0[0].vector }
    }

    /// Resample and embed already-decoded audio.
    public func embed(decoded: DecodedAudio) -> Result<[ClipVector], PipelineFailure> {
        let clip: LoadedClip
        let start = ProcessInfo.processInfo.systemUptime
        do { clip = try AudioLoader.prepare(decoded); times?.add(.resample, ProcessInfo.processInfo.systemUptime - start) } catch {
            return .failure(PipelineFailure(stage: .resample, message: ErrorReport.line(for: error)))
        }
        CrashPoints.pass("embed.resampled")
        do { return .success(try vectors(samples: clip.samples)) } catch {
            return .failure(PipelineFailure(stage: .encode, message: ErrorReport.line(for: error)))
        }
    }
}
