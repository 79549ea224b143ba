@testable import DSP
import LinearAlgebra
import NumPyFormat
import Testing
import TestSupport

/// Reference banks: Tests/Fixtures/dsp/mel/*.npy, written by Scripts/fixtures/make_dsp_fixtures.py
/// with librosa 0.11.0, torchaudio 2.11 (over torch 2.13 CPU) and transformers 5.24.0.
@Suite("Mel filter banks reproduce librosa, torchaudio and transformers")
struct MelFilterBankTests {
    static func float32(_ name: String) throws -> Matrix<Float> {
        let a = try Fixtures.npy("dsp/mel/\(name).npy")
        return Matrix(rows: a.shape[0], columns: a.shape[1], values: a.float32Values()!)
    }

    static func float64(_ name: String) throws -> Matrix<Double> {
        let a = try Fixtures.npy("dsp/mel/\(name).npy")
        return Matrix(rows: a.shape[0], columns: a.shape[1], values: a.float64Values()!)
    }

    /// Largest distance in units in the last place between two float32 arrays.
    static func maxULP(_ a: [Float], _ b: [Float]) -> Int {
        zip(a, b).map { x, y in x == y ? 0 : Int(abs(Int64(x.bitPattern) - Int64(y.bitPattern))) }.max() ?? 0
    }

    @Test("librosa Slaney bank (laion_clap melW) is bit-identical to librosa.filters.mel")
    func librosa() throws {
        let ours = MelFilterBank.librosaSlaney(sampleRate: 48000, fftSize: 1024, melBins: 64, fMin: 50, fMax: 14000)
        let reference = try Self.float32("librosa_slaney")
        guard case .float32(let w) = ours.weights else { Issue.record("librosa bank must be float32"); return }
        #expect(w.rows == 513 && w.columns == 64)
        #expect(Self.maxULP(w.values, reference.values) == 0)
        #expect(ours.activeBins == 2..<299)
    }

    @Test("torchaudio HTK bank (laion_clap fusion) is bit-identical to melscale_fbanks")
    func torchaudio() throws {
        let ours = MelFilterBank.torchaudioHTK(sampleRate: 48000, frequencyBins: 513, melBins: 64, fMin: 50, fMax: 14000)
        let reference = try Self.float32("torchaudio_htk")
        guard case .float32(let w) = ours.weights else { Issue.record("torchaudio bank must be float32"); return }
        let ulps = Self.maxULP(w.values, reference.values)
        let identical = zip(w.values, reference.values).filter { $0 == $1 }.count
        #expect(ulps == 0, "max ulp difference \(ulps); \(identical) of \(w.values.count) weights identical")
        #expect(Set(zip(w.values, reference.values).map { ($0 == 0) == ($1 == 0) }) == [true], "zero pattern differs")
    }

    @Test("transformers banks (HF ClapFeatureExtractor) match mel_filter_bank in float64",
          arguments: [("transformers_htk", MelFilterBank.Scale.htk, MelFilterBank.Norm.none),
                      ("transformers_slaney", .slaney, .slaney)])
    func transformers(name: String, scale: MelFilterBank.Scale, norm: MelFilterBank.Norm) throws {
        let ours = MelFilterBank.transformers(sampleRate: 48000, frequencyBins: 513, melBins: 64, fMin: 50, fMax: 14000,
                                              scale: scale, norm: norm)
        let reference = try Self.float64(name)
        guard case .float64(let w) = ours.weights else { Issue.record("transformers bank must be float64"); return }
        let maxDiff = zip(w.values, reference.values).map { abs($0 - $1) }.max()!
        let peak = reference.values.max()!
        // Same formulas in the same order. The HTK bank is bit-identical; in the Slaney bank NumPy's
        // AVX512 log/exp and glibc's differ in the last bit for a few points (measured 1.7e-17).
        #expect(maxDiff <= 1e-14 * peak, "max |Δ| = \(maxDiff) (peak weight \(peak))")
    }

    @Test("a float32 override bank (a checkpoint's melW) keeps its values and finds its nonzero rows")
    func override() {
        var w = Matrix<Float>(rows: 6, columns: 2)
        w[2, 0] = 0.5
        w[4, 1] = 0.25
        let bank = MelFilterBank(float32: w)
        #expect(bank.activeBins == 2..<5)
        #expect(bank.frequencyBins == 6 && bank.melBins == 2)
        #expect(bank.weights == .float32(w))
        #expect(MelFilterBank(float32: Matrix(rows: 3, columns: 2)).activeBins.isEmpty)
    }
}
