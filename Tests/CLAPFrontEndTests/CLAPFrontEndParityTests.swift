import AudioIO
@testable import CLAPFrontEnd
import DSP
import FileIO
import Foundation
import LinearAlgebra
import NumPyFormat
import Testing
import TestSupport

/// Golden tests against the reference front ends (Tests/Fixtures/frontend, written by
/// Scripts/reference/make_frontend_fixtures.py with laion_clap 1.1.7 / torchlibrosa / torchaudio /
/// torchvision ≥ 0.17 / transformers 5.24, torch 2.13 CPU, one thread).
///
/// Bounds, per the project brief:
/// - waveform preparation (int16 round trip, padding, cropping) is **bit-exact**: the SHA-256 of
///   the float32 samples fed to the mel equals the fixture's `model_input_sha256`;
/// - log-mel: |ΔdB| ≤ 1e-3 on every bin within 60 dB of its frame's maximum, and elsewhere
///   |P − P_ref| ≤ 1e-6 × the frame's maximum mel power (`LogMelComparison`).
/// The references' random crops are replayed with `CropPlan.explicit` from the recorded offsets.
///
/// Three float32 references miss that bound against *exact* arithmetic themselves
/// (Tests/Fixtures/frontend-exact/reference_self_error.json, Scripts/fixtures/make_frontend_exact.py):
/// exact10s.laion 2.09e-3 dB, exact10s.laion-fusion 1.55e-2 dB, long25s.laion-fusion 1.39e-3 dB. In those
/// frames a chirp above 14 kHz (exact10s) or a loud chord next to a quiet crossfade (long25s, averaged by
/// the shrink) puts mel bins 80–95 dB below the frame's energy, where torchlibrosa's float32 conv1d
/// (sequential FMA over 1024 taps) and torch.stft's float32 FFT have relative errors of 1e-3 and more.
/// No implementation can meet the bound against those three without reproducing that rounding, so for
/// them the reference comparison is a recorded known issue, and the bound is enforced against the exact
/// float64 log-mel instead.
@Suite("Parity with laion_clap and transformers on the reference fixtures")
struct CLAPFrontEndParityTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let clip: String
        let profile: String
        var testDescription: String { "\(clip).\(profile)" }
    }

    /// Every (clip, profile) pair the fixture set holds (MANIFEST.json `profiles_by_clip`).
    static let cases: [Case] = {
        guard let manifest = try? json("frontend/MANIFEST.json"),
              let byClip = manifest["profiles_by_clip"] as? [String: [String]] else { return [] }
        return byClip.keys.sorted().flatMap { clip in byClip[clip]!.map { Case(clip: clip, profile: $0) } }
    }()

    static func json(_ relativePath: String) throws -> [String: Any] {
        let data = try Data(contentsOf: Fixtures.url(relativePath))
        return try JSONSerialization.jsonObject(with: data) as! [String: Any]
    }

    static func profile(named name: String) throws -> CLAPFrontEnd.Profile {
        switch name {
        case "laion": return .laion
        case "laion-fusion": return .laionFusion
        case "hf-rand_trunc", "hf-fusion":
            return .hf(try HFFeatureExtractorConfig.load(contentsOf: Fixtures.url("frontend/\(name)/preprocessor_config.json")))
        default: throw CLAPFrontEndError.invalidCrop(profile: name, detail: "unknown fixture profile")
        }
    }

    /// The crop the reference drew, as recorded in `crop_offsets`.
    static func crop(_ offsets: Any?) -> CropPlan {
        guard let offsets = offsets as? [String: Int] else { return .center }
        if let front = offsets["idx_front"], let middle = offsets["idx_middle"], let back = offsets["idx_back"] {
            return .explicit(.fusionFrames(front: front, middle: middle, back: back))
        }
        if let start = offsets["waveform_start"] { return .explicit(.waveformStart(start)) }
        return .center  // only `waveform_crop_start_unused`: the fusion path never reads that crop
    }

    static func sha256(_ samples: [Float]) -> String { SHA256.hexDigest(of: samples) }

    /// Cases whose reference misses the bound against exact arithmetic (see the suite comment).
    static let referenceMissesBound: Set<String> = {
        guard let table = try? json("frontend-exact/reference_self_error.json") else { return [] }
        return Set(table.compactMap { key, value in ((value as? [String: Any])?["meets_bound"] as? Bool) == false ? key : nil })
    }()

    @Test("the fixture set covers every profile on short, exact, +1-sample, long, stereo and 44.1 kHz clips")
    func coverage() {
        let profiles = Set(Self.cases.map(\.profile))
        #expect(profiles == ["laion", "laion-fusion", "hf-rand_trunc", "hf-fusion"])
        #expect(Self.cases.count == 26)
        #expect(Self.referenceMissesBound == ["exact10s.laion", "exact10s.laion-fusion", "long25s.laion-fusion"])
    }

    @Test("model input is bit-exact and the log-mel is within the bound", arguments: cases)
    func parity(_ c: Case) throws {
        let input = try Self.json("frontend/expected/\(c.clip).input.json")
        let expected = try Self.json("frontend/expected/\(c.clip).\(c.profile).json")
        let samples: [Float]
        if c.clip == "sr44k_2s" {
            // The front end is checked on the reference's own resampled waveform here; the
            // resampler difference is measured separately (resampledClip).
            samples = try Fixtures.npy("frontend/expected/sr44k_2s.resampled48k.npy").float32Values()!
        } else {
            samples = try AudioLoader.load48kMono(path: Fixtures.url("frontend/clips/\(c.clip).\(c.clip == "click37" ? "wav" : "flac")").path).samples
            #expect(Self.sha256(samples) == input["waveform48k_sha256"] as? String, "decoded waveform differs from librosa.load")
        }

        let frontEnd = try CLAPFrontEnd(profile: Self.profile(named: c.profile))
        let crop = Self.crop(expected["crop_offsets"])
        let modelInputs = try frontEnd.modelInputs(samples, crop: crop)
        #expect(modelInputs.count == 1)
        #expect(modelInputs[0].count == expected["model_input_n_samples"] as? Int)
        #expect(Self.sha256(modelInputs[0]) == expected["model_input_sha256"] as? String, "model input is not bit-exact")

        let features = try frontEnd.features(samples, crop: crop)
        let longer = (expected["longer"] ?? expected["is_longer"]) as? Bool
        #expect(features.longer == longer)
        let reference = try Fixtures.npy("frontend/expected/\(c.clip).\(c.profile).logmel.npy")
        var ours = features.values
        if frontEnd.isFusion {
            #expect(features.shape == [4, 1001, 64])
            if expected["channels_identical"] as? Bool == true {
                #expect(reference.shape == [1001, 64])
                let channel = 1001 * 64
                for k in 1..<4 { #expect(features.values[(k * channel)..<((k + 1) * channel)] == features.values[0..<channel]) }
                ours = Array(features.values[0..<channel])
            } else {
                #expect(reference.shape == [4, 1001, 64])
            }
        } else {
            #expect(features.shape == [1001, 64] && reference.shape == [1001, 64])
        }

        let comparison = LogMelComparison(ours, reference.float32Values()!, columns: 64)
        let key = "\(c.clip).\(c.profile)"
        if Self.referenceMissesBound.contains(key) {
            withKnownIssue("the float32 reference itself misses the bound against exact arithmetic (reference_self_error.json)") {
                #expect(comparison.passes(dbTolerance: 1e-3, relativeTolerance: 1e-6), "\(key): \(comparison)")
            }
            let exact = try Fixtures.npy("frontend-exact/\(key).logmel.npy")
            let againstExact = LogMelComparison(ours, exact.float32Values()!, columns: 64)
            #expect(againstExact.passes(dbTolerance: 1e-3, relativeTolerance: 1e-6), "\(key) against exact float64: \(againstExact)")
        } else {
            #expect(comparison.passes(dbTolerance: 1e-3, relativeTolerance: 1e-6), "\(key): \(comparison)")
        }
    }

    /// The 44.1 kHz clip through our own decoder and resampler (AudioIO: Debian's libsoxr 0.1.3, HQ),
    /// instead of the reference's python-soxr output used in `parity`.
    ///
    /// Measured on this fixture: our 96,001 resampled samples are **bit-identical** to python-soxr HQ
    /// (`sr44k_2s.resampled48k.npy`, librosa 0.11 `res_type="soxr_hq"`): max |Δ| = 0. Bound derived
    /// from that: identical waveforms give identical front-end input, so the 48 kHz bounds apply
    /// unchanged — bit-exact model input and the log-mel bound. (Were the resamplers to differ by a
    /// waveform error e, a mel power would move by at most ≈ 2·‖e_w‖/‖x_w‖ relative per frame, which
    /// is the margin such a test would have to allow.)
    @Test("the 44.1 kHz clip resampled by our libsoxr HQ equals python-soxr HQ, and the profiles meet the bound on it",
          arguments: ["laion", "hf-fusion"])
    func resampledClip(profileName: String) throws {
        let ours = try AudioLoader.load48kMono(path: Fixtures.url("frontend/clips/sr44k_2s.flac").path).samples
        let pythonSoxr = try Fixtures.npy("frontend/expected/sr44k_2s.resampled48k.npy").float32Values()!
        #expect(ours.count == 96_001 && ours == pythonSoxr, "max |Δ| = \(zip(ours, pythonSoxr).map { abs($0 - $1) }.max() ?? .nan)")

        let expected = try Self.json("frontend/expected/sr44k_2s.\(profileName).json")
        let frontEnd = try CLAPFrontEnd(profile: Self.profile(named: profileName))
        #expect(Self.sha256(try frontEnd.modelInputs(ours)[0]) == expected["model_input_sha256"] as? String)
        let features = try frontEnd.features(ours)
        let reference = try Fixtures.npy("frontend/expected/sr44k_2s.\(profileName).logmel.npy").float32Values()!
        let comparison = LogMelComparison(Array(features.values[0..<reference.count]), reference, columns: 64)
        #expect(comparison.passes(dbTolerance: 1e-3, relativeTolerance: 1e-6), "\(comparison)")
    }

    @Test("laion_clap's checkpoint melW equals the librosa bank bit for bit, and using it as an override changes nothing")
    func melW() throws {
        let melW = try Fixtures.npy("frontend/expected/laion.melW.npy")
        #expect(melW.shape == [513, 64])
        let bank = MelFilterBank(float32: Matrix(rows: 513, columns: 64, values: melW.float32Values()!))
        let ours = try CLAPFrontEnd(profile: .laion)
        #expect(ours.filterBank == bank)
        let samples = try AudioLoader.load48kMono(path: Fixtures.url("frontend/clips/chirp_noise_7s.flac").path).samples
        #expect(try CLAPFrontEnd(profile: .laion, filterBank: bank).features(samples) == ours.features(samples))
    }

    @Test("every fixture file matches the SHA-256 its MANIFEST.json records",
          arguments: ["frontend/MANIFEST.json", "dsp/MANIFEST.json", "frontend-exact/MANIFEST.json"])
    func manifest(_ path: String) throws {
        #expect(try Fixtures.filesNotMatchingManifest(path) == [])
    }
}
