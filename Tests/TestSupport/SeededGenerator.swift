/// SplitMix64: a fixed-seed generator, so every run of a randomised test uses the same inputs
/// (tests never depend on the system RNG).
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    public var state: UInt64
    public init(state: UInt64) { self.state = state }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

extension SeededGenerator {
    /// `count` floats uniform in `range`.
    public mutating func floats(_ count: Int, in range: ClosedRange<Float> = -1...1) -> [Float] {
        (0..<count).map { _ in Float.random(in: range, using: &self) }
    }

    /// `count` doubles uniform in `range`.
    public mutating func doubles(_ count: Int, in range: ClosedRange<Double> = -1...1) -> [Double] {
        (0..<count).map { _ in Double.random(in: range, using: &self) }
    }
}

extension SeededGenerator {
    /// `count` unit vectors of dimension `d` (row-major), the CLAP case.
    public mutating func unitVectors(_ count: Int, _ d: Int) -> [Float] {
        var out: [Float] = []
        for _ in 0..<count {
            var v = floats(d)
            let norm = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
            if norm > 0 { v = v.map { $0 / norm } }
            out += v
        }
        return out
    }

    /// Clustered unit vectors (the vector-index anchors' generator in small: a few "super"
    /// directions, centres around them, points around the centres), so IVF recall is neither
    /// trivial nor hopeless.
    public mutating func clusteredUnitVectors(_ count: Int, _ d: Int, clusters: Int, noise: Float = 0.45) -> [Float] {
        let supers = unitVectors(4, d)
        var centres: [[Float]] = []
        for c in 0..<clusters {
            let s = c % 4
            var v = (0..<d).map { supers[s * d + $0] + 0.6 * Float.random(in: -1...1, using: &self) }
            let n = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
            v = v.map { $0 / n }
            centres.append(v)
        }
        var out: [Float] = []
        for _ in 0..<count {
            let c = centres[Int.random(in: 0..<clusters, using: &self)]
            var v = (0..<d).map { c[$0] + noise * Float.random(in: -1...1, using: &self) }
            let n = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
            v = v.map { $0 / n }
            out += v
        }
        return out
    }
}
