@testable import CLAPFrontEnd
import DSP
import Foundation
import LinearAlgebra
import Testing
import TestSupport

/// Behaviour that needs no decoded audio: quantisation, padding, cropping policies, configs, errors.
@Suite("CLAP front end: waveform preparation, crop policies, configs and errors")
struct CLAPFrontEndBehaviourTests {
    @Test("int16 round trip: every 16-bit PCM value k/32768 becomes trunc(k·32767/32768)/32767; clipping at ±1")
    func int16RoundTrip() {
        let ks = Array(-32768...32767)
        let x = ks.map { Float($0) / 32768 }
        let y = CLAPFrontEnd.int16RoundTrip(x)
        for (k, v) in zip(ks, y) {
            // Exact integer arithmetic: k·32767/32768 truncated toward zero.
            let q = (k * 32767) / 32768
            #expect(v == Float(Double(q) / 32767.0), "k = \(k)")
        }
        // numpy: (np.clip(x, -1, 1) * np.float32(32767.)).astype(np.int16) / 32767.0 → float32
        let out = CLAPFrontEnd.int16RoundTrip([1.5, -2, 0.99999, -0.5, 3e-5, .infinity, -.infinity, .nan])
        #expect(out == [1, -1, 0.999969482421875, -0.4999847412109375, 0, 1, -1, 0])
    }

    /// A miniature HF configuration: 8-sample windows (sampling_rate 100, max_length_s 0.08),
    /// FFT 4, hop 2, two mel bins: the waveform logic is the same as at 480,000 samples.
    static func tiny(_ truncation: HFFeatureExtractorConfig.Truncation,
                     _ padding: HFFeatureExtractorConfig.Padding = .repeatpad) -> CLAPFrontEnd.Profile {
        var c = HFFeatureExtractorConfig()
        c.samplingRate = 100
        c.maxLengthS = 0.08
        c.fftWindowSize = 4
        c.hopLength = 2
        c.featureSize = 2
        c.frequencyMin = 0
        c.frequencyMax = 50
        c.truncation = truncation
        c.padding = padding
        return .hf(c)
    }

    @Test("short clips: repeatpad tiles whole copies then zeros; repeat tiles and cuts; pad adds zeros")
    func padding() throws {
        let x: [Float] = [1, 2, 3]
        let repeatpad = try CLAPFrontEnd(profile: Self.tiny(.randTrunc, .repeatpad)).modelInputs(x)
        #expect(repeatpad == [[1, 2, 3, 1, 2, 3, 0, 0]])
        let repeated = try CLAPFrontEnd(profile: Self.tiny(.randTrunc, .repeat)).modelInputs(x)
        #expect(repeated == [[1, 2, 3, 1, 2, 3, 1, 2]])
        let padded = try CLAPFrontEnd(profile: Self.tiny(.randTrunc, .pad)).modelInputs(x)
        #expect(padded == [[1, 2, 3, 0, 0, 0, 0, 0]])
        let exact = try CLAPFrontEnd(profile: Self.tiny(.randTrunc)).modelInputs(Array(1...8).map(Float.init))
        #expect(exact == [Array(1...8).map(Float.init)])
    }

    @Test("long clips, rand_trunc: center, start, windows and explicit crops are the documented samples")
    func waveformCrops() throws {
        let x = Array(0..<21).map(Float.init)  // 21 samples, window 8
        let fe = try CLAPFrontEnd(profile: Self.tiny(.randTrunc))
        #expect(try fe.modelInputs(x, crop: .center) == [Array(6..<14).map(Float.init)])   // (21 − 8) / 2 = 6
        #expect(try fe.modelInputs(x, crop: .policy(.start)) == [Array(0..<8).map(Float.init)])
        #expect(try fe.modelInputs(x, crop: .explicit(.waveformStart(13))) == [Array(13..<21).map(Float.init)])
        // ⌈21/8⌉ = 3 windows: 0, 8 and the last aligned to the end (13).
        #expect(try fe.modelInputs(x, crop: .policy(.windows)) == [0, 8, 13].map { s in Array(s..<(s + 8)).map(Float.init) })
        let features = try fe.features(x, crop: .policy(.windows))
        #expect(features.shape == [3, 5, 2] && features.values.count == 30)
        #expect(features.segments.map(\.start) == [0, 8, 13] && !features.longer && features.cropPlan == "windows")
        let centred = try fe.features(x)
        #expect(centred.shape == [5, 2] && centred.longer && centred.segments == [.init(start: 6, sampleCount: 8, longer: true, fusionFrames: nil)])
    }

    @Test("fusion: the three crops come from np.array_split thirds; center takes each third's middle, start its first")
    func fusionCrops() throws {
        // long25s: T = 1,200,000 / 480 + 1 = 2501 frames, chunk 1001 → starts 0…1500 split 501/500/500,
        // the populations recorded in expected/long25s.laion-fusion.json.
        #expect(CLAPFrontEnd.arraySplit(count: 1501, sections: 3) == [0..<501, 501..<1001, 1001..<1501])
        #expect(CLAPFrontEnd.arraySplit(count: 2, sections: 3) == [0..<1, 1..<2, 2..<2])
        #expect(CLAPFrontEnd.arraySplit(count: 7, sections: 3) == [0..<3, 3..<5, 5..<7])
        let fe = try CLAPFrontEnd(profile: .laionFusion)
        #expect(try fe.fusionStarts(totalFrames: 2501, crop: .center) == (250, 751, 1251))
        #expect(try fe.fusionStarts(totalFrames: 2501, crop: .policy(.start)) == (0, 501, 1001))
        // 1003 frames: starts 0…2, one per third. 1002 frames: starts 0…1 → ranges [0], [1], [] and the
        // empty back range becomes [0].
        #expect(try fe.fusionStarts(totalFrames: 1003, crop: .center) == (0, 1, 2))
        #expect(try fe.fusionStarts(totalFrames: 1002, crop: .center) == (0, 1, 0))
        #expect(try fe.fusionStarts(totalFrames: 2501, crop: .explicit(.fusionFrames(front: 140, middle: 713, back: 1066))) == (140, 713, 1066))
    }

    @Test("fusion output: short clips give four identical channels with longer = false; long clips stack shrink + crops")
    func fusionLayout() throws {
        let fe = try CLAPFrontEnd(profile: Self.tiny(.fusion))
        var rng = SeededGenerator(state: 3)
        let short = try fe.features(rng.floats(5))
        #expect(short.shape == [4, 5, 2] && !short.longer)
        let channel = Array(short.values[0..<10])
        for c in 1..<4 { #expect(Array(short.values[(c * 10)..<((c + 1) * 10)]) == channel) }
        // 9 samples: 9/2 + 1 = 5 frames = one chunk → the whole clip's mel, four times, longer false.
        let plusOne = try fe.features(rng.floats(9))
        #expect(plusOne.shape == [4, 5, 2] && !plusOne.longer && plusOne.segments[0].sampleCount == 9)
        // 30 samples: 16 frames → crops from 0…11 split 4/4/4, centre picks 2, 6, 10.
        let long = rng.floats(30)
        let features = try fe.features(long)
        #expect(features.longer && features.segments[0].fusionFrames == .init(front: 2, middle: 6, back: 10, totalFrames: 16))
        let mel = fe.logMel(long)
        #expect(Array(features.values[10..<20]) == mel.rows(2..<7).values)
        #expect(Array(features.values[30..<40]) == mel.rows(10..<15).values)
        #expect(Array(features.values[0..<10]) == Resize.bilinear(mel, rows: 5, columns: 2, antialias: false).values)
    }

    @Test("the hub configs in the fixtures parse to the documented defaults")
    func configs() throws {
        let fused = try HFFeatureExtractorConfig.load(contentsOf: Fixtures.url("frontend/hf-fusion/preprocessor_config.json"))
        #expect(fused == .clapHTSATFused)
        let unfused = try HFFeatureExtractorConfig.load(contentsOf: Fixtures.url("frontend/hf-rand_trunc/preprocessor_config.json"))
        #expect(unfused == .clapHTSATUnfused)
        #expect(try CLAPFrontEnd(profile: .hf(fused)).profileName == "hf-fusion")
        #expect(try CLAPFrontEnd(profile: .hf(unfused)).profileName == "hf-rand_trunc")
        #expect(HFFeatureExtractorConfig().frequencyMin == 0)  // class default, unlike the hub configs
    }

    @Test("bad configs are rejected with the key and the expected value")
    func badConfigs() throws {
        let folder = try Fixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        func write(_ text: String) throws -> URL {
            let url = folder.appendingPathComponent("preprocessor_config.json")
            try text.write(to: url, atomically: true, encoding: .utf8)
            return url
        }
        #expect(throws: CLAPFrontEndError.self) { try HFFeatureExtractorConfig.load(contentsOf: write("{not json")) }
        do {
            _ = try HFFeatureExtractorConfig.load(contentsOf: write(#"{"truncation": "middle"}"#))
            Issue.record("an unknown truncation must be rejected")
        } catch let error as CLAPFrontEndError {
            #expect(error.description.contains("truncation"))
            #expect(error.exitCode == .corrupt)
        }
        do {
            _ = try HFFeatureExtractorConfig.load(contentsOf: write(#"{"fft_window_size": 1023}"#))
            Issue.record("an odd FFT size must be rejected")
        } catch let error as CLAPFrontEndError {
            #expect(error == .invalidConfig(path: folder.appendingPathComponent("preprocessor_config.json").path,
                                            key: "fft_window_size", value: "1023", expected: "an even number ≥ 2"))
        }
        #expect(throws: CLAPFrontEndError.self) {
            try HFFeatureExtractorConfig.load(contentsOf: folder.appendingPathComponent("missing.json"))
        }
    }

    @Test("input errors: empty audio, crop kind or range, filter bank override shape and profile")
    func inputErrors() throws {
        let laion = try CLAPFrontEnd(profile: .laion)
        #expect(throws: CLAPFrontEndError.emptyAudio(source: nil)) { try laion.features([]) }
        let long = [Float](repeating: 0.1, count: 480_010)
        #expect(throws: CLAPFrontEndError.self) { try laion.features(long, crop: .explicit(.waveformStart(11))) }
        #expect(throws: CLAPFrontEndError.self) { try laion.features(long, crop: .explicit(.fusionFrames(front: 0, middle: 0, back: 0))) }
        #expect(try laion.modelInputs(long, crop: .explicit(.waveformStart(10)))[0].count == 480_000)
        let fusion = try CLAPFrontEnd(profile: .laionFusion)
        #expect(throws: CLAPFrontEndError.self) { try fusion.features(long, crop: .explicit(.waveformStart(0))) }
        let wrongShape = MelFilterBank(float32: Matrix(rows: 513, columns: 32))
        #expect(throws: CLAPFrontEndError.filterBankShape(expectedRows: 513, expectedColumns: 64, rows: 513, columns: 32)) {
            try CLAPFrontEnd(profile: .laion, filterBank: wrongShape)
        }
        let bank = MelFilterBank.librosaSlaney(sampleRate: 48000, fftSize: 1024, melBins: 64, fMin: 50, fMax: 14000)
        #expect(throws: CLAPFrontEndError.filterBankNotApplicable(profile: "laion-fusion")) {
            try CLAPFrontEnd(profile: .laionFusion, filterBank: bank)
        }
        #expect(try CLAPFrontEnd(profile: .laion, filterBank: bank).filterBank == bank)
    }
}
