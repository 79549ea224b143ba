import FileIO

/// The audio hash the catalog stores for every clip (Docs/IndexDirectory.md, "Audio hash"): SHA-256
/// of the decoded samples, so re-encodings of the same PCM (WAV vs FLAC, other tags or headers)
/// hash the same and are embedded once, while any change to the samples, rate or channel count
/// gives another hash.
///
/// Bytes hashed, in order: every sample of `DecodedAudio.samples` (interleaved, native rate, as
/// libsndfile's `sf_readf_float` returns them) as little-endian IEEE float32; then the sample rate
/// and the channel count, each as a little-endian uint32. In Python:
/// `hashlib.sha256(samples.astype('<f4').tobytes() + struct.pack('<II', rate, channels)).hexdigest()`.
public enum AudioHash {
    /// Lower-case hex SHA-256 of `audio`.
    public static func sha256(_ audio: DecodedAudio) -> String {
        sha256(samples: audio.samples, sampleRate: audio.sampleRate, channels: audio.channels)
    }

    /// The same for raw interleaved samples.
    public static func sha256(samples: [Float], sampleRate: Int, channels: Int) -> String {
        precondition(sampleRate > 0 && sampleRate <= Int(UInt32.max) && channels > 0 && channels <= Int(UInt32.max))
        var hasher = SHA256()
        #if _endian(little)
        hasher.update(contentsOf: samples)  // the array's memory is already little-endian float32
        #else
        for s in samples { hasher.update(withUnsafeBytes(of: s.bitPattern.littleEndian) { Array($0) }) }
        #endif
        hasher.update(withUnsafeBytes(of: UInt32(sampleRate).littleEndian) { Array($0) })
        hasher.update(withUnsafeBytes(of: UInt32(channels).littleEndian) { Array($0) })
        return SHA256.hex(hasher.finalize())
    }

    /// The slow, obviously-correct twin: builds the whole byte string sample by sample.
    static func sha256Reference(samples: [Float], sampleRate: Int, channels: Int) -> String {
        var bytes: [UInt8] = []
        for s in samples {
            let bits = s.bitPattern
            bytes += [UInt8(bits & 0xFF), UInt8((bits >> 8) & 0xFF), UInt8((bits >> 16) & 0xFF), UInt8(bits >> 24)]
        }
        for v in [UInt32(sampleRate), UInt32(channels)] {
            bytes += [UInt8(v & 0xFF), UInt8((v >> 8) & 0xFF), UInt8((v >> 16) & 0xFF), UInt8(v >> 24)]
        }
        return SHA256.hexDigest(bytes)
    }
}
