import Foundation

/// A clip ready for the CLAP front end: mono, 48 kHz, validated, with what it was before.
public struct LoadedClip: Sendable, Equatable {
    /// Mono samples at `Resampler.targetRate` (48 kHz).
    public let samples: [Float]
    public let nativeSampleRate: Int
    public let nativeChannels: Int
    /// Frames decoded at the native rate.
    public let nativeFrames: Int
    public let format: AudioFormatInfo

    public var sampleRate: Int { Resampler.targetRate }
    /// Seconds of audio at the native rate.
    public var duration: Double { Double(nativeFrames) / Double(nativeSampleRate) }
}

/// decode → mono → 48 kHz: librosa's `librosa.load(path, sr=48000, mono=True)` (soundfile backend,
/// float32, `to_mono`, then `resample(res_type="soxr_hq")`), in that order.
public enum AudioLoader {
    public static func load48kMono(path: String) throws(AudioIOError) -> LoadedClip {
        try prepare(try AudioDecoder.decode(path: path), name: path)
    }

    public static func load48kMono(bytes: some ContiguousBytes, name: String) throws(AudioIOError) -> LoadedClip {
        try prepare(try AudioDecoder.decode(bytes: bytes, name: name), name: name)
    }

    /// Mixes and resamples an already decoded (hence validated) file.
    /// Finite input can still overflow: a float file with samples near ±3.4e38 sums past the float32
    /// range in the downmix or the resampler's filter (FuzzAudioDecode found one), so the output is
    /// checked and such a clip is refused like a file holding non-finite samples.
    public static func prepare(_ audio: DecodedAudio, name: String = "the decoded clip") throws(AudioIOError) -> LoadedClip {
        let mono = Downmix.mono(audio)
        let samples = try Resampler.resample(mono, from: audio.sampleRate, to: Resampler.targetRate)
        if let bad = samples.firstIndex(where: { !$0.isFinite }) {
            throw .nonFiniteSample(path: name, frame: bad, channel: 0,
                                   value: "\(samples[bad]) after mixing to mono and resampling to 48 kHz (samples too large for float32)")
        }
        return LoadedClip(samples: samples, nativeSampleRate: audio.sampleRate, nativeChannels: audio.channels,
                          nativeFrames: audio.frames, format: audio.format)
    }
}
