import CSoxr

// The only file that imports CSoxr.

/// Sample-rate conversion exactly as librosa ≥ 0.10 does it by default (`res_type="soxr_hq"`).
///
/// Reference: librosa 0.11 `core/audio.py` `resample` → python-soxr 1.1.0 `soxr.resample(y, sr_in,
/// sr_out, quality='HQ')` → `src/soxr_ext.cpp` `csoxr_split_ch` (a 1-D float32 array is "split channel"
/// memory): `soxr_create(in, out, 1, io_spec(FLOAT32_S, FLOAT32_S), quality_spec(SOXR_HQ, 0),
/// runtime NULL = 1 thread)`, input fed in chunks of `max(1000, 48000·in/out)` frames into an output
/// buffer of `⌊n·out/in + 1⌋` frames, then one flush with NULL input. librosa then applies
/// `fix_length(size=⌈n·(out/in)⌉)`: truncates or zero-pads to that length.
///
/// Numerics: python-soxr bundles libsoxr 0.1.3-14-ga66f3ee (a fork that changed integer dithering
/// and ARM SIMD only); this build links Debian's libsoxr 0.1.3. Both pick the `cr32s` engine here.
public enum Resampler {
    /// The rate every clip is brought to (CLAP's audio front end).
    public static let targetRate = 48_000

    /// libsoxr's version string, e.g. "libsoxr-0.1.3".
    public static var libsoxrVersion: String { String(cString: soxr_version()) }

    /// librosa's output length for `inputLength` samples: `int(np.ceil(n * (float(out) / in)))`.
    public static func outputLength(inputLength n: Int, from source: Int, to target: Int) -> Int {
        Int((Double(n) * (Double(target) / Double(source))).rounded(.up))
    }

    /// Resamples mono `samples` from `source` Hz to `target` Hz (libsoxr HQ, librosa's length).
    /// Equal rates return the input untouched, as librosa does.
    public static func resample(_ samples: [Float], from source: Int, to target: Int = targetRate) throws(AudioIOError) -> [Float] {
        precondition(source > 0 && target > 0, "sample rates must be positive (got \(source) → \(target))")
        if source == target { return samples }
        var converted = try soxrSplitChannel(samples, from: Double(source), to: Double(target))
        let length = outputLength(inputLength: samples.count, from: source, to: target)
        if converted.count > length {
            converted.removeSubrange(length...)
        } else if converted.count < length {
            converted.append(contentsOf: repeatElement(0, count: length - converted.count))
        }
        return converted
    }

    /// The libsoxr engine chosen for this conversion (e.g. "cr32s"); for benchmarks and reports.
    public static func engine(from source: Int, to target: Int) throws(AudioIOError) -> String {
        let soxr = try Soxr(from: Double(source), to: Double(target))
        return String(cString: soxr_engine(soxr.handle))
    }

    /// python-soxr's `csoxr_split_ch` for one channel, step for step (its output before librosa's fix_length).
    static func soxrSplitChannel(_ x: [Float], from inRate: Double, to outRate: Double) throws(AudioIOError) -> [Float] {
        let soxr = try Soxr(from: inRate, to: outRate)
        let inputLength = x.count
        let outputCapacity = Int(Double(inputLength) * outRate / inRate + 1)
        let chunk = Int(max(1000.0, 48000 * inRate / outRate))
        var y = [Float](repeating: 0, count: outputCapacity)
        var produced = 0
        var failure: String?
        x.withUnsafeBufferPointer { input in
            y.withUnsafeMutableBufferPointer { output in
                var done = 0
                var start = 0
                while start < inputLength {
                    var inputs: [UnsafeRawPointer?] = [UnsafeRawPointer(input.baseAddress! + start)]
                    var outputs: [UnsafeMutableRawPointer?] = [UnsafeMutableRawPointer(output.baseAddress! + produced)]
                    let error = soxr_process(soxr.handle, &inputs, min(chunk, inputLength - start), nil,
                                             &outputs, outputCapacity - produced, &done)
                    if let error { failure = String(cString: error) }
                    produced += done
                    start += chunk
                }
                var outputs: [UnsafeMutableRawPointer?] = [UnsafeMutableRawPointer(output.baseAddress! + produced)]
                let error = soxr_process(soxr.handle, nil, 0, nil, &outputs, outputCapacity - produced, &done)
                if let error { failure = String(cString: error) }
                produced += done
            }
        }
        if let failure { throw .resamplerFailed(detail: failure) }
        y.removeSubrange(produced...)
        return y
    }
}

/// Owns one `soxr_t` (deleted in `deinit`) configured as python-soxr configures it.
private final class Soxr {
    let handle: soxr_t

    init(from inRate: Double, to outRate: Double) throws(AudioIOError) {
        var io = soxr_io_spec(SOXR_FLOAT32_S, SOXR_FLOAT32_S)
        var quality = soxr_quality_spec(UInt(SOXR_HQ), 0)
        var error: soxr_error_t?
        let handle = soxr_create(inRate, outRate, 1, &error, &io, &quality, nil)
        if let error {
            if let handle { soxr_delete(handle) }
            throw .resamplerFailed(detail: "\(String(cString: error)) (\(inRate) Hz → \(outRate) Hz)")
        }
        guard let handle else { throw .resamplerFailed(detail: "soxr_create returned nothing (\(inRate) Hz → \(outRate) Hz)") }
        self.handle = handle
    }

    deinit { soxr_delete(handle) }
}
