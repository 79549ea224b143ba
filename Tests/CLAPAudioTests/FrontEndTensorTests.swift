@testable import CLAPAudio
import DSP
import Foundation
import Testing
import TestSupport
import Weights

@Suite("laion_clap's frozen front-end tensors: STFT bases checked, melW handed over")
struct FrontEndTensorTests {
    static let n = 1024

    /// Our basis, all 513 rows, as a checkpoint would store it ([513, 1, 1024], float32).
    static func basis(imaginary: Bool) -> [Float] {
        let window = Window.hann(length: n, periodic: true)
        return (0...(n / 2)).flatMap { LaionFrontEndTensors.basisRow($0, fftSize: n, window: window, imaginary: imaginary).map(Float.init) }
    }

    @Test("torchlibrosa's recorded STFT rows (laion_clap's spectrogram_extractor) equal our periodic-Hann DFT basis within the check's 1e-6")
    func recordedRows() throws {
        let rows = try HTSATFixture.tensor("stft.rows").map { Int($0) }
        let window = Window.hann(length: Self.n, periodic: true)
        let symmetric = Window.hann(length: Self.n, periodic: false)
        for (name, imaginary) in [("real", false), ("imag", true)] {
            let recorded = try HTSATFixture.tensor("stft.conv_\(name).rows")
            #expect(recorded.count == rows.count * Self.n)
            var worst = 0.0, worstSymmetric = 0.0
            for (r, k) in rows.enumerated() {
                let ours = LaionFrontEndTensors.basisRow(k, fftSize: Self.n, window: window, imaginary: imaginary)
                let other = LaionFrontEndTensors.basisRow(k, fftSize: Self.n, window: symmetric, imaginary: imaginary)
                for t in 0..<Self.n {
                    worst = max(worst, abs(Double(recorded[r * Self.n + t]) - ours[t]))
                    worstSymmetric = max(worstSymmetric, abs(Double(recorded[r * Self.n + t]) - other[t]))
                }
            }
            #expect(worst <= LaionFrontEndTensors.tolerance, "conv_\(name): \(worst)")
            // the tolerance separates windows: a symmetric Hann is far outside it
            #expect(worstSymmetric > 100 * LaionFrontEndTensors.tolerance, "conv_\(name) vs symmetric: \(worstSymmetric)")
        }
    }

    @Test("a laion checkpoint holding the STFT bases loads and keeps its melW; a changed element or shape throws naming the key")
    func checkpointCheck() throws {
        let folder = try Fixtures.temporaryFolder("clapaudio")
        defer { try? FileManager.default.removeItem(at: folder) }
        func sub(_ name: String) throws -> URL {
            let url = folder.appendingPathComponent(name)
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
            return url
        }
        let real = Self.basis(imaginary: false), imag = Self.basis(imaginary: true)
        let shape = [513, 1, Self.n]
        let good = try LoadingTests.laionNamed(try sub("good"), extra: [(LaionFrontEndTensors.stftReal, shape, real),
                                                               (LaionFrontEndTensors.stftImaginary, shape, imag)])
        let encoder = try CLAPAudioEncoder(contentsOf: good)
        #expect(encoder.laionMelFilterBank == [Float](repeating: 0.5, count: 513 * 64))

        var changed = imag
        changed[37 * Self.n + 100] += 1e-4
        let bad = try LoadingTests.laionNamed(try sub("changed"), extra: [(LaionFrontEndTensors.stftReal, shape, real),
                                                              (LaionFrontEndTensors.stftImaginary, shape, changed)])
        do {
            _ = try CLAPAudioEncoder(contentsOf: bad)
            Issue.record("a changed STFT basis loaded")
        } catch let error as CLAPAudioError {
            guard case .frontEndTensorMismatch(_, let key, let detail) = error else { Issue.record("\(error)"); return }
            #expect(key == LaionFrontEndTensors.stftImaginary && detail.contains("[37, 0, 100]"), "\(detail)")
        }

        let short = try LoadingTests.laionNamed(try sub("short"), extra: [(LaionFrontEndTensors.stftReal, [513, 1, 512], [Float](repeating: 0, count: 513 * 512))])
        #expect(throws: WeightsError.shapeMismatch(key: LaionFrontEndTensors.stftReal, expected: shape, actual: [513, 1, 512], file: short.path)) {
            try CLAPAudioEncoder(contentsOf: short)
        }
    }
}
