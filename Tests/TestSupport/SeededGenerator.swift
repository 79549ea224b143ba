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
