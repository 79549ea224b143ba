import Foundation
import NumPyFormat

extension Fixtures {
    /// Reads a committed `.npy` fixture (path relative to Tests/Fixtures).
    public static func npy(_ relativePath: String) throws -> NPYArray {
        try NPY.read(contentsOf: url(relativePath))
    }
}

/// The fixture bound for log-mel spectrograms, evaluated frame by frame (a frame is one row):
/// - on every bin within `windowDB` (60 dB) of its reference frame's maximum, `|dB − dB_ref|`
///   must be ≤ `dbTolerance` (1e-3 dB);
/// - on the other bins, `|P − P_ref|` (P = 10^(dB/10), the mel power) must be ≤
///   `relativeTolerance` (1e-6) × the reference frame's maximum mel power.
/// Quiet bins are judged on an absolute power scale because their dB value is dominated by
/// rounding noise far below anything audible or anything the model can see.
public struct LogMelComparison: CustomStringConvertible, Sendable {
    public let windowDB: Double
    /// Largest |ΔdB| among bins within `windowDB` of their frame's maximum, and where.
    public private(set) var maxNearDB = 0.0
    public private(set) var worstNear: (row: Int, column: Int) = (-1, -1)
    /// Largest |ΔP| / frame max power among the other bins, and where.
    public private(set) var maxFarRelative = 0.0
    public private(set) var worstFar: (row: Int, column: Int) = (-1, -1)
    public private(set) var nearCount = 0
    public private(set) var farCount = 0

    /// `ours` and `reference` are row-major `[rows × columns]` dB values.
    public init(_ ours: [Float], _ reference: [Float], columns: Int, windowDB: Double = 60) {
        precondition(ours.count == reference.count && columns > 0 && ours.count % columns == 0,
                     "compared arrays differ in size: \(ours.count) vs \(reference.count)")
        self.windowDB = windowDB
        for r in 0..<(ours.count / columns) {
            let row = (r * columns)..<((r + 1) * columns)
            let frameMaxDB = Double(reference[row].max()!)
            let frameMaxPower = pow(10, frameMaxDB / 10)
            for i in row {
                let a = Double(ours[i]), b = Double(reference[i])
                if b >= frameMaxDB - windowDB {
                    nearCount += 1
                    let d = abs(a - b)
                    if d > maxNearDB || d.isNaN { maxNearDB = d; worstNear = (r, i - row.lowerBound) }
                } else {
                    farCount += 1
                    let d = abs(pow(10, a / 10) - pow(10, b / 10)) / frameMaxPower
                    if d > maxFarRelative || d.isNaN { maxFarRelative = d; worstFar = (r, i - row.lowerBound) }
                }
            }
        }
    }

    /// True when both parts of the bound hold.
    public func passes(dbTolerance: Double = 1e-3, relativeTolerance: Double = 1e-6) -> Bool {
        maxNearDB <= dbTolerance && maxFarRelative <= relativeTolerance
    }

    public var description: String {
        "max |ΔdB| within \(Int(windowDB)) dB of frame max = \(maxNearDB) at \(worstNear) over \(nearCount) bins; "
            + "max |ΔP|/frame max elsewhere = \(maxFarRelative) at \(worstFar) over \(farCount) bins"
    }
}
