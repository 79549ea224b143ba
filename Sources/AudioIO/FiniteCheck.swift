/// Finding NaN and ±Inf samples (float WAVs can hold them; they would poison every later stage).
public enum FiniteCheck {
    /// Index of the first NaN or infinite value, or nil.
    ///
    /// Fast path: per block of 4096 values, the maximum of the exponent bits (`bits & 0x7F80_0000`),
    /// which is 0x7F80_0000 exactly when the block holds a non-finite value. An integer max has no
    /// rounding, so the compiler vectorises it; only a flagged block is searched value by value.
    public static func firstNonFinite(_ x: [Float]) -> Int? {
        x.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: UInt32.self) { bits in
                let block = 4_096
                var start = 0
                while start < bits.count {
                    let end = min(start + block, bits.count)
                    var exponent: UInt32 = 0
                    for i in start..<end { exponent = max(exponent, bits[i] & 0x7F80_0000) }
                    if exponent == 0x7F80_0000 {
                        return (start..<end).first { !buffer[$0].isFinite }
                    }
                    start = end
                }
                return nil
            }
        }
    }

    /// Slow twin: the obvious scan.
    public static func firstNonFiniteReference(_ x: [Float]) -> Int? {
        x.firstIndex { !$0.isFinite }
    }
}
