/// How a clip longer than the model's window (10 s, 480,000 samples at 48 kHz) is reduced.
///
/// The references draw these choices at random (laion_clap `np.random.randint` for the waveform
/// crop, `np.random.choice` for the fusion crops; transformers the same), so the same file gives a
/// different embedding on every call (LAION-AI/CLAP#166). Here they are fixed by a named policy,
/// and `rawValue` is the stable string an index records.
public enum LongClipPolicy: String, CaseIterable, Sendable, Codable {
    /// The default. Waveform crop (`laion`, `hf` rand_trunc): the 10 s in the middle, starting at
    /// `(n − 480000) / 2` (integer division). Fusion: each of the three local crops is the middle
    /// element of its `np.array_split` third, i.e. the chunk centred in that third's range of
    /// start frames.
    case center
    /// Waveform crop: the first 10 s. Fusion: each local crop starts at the first start frame of
    /// its third (front crop at frame 0), i.e. the beginning of the front, middle and back thirds.
    case start
    /// Consecutive 10 s windows, each processed as a clip of exactly 10 s: window `w` starts at
    /// sample `w · 480000`, except the last, which ends at the clip's end (start `n − 480000`) so
    /// every window is a full 10 s; it overlaps its predecessor unless `n` is a multiple of
    /// 480,000. `W = ⌈n / 480000⌉` windows. Clips of at most 10 s give one window, padded as usual.
    /// Output `[W, 1001, 64]`; for fusion profiles `[W, 4, 1001, 64]`, each window being a
    /// 10 s clip, hence four copies of its mel with `longer = false`.
    case windows
}

/// What to crop: a named policy, or explicit offsets (for parity tests that replay a reference's
/// recorded random draws; not offered on the command line).
public enum CropPlan: Sendable, Equatable {
    case policy(LongClipPolicy)
    case explicit(ExplicitCrop)

    public static let center = CropPlan.policy(.center)

    /// The string an index records: the policy's name, or `explicit`.
    public var recordedName: String {
        switch self {
        case .policy(let p): return p.rawValue
        case .explicit: return "explicit"
        }
    }
}

/// Offsets as the references record them.
public enum ExplicitCrop: Sendable, Equatable {
    /// Waveform crop start sample for `rand_trunc` profiles (laion_clap / transformers
    /// `idx = np.random.randint(0, overflow + 1)`); must be in `0 … n − 480000`.
    case waveformStart(Int)
    /// Start frames of the front, middle and back mel crops for fusion profiles
    /// (`idx_front`, `idx_middle`, `idx_back`); each in `0 … T − 1001`.
    case fusionFrames(front: Int, middle: Int, back: Int)
}
