import CSndfile
import Foundation

// The only file that imports CSndfile: every libsndfile handle is opened, read, written and closed here.
// Reference: libsndfile 1.2.0 sndfile.h (Debian 12 libsndfile1-dev).

/// libsndfile's version string, e.g. "libsndfile-1.2.0".
public let libsndfileVersion: String = String(cString: sf_version_string())

/// An open libsndfile read handle. Owns the `SNDFILE*` and closes it in `deinit`.
///
/// For in-memory input the caller keeps the bytes alive (and unmoved) for the reader's whole life;
/// `AudioDecoder.decode(bytes:name:)` guarantees this by never letting the reader leave
/// `withUnsafeBytes`.
final class SoundFileReader {
    let name: String
    let sampleRate: Int
    let channels: Int
    /// The frame count the header claims: an estimate for MP3, so never used to size buffers.
    let headerFrames: Int64
    let format: AudioFormatInfo
    private let handle: OpaquePointer
    /// Keeps the virtual-I/O cursor alive while `handle` may call back into it.
    private let memory: MemoryCursor?

    /// Opens a file by path; libsndfile detects the format from the content.
    convenience init(path: String) throws(AudioIOError) {
        var info = SF_INFO()
        let handle = try Self.open(name: path) { sf_open(path, Int32(SFM_READ), &info) }
        self.init(name: path, handle: handle, info: info, memory: nil)
    }

    /// Opens in-memory bytes through `sf_open_virtual`, so tar members never touch the disk.
    convenience init(bytes: UnsafeRawBufferPointer, name: String) throws(AudioIOError) {
        guard let base = bytes.baseAddress, bytes.count > 0 else { throw .emptyFile(path: name) }
        let memory = MemoryCursor(base: base, count: bytes.count)
        var info = SF_INFO()
        // libsndfile copies this struct into its handle, so a local is enough.
        var io = SF_VIRTUAL_IO(
            get_filelen: { user in MemoryCursor.from(user).length },
            seek: { offset, whence, user in MemoryCursor.from(user).seek(offset, whence: whence) },
            read: { destination, count, user in MemoryCursor.from(user).read(into: destination, count: count) },
            write: { _, _, _ in 0 },
            tell: { user in Int64(MemoryCursor.from(user).position) })
        let user = Unmanaged.passUnretained(memory).toOpaque()
        let handle = try Self.open(name: name) { sf_open_virtual(&io, Int32(SFM_READ), &info, user) }
        self.init(name: name, handle: handle, info: info, memory: memory)
    }

    private init(name: String, handle: OpaquePointer, info: SF_INFO, memory: MemoryCursor?) {
        self.name = name
        self.handle = handle
        self.memory = memory
        self.sampleRate = Int(info.samplerate)
        self.channels = Int(info.channels)
        self.headerFrames = info.frames
        self.format = SoundFileFormat.info(code: Int(info.format))
    }

    deinit { sf_close(handle) }

    /// libsndfile 1.2.0 keeps the error of a failed open in one process-wide variable, so the open and
    /// the read of its error code happen under one lock to keep concurrent opens from swapping errors.
    private static let openLock = NSLock()

    private static func open(name: String, _ body: () -> OpaquePointer?) throws(AudioIOError) -> OpaquePointer {
        openLock.lock()
        defer { openLock.unlock() }
        if let handle = body() { return handle }
        throw classify(code: Int(sf_error(nil)), message: String(cString: sf_strerror(nil)), name: name)
    }

    /// Maps a libsndfile error code to a case. Codes 1–4 are the public `SF_ERR_*` values; libsndfile
    /// also returns its larger internal codes, which all become `.undecodable` with the code shown.
    static func classify(code: Int, message: String, name: String) -> AudioIOError {
        switch code {
        case Int(SF_ERR_UNRECOGNISED_FORMAT): return .notAudio(path: name, detail: message)
        case Int(SF_ERR_SYSTEM): return .unreadable(path: name, detail: message)
        case Int(SF_ERR_MALFORMED_FILE): return .corrupt(path: name, detail: message)
        case Int(SF_ERR_UNSUPPORTED_ENCODING): return .unsupportedEncoding(path: name, detail: message)
        default: return .undecodable(path: name, code: code, detail: message)
        }
    }

    /// Frames asked of libsndfile per call: large enough that call overhead vanishes, small enough to
    /// stay in L2 for libsndfile's conversion.
    static let chunkFrames = 16_384

    /// The most samples reserved up front from the header's claim (256 MiB of floats, only address
    /// space until written): a corrupt header cannot make us reserve more.
    static let maxReservedSamples = 1 << 26

    /// Reads every frame until libsndfile reports the end, as interleaved 32-bit floats exactly as
    /// `sf_readf_float` returns them: integer PCM scaled by 1/2^(bits-1) (so PCM_16 gives k/32768),
    /// float data copied unchanged, lossy codecs unclipped (Vorbis exceeds ±1.0).
    ///
    /// The header's frame count is only a capacity hint: reading continues into a growing array when
    /// there is more (MP3 headers estimate), and stops early when there is less (truncated files).
    /// Reading goes straight into uninitialised array storage, so nothing is zero-filled or copied.
    ///
    /// `reservingFrames` replaces the header's count as the hint (tests use it to force growth).
    func readAllFrames(reservingFrames: Int64? = nil) throws(AudioIOError) -> [Float] {
        let chunkSamples = Self.chunkFrames * channels
        let hinted = Int(clamping: max(0, reservingFrames ?? headerFrames)).multipliedReportingOverflow(by: channels)
        let capacity = min(hinted.overflow ? Self.maxReservedSamples : hinted.partialValue, Self.maxReservedSamples) + chunkSamples
        var reachedEnd = false
        var samples = [Float](unsafeUninitializedCapacity: capacity) { buffer, count in
            count = 0
            while buffer.count - count >= chunkSamples {
                let got = sf_readf_float(handle, buffer.baseAddress! + count, sf_count_t(Self.chunkFrames))
                if got <= 0 { reachedEnd = true; return }
                count += Int(got) * channels
            }
        }
        if !reachedEnd {
            // More data than the header promised: continue chunk by chunk, letting the array grow.
            var chunk = [Float](repeating: 0, count: chunkSamples)
            while true {
                let got = sf_readf_float(handle, &chunk, sf_count_t(Self.chunkFrames))
                if got <= 0 { break }
                samples.append(contentsOf: chunk[0 ..< Int(got) * channels])
            }
        }
        let code = Int(sf_error(handle))
        if code != Int(SF_ERR_NO_ERROR) {
            let message = String(cString: sf_strerror(handle))
            // A decoder error after the header parsed means the data itself is damaged.
            if case .undecodable = Self.classify(code: code, message: message, name: name) {
                throw .corrupt(path: name, detail: "error \(code) after \(samples.count / channels) frames: \(message)")
            }
            throw Self.classify(code: code, message: message, name: name)
        }
        return samples
    }
}

/// A read cursor over caller-owned bytes, reached from libsndfile's C callbacks through `user_data`.
private final class MemoryCursor {
    let base: UnsafeRawPointer
    let count: Int
    var position = 0

    init(base: UnsafeRawPointer, count: Int) {
        self.base = base
        self.count = count
    }

    static func from(_ user: UnsafeMutableRawPointer?) -> MemoryCursor {
        Unmanaged<MemoryCursor>.fromOpaque(user!).takeUnretainedValue()
    }

    var length: sf_count_t { sf_count_t(count) }

    /// `lseek` semantics; a target before the start is refused (returns -1) like `lseek`'s EINVAL.
    func seek(_ offset: sf_count_t, whence: Int32) -> sf_count_t {
        let origin: Int
        switch whence {
        case SEEK_SET: origin = 0
        case SEEK_CUR: origin = position
        case SEEK_END: origin = count
        default: return -1
        }
        let target = Int64(origin) + offset
        guard target >= 0 else { return -1 }
        position = Int(target)
        return target
    }

    func read(into destination: UnsafeMutableRawPointer?, count wanted: sf_count_t) -> sf_count_t {
        guard let destination, wanted > 0, position < count else { return 0 }
        let n = min(Int(wanted), count - position)
        destination.copyMemory(from: base + position, byteCount: n)
        position += n
        return sf_count_t(n)
    }
}

/// Translation between libsndfile's format codes and the python-soundfile names in `AudioFormat.swift`.
enum SoundFileFormat {
    static let containers: [(AudioContainer, Int)] = [
        (.wav, SF_FORMAT_WAV), (.aiff, SF_FORMAT_AIFF), (.au, SF_FORMAT_AU), (.raw, SF_FORMAT_RAW),
        (.paf, SF_FORMAT_PAF), (.svx, SF_FORMAT_SVX), (.nist, SF_FORMAT_NIST), (.voc, SF_FORMAT_VOC),
        (.ircam, SF_FORMAT_IRCAM), (.w64, SF_FORMAT_W64), (.mat4, SF_FORMAT_MAT4), (.mat5, SF_FORMAT_MAT5),
        (.pvf, SF_FORMAT_PVF), (.xi, SF_FORMAT_XI), (.htk, SF_FORMAT_HTK), (.sds, SF_FORMAT_SDS),
        (.avr, SF_FORMAT_AVR), (.wavex, SF_FORMAT_WAVEX), (.sd2, SF_FORMAT_SD2), (.flac, SF_FORMAT_FLAC),
        (.caf, SF_FORMAT_CAF), (.wve, SF_FORMAT_WVE), (.ogg, SF_FORMAT_OGG), (.mpc2k, SF_FORMAT_MPC2K),
        (.rf64, SF_FORMAT_RF64), (.mp3, SF_FORMAT_MPEG),
    ]

    static let encodings: [(AudioEncoding, Int)] = [
        (.pcmS8, SF_FORMAT_PCM_S8), (.pcm16, SF_FORMAT_PCM_16), (.pcm24, SF_FORMAT_PCM_24),
        (.pcm32, SF_FORMAT_PCM_32), (.pcmU8, SF_FORMAT_PCM_U8), (.float, SF_FORMAT_FLOAT),
        (.double, SF_FORMAT_DOUBLE), (.ulaw, SF_FORMAT_ULAW), (.alaw, SF_FORMAT_ALAW),
        (.imaADPCM, SF_FORMAT_IMA_ADPCM), (.msADPCM, SF_FORMAT_MS_ADPCM), (.gsm610, SF_FORMAT_GSM610),
        (.voxADPCM, SF_FORMAT_VOX_ADPCM), (.nmsADPCM16, SF_FORMAT_NMS_ADPCM_16),
        (.nmsADPCM24, SF_FORMAT_NMS_ADPCM_24), (.nmsADPCM32, SF_FORMAT_NMS_ADPCM_32),
        (.g721_32, SF_FORMAT_G721_32), (.g723_24, SF_FORMAT_G723_24), (.g723_40, SF_FORMAT_G723_40),
        (.dwvw12, SF_FORMAT_DWVW_12), (.dwvw16, SF_FORMAT_DWVW_16), (.dwvw24, SF_FORMAT_DWVW_24),
        (.dwvwN, SF_FORMAT_DWVW_N), (.dpcm8, SF_FORMAT_DPCM_8), (.dpcm16, SF_FORMAT_DPCM_16),
        (.vorbis, SF_FORMAT_VORBIS), (.opus, SF_FORMAT_OPUS), (.alac16, SF_FORMAT_ALAC_16),
        (.alac20, SF_FORMAT_ALAC_20), (.alac24, SF_FORMAT_ALAC_24), (.alac32, SF_FORMAT_ALAC_32),
        (.mpegLayerI, SF_FORMAT_MPEG_LAYER_I), (.mpegLayerII, SF_FORMAT_MPEG_LAYER_II),
        (.mpegLayerIII, SF_FORMAT_MPEG_LAYER_III),
    ]

    static func info(code: Int) -> AudioFormatInfo {
        let major = code & SF_FORMAT_TYPEMASK, minor = code & SF_FORMAT_SUBMASK
        let container = containers.first { $0.1 == major }?.0.rawValue ?? "0x" + String(major, radix: 16)
        let encoding = encodings.first { $0.1 == minor }?.0.rawValue ?? "0x" + String(minor, radix: 16)
        return AudioFormatInfo(container: container, encoding: encoding)
    }

    static func code(_ container: AudioContainer, _ encoding: AudioEncoding) -> Int32 {
        let major = containers.first { $0.0 == container }!.1
        let minor = encodings.first { $0.0 == encoding }!.1
        return Int32(major | minor)
    }
}

/// Sample data handed to libsndfile for writing, in the width that reproduces exact values:
/// `int16`/`int32` for integer PCM targets (libsndfile scales floats by 32767 on write but by
/// 1/32768 on read, so floats would not round-trip), `float` for float and lossy targets.
enum SoundFileSamples {
    case float([Float])
    case int16([Int16])
    case int32([Int32])

    var count: Int {
        switch self {
        case .float(let s): return s.count
        case .int16(let s): return s.count
        case .int32(let s): return s.count
        }
    }
}

enum SoundFileWriter {
    /// True when this libsndfile can write that container/encoding pair at that rate and channel count.
    static func canWrite(_ container: AudioContainer, _ encoding: AudioEncoding, sampleRate: Int, channels: Int) -> Bool {
        var info = SF_INFO(frames: 0, samplerate: Int32(sampleRate), channels: Int32(channels),
                           format: SoundFileFormat.code(container, encoding), sections: 0, seekable: 0)
        return sf_format_check(&info) != 0
    }

    /// Writes interleaved `samples` to `path` (created or replaced).
    ///
    /// `quality` (0 = smallest … 1 = best) sets `SFC_SET_VBR_ENCODING_QUALITY` for Vorbis, Opus and MP3.
    static func write(_ samples: SoundFileSamples, channels: Int, sampleRate: Int, container: AudioContainer,
                      encoding: AudioEncoding, quality: Double?, path: String) throws(AudioIOError) {
        precondition(channels > 0 && samples.count % channels == 0, "sample count \(samples.count) is not a multiple of \(channels) channels")
        var info = SF_INFO(frames: 0, samplerate: Int32(sampleRate), channels: Int32(channels),
                           format: SoundFileFormat.code(container, encoding), sections: 0, seekable: 0)
        guard sf_format_check(&info) != 0 else {
            throw .cannotWrite(path: path, detail: "\(container.rawValue) \(encoding.rawValue) at \(sampleRate) Hz with \(channels) channels is not a combination libsndfile can write")
        }
        guard let handle = sf_open(path, Int32(SFM_WRITE), &info) else {
            throw .cannotWrite(path: path, detail: String(cString: sf_strerror(nil)))
        }
        var closed = false
        defer { if !closed { sf_close(handle) } }
        if var q = quality {
            sf_command(handle, Int32(SFC_SET_VBR_ENCODING_QUALITY), &q, Int32(MemoryLayout<Double>.size))
        }
        let frames = sf_count_t(samples.count / channels)
        let written: sf_count_t
        switch samples {
        case .float(let s): written = sf_writef_float(handle, s, frames)
        case .int16(let s): written = sf_writef_short(handle, s, frames)
        case .int32(let s): written = sf_writef_int(handle, s, frames)
        }
        guard written == frames else {
            throw .cannotWrite(path: path, detail: "wrote \(written) of \(frames) frames: \(String(cString: sf_strerror(handle)))")
        }
        closed = true
        let status = sf_close(handle)
        guard status == 0 else {
            throw .cannotWrite(path: path, detail: "closing failed with error \(status)")
        }
    }
}
