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
        try prepare(try AudioDecoder.decode(path: path))
    }

    public static func load48kMono(bytes: some ContiguousBytes, name: String) throws(AudioIOError) -> LoadedClip {
        try prepare(try AudioDecoder.decode(bytes: bytes, name: name))
    }

    /// Mixes and resamples an already decoded (hence validated) file.
    public static func prepare(_ audio: DecodedAudio) throws(AudioIOError) -> LoadedClip {
        let mono = Downmix.mono(audio)
        let samples = try Resampler.resample(mono, from: audio.sampleRate, to: Resampler.targetRate)
        return LoadedClip(samples: samples, nativeSampleRate: audio.sampleRate, nativeChannels: audio.channels,
                          nativeFrames: audio.frames, format: audio.format)
    }
}
