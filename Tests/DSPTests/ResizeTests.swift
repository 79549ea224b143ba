@testable import DSP
import Foundation
import LinearAlgebra
import NumPyFormat
import Testing
import TestSupport

/// Reference outputs: Tests/Fixtures/dsp/resize/*.npy from Scripts/fixtures/make_dsp_fixtures.py:
/// `F.interpolate(bilinear, align_corners=False, antialias=True)` (= torchvision ≥ 0.17 `Resize` on
/// tensors, laion_clap fusion) and `F.interpolate(bilinear, align_corners=False)` (transformers
/// fusion), torch 2.13 CPU.
@Suite("Bilinear resize kernels (torch _upsample_bilinear2d_aa and upsample_bilinear2d)")
struct ResizeTests {
    /// The synthetic input the fixture script uses: exact in float32.
    static func synthetic(_ rows: Int, _ columns: Int) -> Matrix<Float> {
        var m = Matrix<Float>(rows: rows, columns: columns)
        for i in 0..<rows {
            for j in 0..<columns { m[i, j] = Float(Double((i * 7919 + j * 104729) % 1000) / 10.0 - 80.0) }
        }
        return m
    }

    static let cases: [(Int, Int, Int, Int)] = [
        (2501, 8, 1001, 8), (1002, 8, 1001, 8), (1333, 8, 1001, 8), (700, 8, 1001, 8), (5000, 8, 1001, 8),
        (37, 10, 20, 7), (20, 7, 37, 10),
    ]

    @Test("matches torch to float32 rounding, shrinking and enlarging, along one or both axes",
          arguments: [true, false], 0..<7)
    func matchesTorch(antialias: Bool, caseIndex: Int) throws {
        let (h, w, oh, ow) = Self.cases[caseIndex]
        let name = "\(antialias ? "aa" : "bilinear")_\(h)x\(w)_to_\(oh)x\(ow)"
        let reference = try Fixtures.npy("dsp/resize/\(name).npy")
        #expect(reference.shape == [oh, ow])
        let ours = Resize.bilinear(Self.synthetic(h, w), rows: oh, columns: ow, antialias: antialias)
        let expected = reference.float32Values()!
        // Values lie in [-80, 20]: one float32 ulp there is ≤ 7.6e-6. torch may fuse multiply-adds
        // (FMA) where these sums round twice, so allow a few ulps, nothing more.
        let worst = zip(ours.values, expected).map { abs($0 - $1) }.max()!
        #expect(worst <= 3e-5, "\(name): max |Δ| = \(worst)")
    }

    /// A smooth image (values in [-44, -36], slope ≤ 0.01 per sample along rows). The fast kernels
    /// place their taps with float32 positions, off by up to ~5e-4 samples near index 5000 (two
    /// ulps of 5000); times the slope that moves a result by ≤ 5e-6, and float32 rounding of a few
    /// products and sums of magnitude 44 adds ≤ 4 × 3.8e-6. Hence the 2e-5 bound. (On the rough
    /// synthetic image the same position error would move results by up to 1e-2.)
    static func smooth(_ rows: Int, _ columns: Int) -> Matrix<Float> {
        var m = Matrix<Float>(rows: rows, columns: columns)
        for i in 0..<rows {
            for j in 0..<columns { m[i, j] = Float(4 * sin(Double(i) * 0.0025 + Double(j)) - 40) }
        }
        return m
    }

    @Test("agrees with the separable definition computed in double precision", arguments: [true, false], 0..<7)
    func matchesNaive(antialias: Bool, caseIndex: Int) {
        let (h, w, oh, ow) = Self.cases[caseIndex]
        let x = Self.smooth(h, w)
        let fast = Resize.bilinear(x, rows: oh, columns: ow, antialias: antialias)
        let exact = NaiveResize.bilinear(x, rows: oh, columns: ow, antialias: antialias)
        let worst = zip(fast.values, exact.values).map { abs(Double($0) - $1) }.max()!
        #expect(worst <= 2e-5, "max |Δ| = \(worst)")
    }

    @Test("an unchanged size is the identity, and a constant image stays constant")
    func identityAndConstant() {
        let x = Self.synthetic(9, 5)
        #expect(Resize.bilinear(x, rows: 9, columns: 5, antialias: true) == x)
        #expect(Resize.bilinear(x, rows: 9, columns: 5, antialias: false) == x)
        let constant = Matrix<Float>(rows: 50, columns: 3, repeating: -12.5)
        for antialias in [true, false] {
            let y = Resize.bilinear(constant, rows: 17, columns: 3, antialias: antialias)
            #expect(y.values.allSatisfy { abs($0 + 12.5) <= 1e-5 })
        }
    }
}
