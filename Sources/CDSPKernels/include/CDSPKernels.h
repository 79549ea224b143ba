// CDSPKernels: audio-index's own small C kernels (not a third-party library). Imported only by
// Sources/DSP/FrameBlockLogMel.swift.
//
// cdsp_logmel: the mel power of a centred STFT, several frames at a time. Each SIMD lane holds one
// frame (8 with AVX-512, 4 with AVX2, 2 with baseline SSE2), so every lane runs exactly the scalar
// algorithm and no shuffles are needed except when the frames are loaded. All arithmetic is IEEE
// double without fused multiply-add (contraction is off in the source), so every instruction set
// gives bit-identical results. Per frame:
//   window (double) → complex FFT of n/2 points over z[j] = x[2j] + i·x[2j+1] (radix-2/4,
//   decimation in frequency) → real split of the requested bins, power |X|² → for each mel band, the sum
//   of its own run of weights times the power (double) → out.
#ifndef CDSP_KERNELS_H
#define CDSP_KERNELS_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Instruction sets the kernels are compiled for (chosen at run time).
typedef enum {
    CDSP_ISA_PORTABLE = 0,  ///< baseline x86-64 / any target: 2 lanes of generic vectors
    CDSP_ISA_AVX2 = 1,      ///< 4 lanes (x86-64 only)
    CDSP_ISA_AVX512 = 2,    ///< 8 lanes, AVX-512F (x86-64 only)
} cdsp_isa;

/// The best instruction set this CPU (and OS) supports.
cdsp_isa cdsp_best_isa(void);

typedef struct cdsp_logmel cdsp_logmel;

/// Plans the kernel. `fft_size` must be a power of two in 64…65536 (else NULL). `window` has
/// `fft_size` values. The power is computed for bins `first_bin ..< first_bin + bin_count` (within
/// 0…fft_size/2). Band `b` is `Σ_{i < band_length[b]} weights[band_offset[b] + i] ·
/// power[band_first[b] + i]`, `band_first` counted from `first_bin`, every run inside the bins.
/// `isa` above `cdsp_best_isa()` is lowered to it. Returns NULL on invalid arguments or no memory.
cdsp_logmel *cdsp_logmel_create(int fft_size, const double *window, int first_bin, int bin_count,
                                int band_count, const int *band_first, const int *band_length,
                                const int *band_offset, const double *weights, int weight_count,
                                cdsp_isa isa);
void cdsp_logmel_destroy(cdsp_logmel *plan);
/// The instruction set the plan runs with.
cdsp_isa cdsp_logmel_isa(const cdsp_logmel *plan);
/// Frames processed per block (SIMD lanes).
int cdsp_logmel_lanes(const cdsp_logmel *plan);

/// Computes `frame_count` frames; frame `t` is the `fft_size` float samples at `frames[t]` (any
/// alignment; the caller builds padded copies for frames that reach past the signal). Writes
/// `out64[t·band_count + b]` (double) if `out64` is not NULL, else `out32[…]`: the band sum rounded
/// to float, and if `decibels` is nonzero then `fastLog2(max(x, amin)) · scale` in float32 — the
/// same operations as DSP's `Decibels.powerToDB(_:amin:)` (scale = Float(10·log10 2)), same bits.
/// Uses the plan's scratch memory: one call at a time per plan.
void cdsp_logmel_run(cdsp_logmel *plan, const float *const *frames, size_t frame_count,
                     double *out64, float *out32, int decibels, float amin, float scale);

#ifdef __cplusplus
}
#endif

#endif
