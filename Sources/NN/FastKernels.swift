import CNNKernels

// The only file that imports CNNKernels (Sources/CNNKernels: C, an AVX2+FMA build chosen at run time
// and a portable build). Each kernel has a slow twin in NNReference that NNTests compare both builds with.

/// Vectorised kernels for the Swin attention path. The Swift code is compiled for baseline x86-64
/// (SSE2, no FMA), where a libm `expf` per attention score cost a fifth of the encoder's time.
public enum FastKernels {
    /// Which build of a kernel runs: `.fastest` is AVX2+FMA when the CPU has both, else portable.
    /// Tests pass `.portable` to check the fallback on any machine.
    public enum Build: Sendable, CaseIterable {
        case fastest, portable
        var flag: Int32 { self == .portable ? 1 : 0 }
    }

    /// True when this CPU runs the AVX2+FMA build for `.fastest`.
    public static var hasAVX2: Bool { cnn_has_avx2() != 0 }

    /// `y[i] = exp(x[i])`, Cephes' `expf` scheme in eight lanes: within 1 ulp of the correctly rounded
    /// value for normal results; results below `Float.leastNormalMagnitude` are 0, above
    /// ln(`Float.greatestFiniteMagnitude`) +∞. `x` and `y` may be the same buffer.
    public static func exp(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, count: Int, build: Build = .fastest) {
        cnn_exp(x, y, count, build.flag)
    }

    /// Exact-erf GELU `0.5·x·(1 + erf(x/√2))` in place; erf by a rational minimax approximation
    /// (Eigen's single-precision set) within 4e-7 absolute of the true erf.
    public static func geluErf(_ x: UnsafeMutablePointer<Float>, count: Int, build: Build = .fastest) {
        cnn_gelu_erf(x, count, build.flag)
    }

    /// Row-wise `softmax(x + add + mask)` in place (`add`, `mask` [rows × columns] or nil, added in that order).
    public static func softmaxRows(_ x: UnsafeMutablePointer<Float>, rows: Int, columns: Int,
                                   add: UnsafePointer<Float>? = nil, mask: UnsafePointer<Float>? = nil, build: Build = .fastest) {
        cnn_softmax_rows(x, rows, columns, add, mask, build.flag)
    }

    /// Floats of scratch `windowAttention` needs.
    public static func windowAttentionScratchCount(tokens: Int, headDimension: Int) -> Int {
        cnn_window_attention_scratch(tokens, headDimension)
    }

    /// laion_clap `WindowAttention.forward` between `qkv` and `proj` (htsat.py:330-352), for every
    /// head of every window: `context = softmax(q·scale·kᵀ + bias (+ mask))·v`.
    /// `qkv` [windows·tokens × 3·heads·d] ([q | k | v], heads contiguous), `bias` [heads × tokens × tokens],
    /// `mask` [windows × tokens × tokens] or nil, `context` [windows·tokens × heads·d],
    /// `scratch` ≥ `windowAttentionScratchCount` floats.
    public static func windowAttention(qkv: UnsafePointer<Float>, windows: Int, tokens: Int, heads: Int, headDimension: Int,
                                       bias: UnsafePointer<Float>, mask: UnsafePointer<Float>?, scale: Float,
                                       context: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>,
                                       build: Build = .fastest) {
        cnn_window_attention(qkv, windows, tokens, heads, headDimension, bias, mask, scale, context, scratch, build.flag)
    }

    /// `torch.nn.LayerNorm` over `rows` rows of `weight.count` values in place; mean and variance in Double.
    public static func layerNorm(_ x: UnsafeMutablePointer<Float>, rows: Int, dimension: Int,
                                 weight: UnsafePointer<Float>, bias: UnsafePointer<Float>, epsilon: Float,
                                 build: Build = .fastest) {
        cnn_layer_norm(x, rows, dimension, weight, bias, epsilon, build.flag)
    }
}
