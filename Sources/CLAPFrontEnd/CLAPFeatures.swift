/// The model input a front end produced for one clip, with what was done to get it.
public struct CLAPFeatures: Sendable, Equatable {
    /// `laion`, `laion-fusion`, `hf-rand_trunc` or `hf-fusion`.
    public let profile: String
    /// `CropPlan.recordedName`: `center`, `start`, `windows` or `explicit`.
    public let cropPlan: String
    /// `[1001, 64]` (rand_trunc), `[4, 1001, 64]` (fusion); with the `windows` policy
    /// `[W, 1001, 64]` or `[W, 4, 1001, 64]`.
    public let shape: [Int]
    /// Log-mel values in dB, C order of `shape`, float32.
    public let values: [Float]
    /// One per window (one for the other plans).
    public let segments: [Segment]

    public struct Segment: Sendable, Equatable {
        /// First sample of the clip this segment's waveform starts at (the crop start for a
        /// cropped long clip, the window start, or 0).
        public let start: Int
        /// Clip samples fed to the mel, before any padding (480,000 for a crop or window; the
        /// whole clip for a short clip or a fusion long clip).
        public let sampleCount: Int
        /// laion_clap's `longer` / transformers' `is_longer`, as the reference computes it
        /// (never transformers' random flip in `__call__`).
        public let longer: Bool
        /// The fusion local crops' start frames, when the fusion long-clip path ran.
        public let fusionFrames: FusionFrames?
    }

    public struct FusionFrames: Sendable, Equatable {
        public let front: Int
        public let middle: Int
        public let back: Int
        /// Frames of the whole-clip mel the crops and the shrunk global view come from.
        public let totalFrames: Int
    }

    /// True if any segment is `longer`.
    public var longer: Bool { segments.contains { $0.longer } }
}
