import CVectorKernels
import LinearAlgebra

/// Seeded, deterministic k-means for IVF training (anchors §3: faiss trains on min(N, 256·nlist)
/// points with 10 Lloyd iterations; its IVF over inner product uses spherical k-means, i.e. the
/// centroids are re-normalised after each update, and assigns by the quantizer's own metric).
///
/// Initialisation is sampled: `nlist` distinct training points chosen by the seed. Each Lloyd
/// iteration assigns every training point with one sgemm per block (`S = X · Cᵀ`; ip: largest
/// score, l2: smallest ‖c‖² − 2·x·c) and then averages. An empty cluster is repaired by splitting
/// the largest one: both get its centroid nudged by ±ε in alternating components, and the points
/// are shared on the next assignment. The same seed, data and thread count give the same centroids.
public enum KMeans {
    public struct Options: Sendable {
        public var iterations: Int
        /// At most this many training points per centroid (a seeded sample of the input).
        public var maxPointsPerCentroid: Int
        public var seed: UInt64
        public init(iterations: Int = 10, maxPointsPerCentroid: Int = 256, seed: UInt64 = 1) {
            self.iterations = iterations; self.maxPointsPerCentroid = maxPointsPerCentroid; self.seed = seed
        }
    }

    /// The default list count for `n` vectors: about 4·√n, at least 1, at most n.
    public static func defaultListCount(for n: Int) -> Int {
        max(1, min(n, Int((4 * Double(n).squareRoot()).rounded())))
    }

    /// Row-major `nlist × d` centroids trained on `vectors` (`n × d`, row-major), as `build --kind
    /// ivf` trains them. Requires n ≥ nlist ≥ 1.
    public static func train(_ vectors: [Float], dimension d: Int, nlist: Int, metric: Metric, options: Options) -> [Float] {
        vectors.withUnsafeBufferPointer { train(vectors: $0, dimension: d, nlist: nlist, metric: metric, options: options) }
    }

    static func train(vectors: UnsafeBufferPointer<Float>, dimension d: Int, nlist: Int, metric: Metric, options: Options) -> [Float] {
        let n = vectors.count / d
        precondition(nlist >= 1 && n >= nlist, "k-means: \(n) points for \(nlist) lists")
        var rng = SplitMix64(state: options.seed)
        // Training sample: a seeded choice of distinct rows (all rows when few enough).
        let limit = nlist * max(1, options.maxPointsPerCentroid)
        var sample: [Float]
        if n > limit {
            let rows = rng.distinctIndices(limit, below: n).sorted()
            sample = [Float](repeating: 0, count: limit * d)
            for (i, r) in rows.enumerated() { for j in 0..<d { sample[i * d + j] = vectors[r * d + j] } }
        } else {
            sample = Array(vectors)
        }
        let m = sample.count / d
        var centroids = [Float](repeating: 0, count: nlist * d)
        for (c, r) in rng.distinctIndices(nlist, below: m).enumerated() {
            for j in 0..<d { centroids[c * d + j] = sample[r * d + j] }
        }
        var assignment = [Int32](repeating: 0, count: m)
        for _ in 0..<max(0, options.iterations) {
            sample.withUnsafeBufferPointer { s in
                assign(s, dimension: d, centroids: centroids, metric: metric, into: &assignment)
            }
            update(sample, dimension: d, assignment: assignment, metric: metric, centroids: &centroids)
        }
        return centroids
    }

    /// Nearest centroid of each row (`vectors.count / d` rows) by the metric: one sgemm per block
    /// of rows, then a SIMD arg-best per row (`avk_argbest`: ip largest x·c, l2 smallest
    /// ‖c‖² − 2·x·c; ‖x‖² is common to every c). NaN scores never win; ties go to the smaller
    /// list; a row whose scores are all NaN goes to list 0.
    static func assign(_ vectors: UnsafeBufferPointer<Float>, dimension d: Int, centroids: [Float], metric: Metric, into out: inout [Int32]) {
        let n = vectors.count / d, k = centroids.count / d
        guard n > 0, let x = vectors.baseAddress else { return }
        // 1024 rows per block: a 1024 × nlist score block (4 MiB at nlist 1024) is read back by the
        // arg-best while still in L2/L3, instead of streaming 16 MiB through memory twice.
        let block = max(1, min(n, max(64, (1 << 20) / max(1, k))))
        var scores = [Float](repeating: 0, count: block * k)
        let norms: [Float] = metric == .l2
            ? centroids.withUnsafeBufferPointer { c in (0..<k).map { FlatKernel.dot(c.baseAddress! + $0 * d, c.baseAddress! + $0 * d, d) } }
            : [Float](repeating: 0, count: k)
        centroids.withUnsafeBufferPointer { c in
            scores.withUnsafeMutableBufferPointer { s in
                norms.withUnsafeBufferPointer { nb in
                    out.withUnsafeMutableBufferPointer { o in
                        for r0 in stride(from: 0, to: n, by: block) {
                            let rn = min(block, n - r0)
                            BLAS.sgemm(transA: false, transB: true, m: rn, n: k, k: d, a: x + r0 * d, lda: d, b: c.baseAddress!, ldb: d, c: s.baseAddress!, ldc: k)
                            avk_argbest(s.baseAddress!, rn, k, k, nb.baseAddress!, metric == .l2 ? 1 : 0, o.baseAddress! + r0)
                        }
                    }
                }
            }
        }
    }

    /// Lloyd's update: each centroid becomes the mean of its points (re-normalised for ip);
    /// empty clusters split the largest one. Sums run in float64 per centroid (one pass over the
    /// points, SIMD adds), so the mean does not depend on the order of a cluster's points beyond
    /// float64 rounding.
    static func update(_ x: [Float], dimension d: Int, assignment: [Int32], metric: Metric, centroids: inout [Float]) {
        let k = centroids.count / d
        var sums = [Double](repeating: 0, count: k * d)
        var counts = [Int](repeating: 0, count: k)
        x.withUnsafeBufferPointer { xb in
            sums.withUnsafeMutableBufferPointer { sb in
                let xp = xb.baseAddress!, sp = sb.baseAddress!
                for (r, a) in assignment.enumerated() {
                    let c = Int(a)
                    counts[c] += 1
                    let dst = sp + c * d, src = xp + r * d
                    for j in 0..<d { dst[j] += Double(src[j]) }
                }
            }
        }
        for c in 0..<k where counts[c] > 0 {
            let inv = 1 / Double(counts[c])
            for j in 0..<d { centroids[c * d + j] = Float(sums[c * d + j] * inv) }
        }
        // Empty-cluster repair (deterministic): split the currently largest cluster.
        let epsilon: Float = 1.0 / 1024
        for c in 0..<k where counts[c] == 0 {
            var big = 0
            for l in 1..<k where counts[l] > counts[big] { big = l }
            for j in 0..<d {
                let v = centroids[big * d + j]
                let sign: Float = j % 2 == 0 ? 1 : -1
                centroids[c * d + j] = v * (1 + sign * epsilon)
                centroids[big * d + j] = v * (1 - sign * epsilon)
            }
            counts[c] = counts[big] / 2
            counts[big] -= counts[c]
        }
        if metric == .ip {
            centroids.withUnsafeMutableBufferPointer { cb in
                for c in 0..<k {
                    let p = cb.baseAddress! + c * d
                    let norm = FlatKernel.dot(p, p, d)
                    if norm > 0, norm.isFinite {
                        let inv = 1 / norm.squareRoot()
                        for j in 0..<d { p[j] *= inv }
                    }
                }
            }
        }
    }
}

/// SplitMix64: a tiny seeded generator, so training is reproducible across runs and platforms.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    public var state: UInt64
    public init(state: UInt64) { self.state = state }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// `count` distinct integers in 0..<n, in the order drawn (a partial Fisher–Yates over a lazy
    /// permutation, so it costs O(count), not O(n)).
    mutating func distinctIndices(_ count: Int, below n: Int) -> [Int] {
        precondition(count <= n)
        var swapped: [Int: Int] = [:]
        var out: [Int] = []
        out.reserveCapacity(count)
        for i in 0..<count {
            let j = i + Int(next() % UInt64(n - i))
            let vj = swapped[j] ?? j, vi = swapped[i] ?? i
            out.append(vj)
            swapped[j] = vi
        }
        return out
    }
}
