/// Container ("major") formats libsndfile knows, named as python-soundfile names them
/// (`soundfile.available_formats()`), so `probe` output reads the same as `sf.info()`.
public enum AudioContainer: String, Sendable, CaseIterable, Codable {
    case wav = "WAV", aiff = "AIFF", au = "AU", raw = "RAW", paf = "PAF", svx = "SVX", nist = "NIST"
    case voc = "VOC", ircam = "IRCAM", w64 = "W64", mat4 = "MAT4", mat5 = "MAT5", pvf = "PVF", xi = "XI"
    case htk = "HTK", sds = "SDS", avr = "AVR", wavex = "WAVEX", sd2 = "SD2", flac = "FLAC", caf = "CAF"
    case wve = "WVE", ogg = "OGG", mpc2k = "MPC2K", rf64 = "RF64", mp3 = "MP3"
}

/// Sample encodings ("subtypes"), named as python-soundfile names them (`soundfile.available_subtypes()`).
public enum AudioEncoding: String, Sendable, CaseIterable, Codable {
    case pcmS8 = "PCM_S8", pcm16 = "PCM_16", pcm24 = "PCM_24", pcm32 = "PCM_32", pcmU8 = "PCM_U8"
    case float = "FLOAT", double = "DOUBLE", ulaw = "ULAW", alaw = "ALAW", imaADPCM = "IMA_ADPCM"
    case msADPCM = "MS_ADPCM", gsm610 = "GSM610", voxADPCM = "VOX_ADPCM"
    case nmsADPCM16 = "NMS_ADPCM_16", nmsADPCM24 = "NMS_ADPCM_24", nmsADPCM32 = "NMS_ADPCM_32"
    case g721_32 = "G721_32", g723_24 = "G723_24", g723_40 = "G723_40"
    case dwvw12 = "DWVW_12", dwvw16 = "DWVW_16", dwvw24 = "DWVW_24", dwvwN = "DWVW_N"
    case dpcm8 = "DPCM_8", dpcm16 = "DPCM_16", vorbis = "VORBIS", opus = "OPUS"
    case alac16 = "ALAC_16", alac20 = "ALAC_20", alac24 = "ALAC_24", alac32 = "ALAC_32"
    case mpegLayerI = "MPEG_LAYER_I", mpegLayerII = "MPEG_LAYER_II", mpegLayerIII = "MPEG_LAYER_III"
}

/// What a decoded file was, as libsndfile detected it from the content (never from the extension).
///
/// The names are strings rather than the enums above so a code this build has no name for still
/// prints (as `0x…`) instead of failing.
public struct AudioFormatInfo: Sendable, Equatable, Hashable, CustomStringConvertible {
    /// Container name, e.g. "WAV", "FLAC", "OGG", "MP3".
    public let container: String
    /// Encoding name, e.g. "PCM_16", "VORBIS", "MPEG_LAYER_III".
    public let encoding: String

    public init(container: String, encoding: String) {
        self.container = container
        self.encoding = encoding
    }

    public init(_ container: AudioContainer, _ encoding: AudioEncoding) {
        self.init(container: container.rawValue, encoding: encoding.rawValue)
    }

    /// "WAV PCM_16".
    public var description: String { "\(container) \(encoding)" }
}
