// Scoring kernels of the vector index: AVX2+FMA+F16C bodies chosen at run time, portable C bodies
// otherwise (see include/vector_kernels.h). The portable bodies are also what the tests compare the
// SIMD ones against (avk_force_portable), besides the Swift float64 twins.
#include "vector_kernels.h"

#include <math.h>
#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define AVK_X86 1
#else
#define AVK_X86 0
#endif

static int avk_level = -1;   // -1: not probed yet; 0 portable; 1 AVX2+FMA+F16C
static int avk_forced = 0;

static int probe(void) {
#if AVK_X86
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c") ? 1 : 0;
#else
    return 0;
#endif
}

static inline int level(void) {
    if (avk_forced) return 0;
    int l = __atomic_load_n(&avk_level, __ATOMIC_RELAXED);
    if (l < 0) { l = probe(); __atomic_store_n(&avk_level, l, __ATOMIC_RELAXED); }
    return l;
}

int avk_simd_level(void) { return level(); }
void avk_force_portable(int on) { __atomic_store_n(&avk_forced, on ? 1 : 0, __ATOMIC_RELAXED); }

// MARK: portable bodies (four partial sums, so the compiler can keep them in SSE registers)

static float dot_portable(const float *a, const float *b, size_t d) {
    float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    size_t i = 0;
    for (; i + 4 <= d; i += 4) {
        s0 += a[i] * b[i]; s1 += a[i + 1] * b[i + 1]; s2 += a[i + 2] * b[i + 2]; s3 += a[i + 3] * b[i + 3];
    }
    float s = (s0 + s1) + (s2 + s3);
    for (; i < d; i++) s += a[i] * b[i];
    return s;
}

static float l2_portable(const float *a, const float *b, size_t d) {
    float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    size_t i = 0;
    for (; i + 4 <= d; i += 4) {
        float t0 = a[i] - b[i], t1 = a[i + 1] - b[i + 1], t2 = a[i + 2] - b[i + 2], t3 = a[i + 3] - b[i + 3];
        s0 += t0 * t0; s1 += t1 * t1; s2 += t2 * t2; s3 += t3 * t3;
    }
    float s = (s0 + s1) + (s2 + s3);
    for (; i < d; i++) { float t = a[i] - b[i]; s += t * t; }
    return s;
}

/// IEEE binary16 → binary32, exact for every input (normals, subnormals, ±0, ±inf, NaN payloads).
static inline float half_to_float(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000) << 16, exp = (h >> 10) & 0x1f, man = h & 0x3ff, bits;
    if (exp == 0x1f) {
        bits = sign | 0x7f800000u | (man << 13);
    } else if (exp != 0) {
        bits = sign | ((exp + 112) << 23) | (man << 13);
    } else if (man == 0) {
        bits = sign;
    } else {  // subnormal: normalise
        int e = -1;
        do { man <<= 1; e++; } while ((man & 0x400) == 0);
        bits = sign | ((uint32_t)(112 - e) << 23) | ((man & 0x3ff) << 13);
    }
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

static void f16_portable(const uint16_t *in, float *out, size_t n) {
    for (size_t i = 0; i < n; i++) out[i] = half_to_float(in[i]);
}

static void score_f16_portable(const float *q, const uint16_t *x, size_t n, size_t d, int l2, float *out) {
    float row[256];
    for (size_t r = 0; r < n; r++) {
        const uint16_t *xr = x + r * d;
        float s = 0;
        for (size_t j0 = 0; j0 < d; j0 += 256) {
            size_t m = d - j0 < 256 ? d - j0 : 256;
            f16_portable(xr + j0, row, m);
            s += l2 ? l2_portable(q + j0, row, m) : dot_portable(q + j0, row, m);
        }
        out[r] = s;
    }
}

static void score_sq8_portable(const float *w, const float *step, float bias, const uint8_t *codes, size_t n, size_t d, int l2, float *out) {
    for (size_t r = 0; r < n; r++) {
        const uint8_t *c = codes + r * d;
        float s0 = 0, s1 = 0;
        size_t j = 0;
        if (l2) {
            for (; j + 2 <= d; j += 2) {
                float t0 = w[j] - step[j] * (float)c[j], t1 = w[j + 1] - step[j + 1] * (float)c[j + 1];
                s0 += t0 * t0; s1 += t1 * t1;
            }
            for (; j < d; j++) { float t = w[j] - step[j] * (float)c[j]; s0 += t * t; }
            out[r] = s0 + s1;
        } else {
            for (; j + 2 <= d; j += 2) { s0 += w[j] * (float)c[j]; s1 += w[j + 1] * (float)c[j + 1]; }
            for (; j < d; j++) s0 += w[j] * (float)c[j];
            out[r] = bias + (s0 + s1);
        }
    }
}

static size_t candidates_portable(const float *s, size_t n, float worst, int l2, uint32_t *idx) {
    size_t c = 0;
    for (size_t i = 0; i < n; i++) {
        float v = s[i];
        int pass = l2 ? !(v > worst) : !(v < worst);
        if (pass || !isfinite(v)) idx[c++] = (uint32_t)i;
    }
    return c;
}

static void argbest_portable(const float *s, size_t rows, size_t k, size_t lds, const float *bias, int l2, int32_t *out) {
    for (size_t r = 0; r < rows; r++) {
        const float *row = s + r * lds;
        int32_t best = 0;
        float bv = NAN;
        for (size_t c = 0; c < k; c++) {
            float v = l2 ? bias[c] - 2.0f * row[c] : row[c];
            if (isnan(v)) continue;
            if (isnan(bv) || (l2 ? v < bv : v > bv)) { bv = v; best = (int32_t)c; }
        }
        out[r] = best;
    }
}

static float sum_portable(const float *x, size_t n) {
    float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    size_t i = 0;
    for (; i + 4 <= n; i += 4) { s0 += x[i]; s1 += x[i + 1]; s2 += x[i + 2]; s3 += x[i + 3]; }
    float s = (s0 + s1) + (s2 + s3);
    for (; i < n; i++) s += x[i];
    return s;
}

// MARK: AVX2 + FMA + F16C bodies

#if AVK_X86
#define AVK_TARGET __attribute__((target("avx2,fma,f16c")))

AVK_TARGET static inline float hsum256(__m256 v) {
    __m128 lo = _mm256_castps256_ps128(v), hi = _mm256_extractf128_ps(v, 1);
    lo = _mm_add_ps(lo, hi);
    lo = _mm_add_ps(lo, _mm_movehl_ps(lo, lo));
    lo = _mm_add_ss(lo, _mm_shuffle_ps(lo, lo, 1));
    return _mm_cvtss_f32(lo);
}

AVK_TARGET static inline __m256 load8_f32(const float *p) { return _mm256_loadu_ps(p); }
AVK_TARGET static inline float load1_f32(const float *p) { return *p; }
AVK_TARGET static inline __m256 load8_f16(const uint16_t *p) { return _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)p)); }
AVK_TARGET static inline float load1_f16(const uint16_t *p) { return half_to_float(*p); }

// Inner product and squared L2 of a float32 query against one stored row, and the row-block scorer,
// written once and instantiated per storage type; the instances differ only in how 8 (or 1) stored
// components are loaded as floats. Four 8-lane FMA chains, like faiss's fvec_inner_product (anchors §1).
#define AVK_DEFINE_SCORERS(SUFFIX, ELEM)                                                                     \
    AVK_TARGET static inline float dot_##SUFFIX(const float *a, const ELEM *b, size_t d) {                    \
        __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps(), s2 = _mm256_setzero_ps(), s3 = _mm256_setzero_ps(); \
        size_t i = 0;                                                                                          \
        for (; i + 32 <= d; i += 32) {                                                                         \
            s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), load8_##SUFFIX(b + i), s0);                           \
            s1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8), load8_##SUFFIX(b + i + 8), s1);                   \
            s2 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 16), load8_##SUFFIX(b + i + 16), s2);                 \
            s3 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 24), load8_##SUFFIX(b + i + 24), s3);                 \
        }                                                                                                      \
        for (; i + 8 <= d; i += 8) s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), load8_##SUFFIX(b + i), s0);    \
        float s = hsum256(_mm256_add_ps(_mm256_add_ps(s0, s1), _mm256_add_ps(s2, s3)));                       \
        for (; i < d; i++) s += a[i] * load1_##SUFFIX(b + i);                                                  \
        return s;                                                                                              \
    }                                                                                                          \
    AVK_TARGET static inline float l2_##SUFFIX(const float *a, const ELEM *b, size_t d) {                     \
        __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps(), s2 = _mm256_setzero_ps(), s3 = _mm256_setzero_ps(); \
        size_t i = 0;                                                                                          \
        for (; i + 32 <= d; i += 32) {                                                                         \
            __m256 t0 = _mm256_sub_ps(_mm256_loadu_ps(a + i), load8_##SUFFIX(b + i));                          \
            __m256 t1 = _mm256_sub_ps(_mm256_loadu_ps(a + i + 8), load8_##SUFFIX(b + i + 8));                  \
            __m256 t2 = _mm256_sub_ps(_mm256_loadu_ps(a + i + 16), load8_##SUFFIX(b + i + 16));                \
            __m256 t3 = _mm256_sub_ps(_mm256_loadu_ps(a + i + 24), load8_##SUFFIX(b + i + 24));                \
            s0 = _mm256_fmadd_ps(t0, t0, s0); s1 = _mm256_fmadd_ps(t1, t1, s1);                                \
            s2 = _mm256_fmadd_ps(t2, t2, s2); s3 = _mm256_fmadd_ps(t3, t3, s3);                                \
        }                                                                                                      \
        for (; i + 8 <= d; i += 8) {                                                                           \
            __m256 t = _mm256_sub_ps(_mm256_loadu_ps(a + i), load8_##SUFFIX(b + i));                           \
            s0 = _mm256_fmadd_ps(t, t, s0);                                                                    \
        }                                                                                                      \
        float s = hsum256(_mm256_add_ps(_mm256_add_ps(s0, s1), _mm256_add_ps(s2, s3)));                       \
        for (; i < d; i++) { float t = a[i] - load1_##SUFFIX(b + i); s += t * t; }                             \
        return s;                                                                                              \
    }                                                                                                          \
    AVK_TARGET static void score_##SUFFIX##_avx2(const float *q, const ELEM *x, size_t n, size_t d, int l2, float *out) { \
        if (l2) { for (size_t r = 0; r < n; r++) out[r] = l2_##SUFFIX(q, x + r * d, d); }                      \
        else { for (size_t r = 0; r < n; r++) out[r] = dot_##SUFFIX(q, x + r * d, d); }                        \
    }

AVK_DEFINE_SCORERS(f32, float)
AVK_DEFINE_SCORERS(f16, uint16_t)

AVK_TARGET static inline __m256 load_u8(const uint8_t *p) {
    return _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)p)));
}

AVK_TARGET static void score_sq8_avx2(const float *w, const float *step, float bias, const uint8_t *codes, size_t n, size_t d, int l2, float *out) {
    for (size_t r = 0; r < n; r++) {
        const uint8_t *c = codes + r * d;
        __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();
        size_t j = 0;
        if (l2) {
            for (; j + 16 <= d; j += 16) {
                __m256 t0 = _mm256_fnmadd_ps(_mm256_loadu_ps(step + j), load_u8(c + j), _mm256_loadu_ps(w + j));
                __m256 t1 = _mm256_fnmadd_ps(_mm256_loadu_ps(step + j + 8), load_u8(c + j + 8), _mm256_loadu_ps(w + j + 8));
                s0 = _mm256_fmadd_ps(t0, t0, s0); s1 = _mm256_fmadd_ps(t1, t1, s1);
            }
            float s = hsum256(_mm256_add_ps(s0, s1));
            for (; j < d; j++) { float t = w[j] - step[j] * (float)c[j]; s += t * t; }
            out[r] = s;
        } else {
            for (; j + 16 <= d; j += 16) {
                s0 = _mm256_fmadd_ps(_mm256_loadu_ps(w + j), load_u8(c + j), s0);
                s1 = _mm256_fmadd_ps(_mm256_loadu_ps(w + j + 8), load_u8(c + j + 8), s1);
            }
            float s = hsum256(_mm256_add_ps(s0, s1));
            for (; j < d; j++) s += w[j] * (float)c[j];
            out[r] = bias + s;
        }
    }
}

AVK_TARGET static size_t candidates_avx2(const float *s, size_t n, float worst, int l2, uint32_t *idx) {
    const __m256 w = _mm256_set1_ps(worst), inf = _mm256_set1_ps(INFINITY);
    const __m256 absmask = _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff));
    size_t c = 0, i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 v = _mm256_loadu_ps(s + i);
        __m256 pass = l2 ? _mm256_cmp_ps(v, w, _CMP_NGT_UQ) : _mm256_cmp_ps(v, w, _CMP_NLT_UQ);
        pass = _mm256_or_ps(pass, _mm256_cmp_ps(_mm256_and_ps(v, absmask), inf, _CMP_NLT_UQ));
        unsigned m = (unsigned)_mm256_movemask_ps(pass);
        while (m) { idx[c++] = (uint32_t)(i + (size_t)__builtin_ctz(m)); m &= m - 1; }
    }
    for (; i < n; i++) {
        float v = s[i];
        if ((l2 ? !(v > worst) : !(v < worst)) || !isfinite(v)) idx[c++] = (uint32_t)i;
    }
    return c;
}

AVK_TARGET static void argbest_avx2(const float *s, size_t rows, size_t k, size_t lds, const float *bias, int l2, int32_t *out) {
    const __m256 two = _mm256_set1_ps(2.0f), lane = _mm256_setr_ps(0, 1, 2, 3, 4, 5, 6, 7), eight = _mm256_set1_ps(8);
    for (size_t r = 0; r < rows; r++) {
        const float *row = s + r * lds;
        // Maximise v = s (ip) or −(bias − 2s) (l2); strict ">" keeps the earliest column per lane.
        __m256 best = _mm256_set1_ps(-INFINITY), bidx = _mm256_set1_ps(-1), col = lane;
        size_t c = 0;
        for (; c + 8 <= k; c += 8) {
            __m256 v = _mm256_loadu_ps(row + c);
            if (l2) v = _mm256_sub_ps(_mm256_setzero_ps(), _mm256_sub_ps(_mm256_loadu_ps(bias + c), _mm256_mul_ps(two, v)));
            __m256 gt = _mm256_cmp_ps(v, best, _CMP_GT_OQ);
            best = _mm256_blendv_ps(best, v, gt);
            bidx = _mm256_blendv_ps(bidx, col, gt);
            col = _mm256_add_ps(col, eight);
        }
        float bv[8], bi[8];
        _mm256_storeu_ps(bv, best); _mm256_storeu_ps(bi, bidx);
        float top = -INFINITY; int32_t at = -1;
        for (int l = 0; l < 8; l++) {
            if (bi[l] < 0) continue;
            if (bv[l] > top || (bv[l] == top && (at < 0 || (int32_t)bi[l] < at))) { top = bv[l]; at = (int32_t)bi[l]; }
        }
        for (; c < k; c++) {
            float v = l2 ? -(bias[c] - 2.0f * row[c]) : row[c];
            if (v > top) { top = v; at = (int32_t)c; }
        }
        if (at < 0) {  // nothing above −inf: the first non-NaN column (−inf), else 0
            at = 0;
            for (size_t c2 = 0; c2 < k; c2++) {
                float v = l2 ? bias[c2] - 2.0f * row[c2] : row[c2];
                if (!isnan(v)) { at = (int32_t)c2; break; }
            }
        }
        out[r] = at;
    }
}

AVK_TARGET static float sum_avx2(const float *x, size_t n) {
    __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps(), s2 = _mm256_setzero_ps(), s3 = _mm256_setzero_ps();
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        s0 = _mm256_add_ps(s0, _mm256_loadu_ps(x + i)); s1 = _mm256_add_ps(s1, _mm256_loadu_ps(x + i + 8));
        s2 = _mm256_add_ps(s2, _mm256_loadu_ps(x + i + 16)); s3 = _mm256_add_ps(s3, _mm256_loadu_ps(x + i + 24));
    }
    float s = hsum256(_mm256_add_ps(_mm256_add_ps(s0, s1), _mm256_add_ps(s2, s3)));
    for (; i < n; i++) s += x[i];
    return s;
}

AVK_TARGET static void f16_avx2(const uint16_t *in, float *out, size_t n) {
    size_t i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(out + i, load8_f16(in + i));
    for (; i < n; i++) out[i] = half_to_float(in[i]);
}
#endif

// MARK: dispatch

#if AVK_X86
#define DISPATCH(fast, slow) (level() ? (fast) : (slow))
#else
#define DISPATCH(fast, slow) (slow)
#endif

float avk_dot_f32(const float *a, const float *b, size_t d) { return DISPATCH(dot_f32(a, b, d), dot_portable(a, b, d)); }
float avk_l2_f32(const float *a, const float *b, size_t d) { return DISPATCH(l2_f32(a, b, d), l2_portable(a, b, d)); }

void avk_score_f32(const float *q, const float *x, size_t n, size_t d, int l2, float *out) {
#if AVK_X86
    if (level()) { score_f32_avx2(q, x, n, d, l2, out); return; }
#endif
    for (size_t r = 0; r < n; r++) out[r] = l2 ? l2_portable(q, x + r * d, d) : dot_portable(q, x + r * d, d);
}

void avk_score_f16(const float *q, const uint16_t *x, size_t n, size_t d, int l2, float *out) {
#if AVK_X86
    if (level()) { score_f16_avx2(q, x, n, d, l2, out); return; }
#endif
    score_f16_portable(q, x, n, d, l2, out);
}

void avk_score_sq8(const float *w, const float *step, float bias, const uint8_t *codes, size_t n, size_t d, int l2, float *out) {
#if AVK_X86
    if (level()) { score_sq8_avx2(w, step, bias, codes, n, d, l2, out); return; }
#endif
    score_sq8_portable(w, step, bias, codes, n, d, l2, out);
}

size_t avk_candidates(const float *s, size_t n, float worst, int l2, uint32_t *idx) {
    return DISPATCH(candidates_avx2(s, n, worst, l2, idx), candidates_portable(s, n, worst, l2, idx));
}

void avk_argbest(const float *s, size_t rows, size_t k, size_t lds, const float *bias, int l2, int32_t *out) {
#if AVK_X86
    if (level()) { argbest_avx2(s, rows, k, lds, bias, l2, out); return; }
#endif
    argbest_portable(s, rows, k, lds, bias, l2, out);
}

float avk_sum_f32(const float *x, size_t n) { return DISPATCH(sum_avx2(x, n), sum_portable(x, n)); }

void avk_f16_to_f32(const uint16_t *in, float *out, size_t n) {
#if AVK_X86
    if (level()) { f16_avx2(in, out, n); return; }
#endif
    f16_portable(in, out, n);
}
