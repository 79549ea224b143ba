import AudioIO
import Catalog
import CLAPFrontEnd
import CLAPText
import Diagnostics
import Foundation
import LinearAlgebra
import Manifest
import Shards

/// What `verify --model` found (issue 6 item 3): stored vectors against a fresh embedding of a few
/// clips, and whether the text tower's embeddings have collapsed.
public struct ModelSelfTestReport: Sendable {
    /// One re-embedded clip: the smallest cosine and largest component difference over its vectors.
    public struct Clip: Sendable {
        public var id: String
        public var vectors: Int
        public var cosine: Float
        public var maxAbsDifference: Float
    }

    /// Largest allowed |stored − re-embedded| per component. The index stored exactly what this code
    /// computes, so on the same machine the difference is 0; on another CPU, OpenBLAS may pick other
    /// sgemm kernels and sum in another order, which moves float32 results by far less than this. The
    /// bound is the one the encoder's end-to-end tests hold Swift to against PyTorch
    /// (Tests/CLAPAudioTests/EndToEndTests.swift); another checkpoint, front end or decoder moves
    /// components by 1e-2 and more.
    public static let tolerance: Float = 1e-4
    /// Mean pairwise cosine of distinct texts above which the text tower is reported as collapsed
    /// (the broken `larger_clap_music` projection maps every text to nearly one direction).
    public static let collapseThreshold = 0.99

    public var clips: [Clip] = []
    /// Stored vectors that do not match, clips that could not be re-embedded, a wrong model.
    public var problems: [String] = []
    /// The texts embedded (distinct captions of the sampled clips, topped up with fixed probes).
    public var texts: [String] = []
    /// Mean cosine over all pairs of `texts`' embeddings; nil when the text side was not tested.
    public var meanPairwiseTextCosine: Double?
    /// Text collapse and skipped text tests (the index itself can still be sound).
    public var warnings: [String] = []
}

extension IndexQuery {
    /// Probe texts that any working text tower separates (used when the sampled clips have fewer
    /// than four distinct captions).
    static let probeTexts = ["a dog barking", "rain falling on a roof", "a church bell ringing", "a man speaking", "a piano melody"]

    /// `verify --model`: re-hashes `modelPath` (never the cache) and checks it is the index's audio
    /// model; re-embeds `sampleCount` clips spread over the catalog (by id) and compares each of
    /// their stored vectors within `ModelSelfTestReport.tolerance`; embeds their captions with the
    /// text tower (`tokenizer`, else the recorded one, else the model folder's) and warns when the
    /// mean pairwise cosine exceeds `collapseThreshold`.
    public func selfTest(modelPath: String, tokenizer: String?, sampleCount: Int) throws -> ModelSelfTestReport {
        guard let facts = try catalog.model() else { throw PipelineError.notAnIndex(path: index.url.path, detail: "no model recorded") }
        var report = ModelSelfTestReport()
        let family: ProfileFamily = facts.profile.hasPrefix("hf") ? .hf : (facts.profile == "laion-fusion" ? .laionFusion : .laion)
        let model = try AudioModel.load(path: modelPath, profile: family)
        let fingerprint = model.fingerprint(tensorDigest: try model.tensorDigest(), longClipPolicy: facts.longClipPolicy)
        guard fingerprint == facts.fingerprint else {
            throw PipelineError.indexMismatch(index: index.url.path, detail: "the model \(modelPath) is not the one the index was built with (\(facts.modelPath)): its audio-tower fingerprint differs")
        }
        BLAS.setThreadCount(1)
        let policy = IndexLongClipPolicy(rawValue: facts.longClipPolicy) ?? .center
        let embedder = try ClipEmbedder(model: model, policy: policy)
        let all = try catalog.allClips()
        let picked = Self.spread(all.count, sampleCount).map { all[$0] }
        let live = vectors.liveRows()
        let d = dimension
        var at: [Int64: Int] = [:]
        for (i, id) in live.ids.enumerated() { at[id] = i }
        for clip in picked {
            let decoded: DecodedAudio
            do {
                switch clip.locator {
                case .file(let path):
                    decoded = try AudioDecoder.decode(path: path)
                case .archiveMember(let archive, let member, let offset, let size):
                    let bytes = try ArchiveMemberReader.payload(archive: URL(fileURLWithPath: archive),
                                                                member: ArchiveMember(name: member, payloadOffset: offset, size: size))
                    decoded = try AudioDecoder.decode(bytes: bytes, name: member)
                }
            } catch {
                report.problems.append("clip \(clip.id): cannot read its audio again: \(ErrorReport.line(for: error))")
                continue
            }
            guard AudioHash.sha256(decoded) == clip.audioHash else {
                report.problems.append("clip \(clip.id): the audio at \(clip.locator) changed since it was indexed (its audio hash differs)")
                continue
            }
            let fresh: [ClipVector]
            switch embedder.embed(decoded: decoded) {
            case .success(let v): fresh = v
            case .failure(let f): report.problems.append("clip \(clip.id): \(f.message)"); continue
            }
            let stored = try catalog.rows(ofClip: clip.id)
            guard stored.count == fresh.count else {
                report.problems.append("clip \(clip.id): \(stored.count) stored vectors, \(fresh.count) re-embedded")
                continue
            }
            var entry = ModelSelfTestReport.Clip(id: clip.id, vectors: fresh.count, cosine: 1, maxAbsDifference: 0)
            for (s, f) in zip(stored, fresh) {
                guard let i = at[s.row] else { report.problems.append("clip \(clip.id): row \(s.row) is not among the live vectors"); continue }
                let v = live.vectors[(i * d)..<((i + 1) * d)]
                var dot: Float = 0, diff: Float = 0
                for (a, b) in zip(v, f.vector) { dot += a * b; diff = max(diff, abs(a - b)) }
                entry.cosine = min(entry.cosine, dot)
                entry.maxAbsDifference = max(entry.maxAbsDifference, diff)
            }
            if entry.maxAbsDifference > ModelSelfTestReport.tolerance || entry.maxAbsDifference.isNaN {
                report.problems.append("clip \(clip.id): its stored vector differs from a fresh embedding by up to \(entry.maxAbsDifference) (allowed \(ModelSelfTestReport.tolerance); cosine \(entry.cosine))")
            }
            report.clips.append(entry)
        }
        // The text side: never compared with the index, only checked for collapse.
        let encoder: CLAPTextEncoder
        do {
            encoder = try CLAPTextEncoder.load(model: URL(fileURLWithPath: modelPath),
                                               tokenizer: (tokenizer ?? facts.tokenizerPath).map { URL(fileURLWithPath: $0) })
        } catch {
            report.warnings.append("text self-test skipped: \(ErrorReport.line(for: error)) (give --tokenizer DIR)")
            return report
        }
        guard encoder.dimension == d else {
            report.warnings.append("the text tower gives \(encoder.dimension)-d embeddings, the index holds \(d)-d vectors: text queries cannot work")
            return report
        }
        var texts: [String] = []
        for clip in picked { for c in clip.captions where !texts.contains(c) { texts.append(c) } }
        for p in Self.probeTexts where texts.count < 4 && !texts.contains(p) { texts.append(p) }
        let embeddings = try encoder.embed(texts: texts)
        var sum = 0.0, pairs = 0
        for i in embeddings.indices { for j in embeddings.indices where j > i {
            sum += Double(zip(embeddings[i], embeddings[j]).reduce(Float(0)) { $0 + $1.0 * $1.1 }); pairs += 1
        } }
        report.texts = texts
        report.meanPairwiseTextCosine = pairs > 0 ? sum / Double(pairs) : nil
        if let mean = report.meanPairwiseTextCosine, mean > ModelSelfTestReport.collapseThreshold {
            report.warnings.append(String(format: "text embeddings collapse: the mean pairwise cosine of %d different texts is %.4f (above %.2f); text queries will rank almost at random (as with the broken larger_clap_music text projection): use another checkpoint for --text",
                                          texts.count, mean, ModelSelfTestReport.collapseThreshold))
        }
        return report
    }

    /// `k` indices spread evenly over `0..<n` (all of them when n ≤ k), first and last included.
    static func spread(_ n: Int, _ k: Int) -> [Int] {
        guard n > k else { return Array(0..<n) }
        guard k > 1 else { return k == 1 ? [0] : [] }
        return (0..<k).map { $0 * (n - 1) / (k - 1) }
    }
}
