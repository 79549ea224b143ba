import DSP
import Foundation
import LinearAlgebra
import Testing
import TestSupport

/// The C frame-block kernel (`LogMelEngine.automatic`) against its twins: FFTW + Swift
/// (`LogMelEngine.fftw`) and the exact log-mel by definition (`NaiveSpectrogram` + `NaiveLogMel`),
/// with the fixture bound (≤ 1e-3 dB within 60 dB of the frame maximum, else ≤ 1e-6 of the frame's
/// maximum mel power), on ordinary and adversarial inputs, for every instruction set this CPU has.
@Suite("Frame-block log-mel kernel against FFTW and the exact log-mel")
struct FrameBlockLogMelTests {
    static let banks: [(String, MelFilterBank)] = LogMelSpectrogramTests.banks

    /// Named inputs: lengths chosen so the last block of frames is partial and the first and last
    /// frames reach into the reflect padding (several times over for the shortest).
    static func inputs() throws -> [(String, [Float])] {
        var rng = SeededGenerator(state: 2026)
        let noise = (0..<(3 * 4800 + 17)).map { _ in Float.random(in: -1...1, using: &rng) }
        var impulse = [Float](repeating: 0, count: 4800)
        impulse[2400] = 1
        let square = (0..<9600).map { ($0 / 24) % 2 == 0 ? Float(1) : Float(-1) }  // 1 kHz, full scale
        let quiet = (0..<9600).map { _ in Float.random(in: -1e-5...1e-5, using: &rng) }  // −100 dBFS
        let outOfBand = (0..<12_000).map { i in
            Float(0.4 * sin(2 * Double.pi * 15_500 * Double(i) / 48_000)) + 1e-4 * Float.random(in: -1.7...1.7, using: &rng)
        }
        let short = (0..<37).map { _ in Float.random(in: -0.5...0.5, using: &rng) }
        return [
            ("fixture signal", try Fixtures.npy("dsp/stft/signal.npy").float32Values()!),
            ("silence", [Float](repeating: 0, count: 4800)),
            ("single impulse", impulse),
            ("full-scale square wave", square),
            ("-100 dB noise", quiet),
            ("full-scale noise, partial last block", noise),
            ("15.5 kHz tone over -80 dB noise", outOfBand),
            ("37 samples", short),
            ("one sample", [0.25]),
        ]
    }

    static func logMel(_ bank: MelFilterBank, _ engine: LogMelEngine) -> LogMelSpectrogram {
        LogMelSpectrogram(fftSize: 1024, hopLength: 480, filterBank: bank, engine: engine)
    }

    static func values(_ power: LogMelSpectrogram.MelPower) -> [Double] {
        switch power {
        case .float32(let m): m.values.map { Double($0) }
        case .float64(let m): m.values
        }
    }

    @Test("the default engine is the kernel at the best instruction set (FFTW without AVX2), and every instruction set gives the same bits",
          arguments: 0..<3)
    func instructionSetsAgree(bankIndex: Int) throws {
        let (name, bank) = Self.banks[bankIndex]
        let automatic = Self.logMel(bank, .automatic).engineDescription
        if KernelInstructionSet.best >= .avx2 {
            #expect(automatic.hasPrefix("frame blocks (\(KernelInstructionSet.best)"), "\(automatic)")
        } else {
            #expect(automatic == "FFTW double", "\(automatic)")
        }
        for (input, x) in try Self.inputs() {
            let reference = Self.values(Self.logMel(bank, .frameBlocks(.portable)).melPower(x))
            for isa in KernelInstructionSet.supported where isa != .portable {
                let logMel = Self.logMel(bank, .frameBlocks(isa))
                #expect(logMel.engineDescription.hasPrefix("frame blocks (\(isa)"))
                let values = Self.values(logMel.melPower(x))
                #expect(values.elementsEqual(reference, by: { $0.bitPattern == $1.bitPattern }),
                        "\(name), \(input): \(isa) differs from the portable kernel")
            }
        }
    }

    @Test("kernel log-mel within the fixture bound of the exact log-mel and of the FFTW twin, on adversarial inputs")
    func matchesTwins() throws {
        for (input, x) in try Self.inputs() {
            let exactPower = NaiveSpectrogram.power(x, fftSize: 1024, hopLength: 480)
            for (name, bank) in Self.banks {
                let kernel = Self.logMel(bank, .frameBlocks(.best))(x)
                let twin = Self.logMel(bank, .fftw)(x)
                let exact = NaiveLogMel.decibels(NaiveLogMel.melPower(exactPower, bank)).values.map { Float($0) }
                #expect(kernel.rows == x.count / 480 + 1 && kernel.columns == 64)
                let vsExact = LogMelComparison(kernel.values, exact, columns: 64)
                #expect(vsExact.passes(), "\(input), \(name), kernel vs exact: \(vsExact)")
                let vsTwin = LogMelComparison(kernel.values, twin.values, columns: 64)
                #expect(vsTwin.passes(), "\(input), \(name), kernel vs FFTW: \(vsTwin)")
                // Both are double-precision computations of the same sums: far closer than the bound.
                #expect(vsTwin.maxNearDB <= 1e-4, "\(input), \(name): \(vsTwin)")
                if input == "silence" { #expect(kernel.values.allSatisfy { $0 == -100 }) }
            }
        }
    }

    @Test("the kernel's float32 dB is Decibels.powerToDB of its float32 mel power, bit for bit", arguments: 0..<2)
    func decibelsBitExact(bankIndex: Int) throws {
        let (name, bank) = Self.banks[bankIndex]
        for (input, x) in try Self.inputs() {
            for isa in KernelInstructionSet.supported {
                let logMel = Self.logMel(bank, .frameBlocks(isa))
                guard case .float32(var power) = logMel.melPower(x) else {
                    Issue.record("\(name): expected a float32 mel power")
                    continue
                }
                Decibels.powerToDB(&power.values)
                let db = logMel(x).values
                #expect(db.elementsEqual(power.values, by: { $0.bitPattern == $1.bitPattern }),
                        "\(name), \(input), \(isa): kernel dB differs from Decibels.powerToDB")
            }
        }
    }
}
