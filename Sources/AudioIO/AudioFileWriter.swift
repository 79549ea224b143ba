/// Writes audio files with libsndfile: test fixtures generated at test time, benchmark inputs and
/// demo material. Not part of the indexing path.
///
/// Samples are interleaved. Use the `int16`/`int32` forms for integer PCM targets when values must
/// round-trip exactly (a decoded PCM_16 sample k reads back as k/32768; a 24-bit one written as
/// `k << 8` in `int32` reads back as k/8388608); the `float` form for float and lossy targets.
public enum AudioFileWriter {
    /// Whether this libsndfile can write the combination (e.g. Opus only at 8/12/16/24/48 kHz,
    /// MP3 only up to 48 kHz).
    public static func canWrite(_ container: AudioContainer, _ encoding: AudioEncoding, sampleRate: Int, channels: Int) -> Bool {
        SoundFileWriter.canWrite(container, encoding, sampleRate: sampleRate, channels: channels)
    }

    /// `quality` in 0…1 sets the VBR quality of Vorbis, Opus and MP3 (libsndfile's default if nil).
    public static func write(float samples: [Float], channels: Int, sampleRate: Int, container: AudioContainer,
                             encoding: AudioEncoding, quality: Double? = nil, to path: String) throws(AudioIOError) {
        try SoundFileWriter.write(.float(samples), channels: channels, sampleRate: sampleRate, container: container,
                                  encoding: encoding, quality: quality, path: path)
    }

    public static func write(int16 samples: [Int16], channels: Int, sampleRate: Int, container: AudioContainer,
                             encoding: AudioEncoding, to path: String) throws(AudioIOError) {
        try SoundFileWriter.write(.int16(samples), channels: channels, sampleRate: sampleRate, container: container,
                                  encoding: encoding, quality: nil, path: path)
    }

    public static func write(int32 samples: [Int32], channels: Int, sampleRate: Int, container: AudioContainer,
                             encoding: AudioEncoding, to path: String) throws(AudioIOError) {
        try SoundFileWriter.write(.int32(samples), channels: channels, sampleRate: sampleRate, container: container,
                                  encoding: encoding, quality: nil, path: path)
    }
}
