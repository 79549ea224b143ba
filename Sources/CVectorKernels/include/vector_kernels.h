// Scoring kernels of the vector index (issue 5), imported by the VectorIndex module only.
//
// Swift compiles for the x86-64 baseline (SSE2, no FMA; `addingProduct` becomes a libm call), so
// the hot loops live here: each function has an AVX2+FMA(+F16C) body selected once at run time
// (`__builtin_cpu_supports`) and a portable C body used elsewhere. Every kernel has a slow,
// obviously-correct twin in the Swift tests (Tests/VectorIndexTests/KernelTests.swift).
// Layout: row-major, row r of an n × d block at x[r * d]; float16 rows are IEEE binary16 bit
// patterns; SQ8 rows are one byte per component.
#ifndef AUDIO_INDEX_VECTOR_KERNELS_H
#define AUDIO_INDEX_VECTOR_KERNELS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// 1 when the AVX2+FMA+F16C bodies run, 0 for the portable ones (for reports and tests).
int avk_simd_level(void);
/// Forces the portable bodies (1) or restores the run-time choice (0): lets tests compare both.
void avk_force_portable(int on);

/// Inner product / squared L2 of two float32 vectors.
float avk_dot_f32(const float *a, const float *b, size_t d);
float avk_l2_f32(const float *a, const float *b, size_t d);

/// Scores of one query against n consecutive float32 rows (l2 = 0: inner product; 1: squared L2).
void avk_score_f32(const float *q, const float *x, size_t n, size_t d, int l2, float *out);
/// The same against float16 rows (each converted exactly to float32).
void avk_score_f16(const float *q, const uint16_t *x, size_t n, size_t d, int l2, float *out);
/// Approximate scores against SQ8 rows, whose component j decodes as vmin[j] + code·step[j].
/// ip (l2 = 0): out = bias + Σ w[j]·code[j], with w = q·step and bias = Σ q·vmin precomputed;
/// l2: out = Σ (w[j] − step[j]·code[j])², with w = q − vmin.
void avk_score_sq8(const float *w, const float *step, float bias, const uint8_t *codes, size_t n, size_t d, int l2, float *out);

/// Writes to idx the positions i < n whose score may enter a top-k whose current worst is `worst`
/// (ip: !(s < worst); l2: !(s > worst); any non-finite s also passes, for the caller's full
/// test). Returns their count. Most scores of a large scan fail, so this is the fast reject.
size_t avk_candidates(const float *s, size_t n, float worst, int l2, uint32_t *idx);

/// For each of `rows` rows of k scores (row stride lds): the column of the best score
/// (ip: largest s; l2: smallest bias[c] − 2·s), NaN never winning, ties to the smaller column,
/// 0 when all are NaN. k-means assignment from one sgemm block.
void avk_argbest(const float *s, size_t rows, size_t k, size_t lds, const float *bias, int l2, int32_t *out);

/// Sum of n floats with the widest read-only loop: the memory-bandwidth baseline.
float avk_sum_f32(const float *x, size_t n);

/// Exact float16 → float32 of n values.
void avk_f16_to_f32(const uint16_t *in, float *out, size_t n);

#ifdef __cplusplus
}
#endif

#endif
