// The frame-block log-mel kernel (see include/CDSPKernels.h): plan, run-time dispatch, and three
// instantiations of logmel_body.h (portable, AVX2, AVX-512F).
//
// No fused multiply-add anywhere: contraction is switched off for this file, so a·b + c is always
// a rounded product then a rounded sum, on every instruction set, and the AVX-512, AVX2 and
// portable paths give the same bits (tested in DSPTests/FrameBlockLogMelTests).
#pragma STDC FP_CONTRACT OFF
#pragma clang fp contract(off)

#include "CDSPKernels.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

// Build knobs for experiments (-D...): prefetch the next block (measured gain ≤ 5%, within noise);
// the L1 chunk of the narrow FFT stages.
#ifndef CDSP_PREFETCH
#define CDSP_PREFETCH 1
#endif
#ifndef CDSP_CHUNK_BYTES
#define CDSP_CHUNK_BYTES 16384
#endif

#if defined(__x86_64__) || defined(__i386__)
#define CDSP_X86 1
#endif

struct cdsp_logmel {
    int n, half, radix2_first;
    int chunk;           // points per L1-resident chunk of the first FFT stages (a stage group size)
    cdsp_isa isa;
    int lanes;
    double *window;      // n
    int *bitrev;         // half: bit-reversed index
    double *twiddles;    // per radix-4 stage of sub-size m: m × (w1r, w1i, w2r, w2i, w3r, w3i)
    double *split_cos;   // half + 1: cos(2πk/n)
    double *split_sin;   // half + 1: sin(2πk/n)
    int first_bin, bin_count, band_count;
    int *band_first, *band_length, *band_offset;
    double *weights;
    void *scratch;       // 64-byte aligned: re[half], im[half], power[bin_count], mel[band_count], float rows[band_count]
};

/// Prefetches (into L2) the samples of `count` frames; when they lie in one short run of memory
/// (interior frames of one signal, in order), only the part after `previous`'s end, which the
/// current block has already brought in.
static void cdsp_prefetch_frames(const float *const *frames, size_t count, const float *previous, int n) {
    const uintptr_t bytes = (uintptr_t)n * sizeof(float);
    uintptr_t lo = (uintptr_t)frames[0], hi = (uintptr_t)frames[count - 1] + bytes;
    int run = hi > lo && hi - lo <= count * bytes;
    for (size_t l = 1; run && l < count; l++) run = frames[l] >= frames[l - 1];
    if (!run) {
        for (size_t l = 0; l < count; l++)
            for (uintptr_t a = (uintptr_t)frames[l]; a < (uintptr_t)frames[l] + bytes; a += 64) __builtin_prefetch((const void *)a, 0, 2);
        return;
    }
    const uintptr_t done = (uintptr_t)previous + bytes;
    if (done > lo && done < hi) lo = done;
    for (uintptr_t a = lo & ~(uintptr_t)63; a < hi; a += 64) __builtin_prefetch((const void *)a, 0, 2);
}

#define LANES 2
#define SUFFIX portable
#define TARGET
#include "logmel_body.h"
#undef TARGET
#undef SUFFIX
#undef LANES

#ifdef CDSP_X86
#define LANES 4
#define SUFFIX avx2
#define TARGET __attribute__((target("avx2")))
#include "logmel_body.h"
#undef TARGET
#undef SUFFIX
#undef LANES

#define LANES 8
#define SUFFIX avx512
#define TARGET __attribute__((target("avx512f")))
#include "logmel_body.h"
#undef TARGET
#undef SUFFIX
#undef LANES
#endif

cdsp_isa cdsp_best_isa(void) {
#ifdef CDSP_X86
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f")) return CDSP_ISA_AVX512;
    if (__builtin_cpu_supports("avx2")) return CDSP_ISA_AVX2;
#endif
    return CDSP_ISA_PORTABLE;
}

static int lanes_for(cdsp_isa isa) {
    switch (isa) {
    case CDSP_ISA_AVX512: return 8;
    case CDSP_ISA_AVX2: return 4;
    default: return 2;
    }
}

void cdsp_logmel_destroy(cdsp_logmel *p) {
    if (!p) return;
    free(p->window);
    free(p->bitrev);
    free(p->twiddles);
    free(p->split_cos);
    free(p->split_sin);
    free(p->band_first);
    free(p->band_length);
    free(p->band_offset);
    free(p->weights);
    free(p->scratch);
    free(p);
}

cdsp_logmel *cdsp_logmel_create(int fft_size, const double *window, int first_bin, int bin_count,
                                int band_count, const int *band_first, const int *band_length,
                                const int *band_offset, const double *weights, int weight_count,
                                cdsp_isa isa) {
    if (fft_size < 64 || fft_size > 65536 || (fft_size & (fft_size - 1)) != 0) return NULL;
    const int half = fft_size / 2;
    if (first_bin < 0 || bin_count < 1 || first_bin + bin_count > half + 1 || band_count < 0) return NULL;
    for (int b = 0; b < band_count; b++) {
        if (band_first[b] < 0 || band_length[b] < 0 || band_first[b] + band_length[b] > bin_count) return NULL;
        if (band_offset[b] < 0 || band_offset[b] + band_length[b] > weight_count) return NULL;
    }
    cdsp_logmel *p = calloc(1, sizeof *p);
    if (!p) return NULL;
    const cdsp_isa best = cdsp_best_isa();
    p->isa = isa > best ? best : isa;
    p->lanes = lanes_for(p->isa);
    p->n = fft_size;
    p->half = half;
    int bits = 0;
    while ((1 << bits) < half) bits++;
    p->radix2_first = bits & 1;
    p->first_bin = first_bin;
    // Chunk: the widest stage group whose re/im vectors fit in CDSP_CHUNK_BYTES (half of a
    // 32 KiB L1), starting from the first stages' group (8 points, or 4 when log2(half) is even).
    p->chunk = p->radix2_first ? 8 : 4;
    while (p->chunk * 4 <= half / 4 && (size_t)p->chunk * 4 * 16 * (size_t)p->lanes <= CDSP_CHUNK_BYTES) p->chunk *= 4;
    p->bin_count = bin_count;
    p->band_count = band_count;
    p->window = malloc(sizeof(double) * (size_t)fft_size);
    p->bitrev = malloc(sizeof(int) * (size_t)half);
    p->twiddles = malloc(sizeof(double) * 6 * (size_t)half);
    p->split_cos = malloc(sizeof(double) * (size_t)(half + 1));
    p->split_sin = malloc(sizeof(double) * (size_t)(half + 1));
    p->band_first = malloc(sizeof(int) * (size_t)(band_count + 1));
    p->band_length = malloc(sizeof(int) * (size_t)(band_count + 1));
    p->band_offset = malloc(sizeof(int) * (size_t)(band_count + 1));
    p->weights = malloc(sizeof(double) * (size_t)(weight_count + 1));
    const size_t vectors = 2 * (size_t)half + (size_t)bin_count + 2 * (size_t)band_count;
    p->scratch = aligned_alloc(64, vectors * (size_t)p->lanes * sizeof(double));
    if (!p->window || !p->bitrev || !p->twiddles || !p->split_cos || !p->split_sin || !p->band_first
        || !p->band_length || !p->band_offset || !p->weights || !p->scratch) {
        cdsp_logmel_destroy(p);
        return NULL;
    }
    memcpy(p->window, window, sizeof(double) * (size_t)fft_size);
    for (int j = 0; j < half; j++) {
        int r = 0;
        for (int b = 0; b < bits; b++) r |= ((j >> b) & 1) << (bits - 1 - b);
        p->bitrev[j] = r;
    }
    // Stage twiddles w_r = e^{−2πi·r·j/(4m)} = e^{−2πi·k/half}, k = r·j·half/(4m).
    double *t = p->twiddles;
    for (int m = p->radix2_first ? 2 : 1; m < half; m *= 4) {
        for (int j = 0; j < m; j++) {
            for (int r = 1; r <= 3; r++) {
                const double angle = 2.0 * M_PI * (double)(r * j * (half / (4 * m))) / (double)half;
                *t++ = cos(angle);
                *t++ = -sin(angle);
            }
        }
    }
    // The real split's twiddles, as RealFFTDouble builds them (2π·k / n).
    for (int k = 0; k <= half; k++) {
        const double angle = 2.0 * M_PI * (double)k / (double)fft_size;
        p->split_cos[k] = cos(angle);
        p->split_sin[k] = sin(angle);
    }
    memcpy(p->band_first, band_first, sizeof(int) * (size_t)band_count);
    memcpy(p->band_length, band_length, sizeof(int) * (size_t)band_count);
    memcpy(p->band_offset, band_offset, sizeof(int) * (size_t)band_count);
    memcpy(p->weights, weights, sizeof(double) * (size_t)weight_count);
    memset(p->scratch, 0, vectors * (size_t)p->lanes * sizeof(double));
    return p;
}

cdsp_isa cdsp_logmel_isa(const cdsp_logmel *p) { return p->isa; }

int cdsp_logmel_lanes(const cdsp_logmel *p) { return p->lanes; }

void cdsp_logmel_run(cdsp_logmel *p, const float *const *frames, size_t frame_count, double *out64,
                     float *out32, int decibels, float amin, float scale) {
    if (frame_count == 0) return;
    switch (p->isa) {
#ifdef CDSP_X86
    case CDSP_ISA_AVX512: run_avx512(p, frames, frame_count, out64, out32, decibels, amin, scale); return;
    case CDSP_ISA_AVX2: run_avx2(p, frames, frame_count, out64, out32, decibels, amin, scale); return;
#endif
    default: run_portable(p, frames, frame_count, out64, out32, decibels, amin, scale); return;
    }
}
