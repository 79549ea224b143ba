// One instantiation of the frame-block log-mel kernel, included by logmel.c once per instruction
// set with LANES (frames per block), SUFFIX (name suffix) and TARGET (function attribute) defined.
// Every operation is on vectors of LANES doubles, one frame per lane, in the same order as the
// scalar algorithm (no contraction: see logmel.c), so all instantiations agree bit for bit.

#define CDSP_CAT_(a, b) a##_##b
#define CDSP_CAT(a, b) CDSP_CAT_(a, b)
#define FN(name) CDSP_CAT(name, SUFFIX)
#define V FN(vd)
#define VF FN(vf)
#define VS FN(vs)
#define VU FN(vu)
#define VI FN(vi)
// -DCDSP_PROFILE keeps the stages as separate functions, for `perf report` per stage.
#ifdef CDSP_PROFILE
#define INLINE TARGET static __attribute__((noinline))
#else
#define INLINE TARGET static inline __attribute__((always_inline))
#endif

typedef double V __attribute__((vector_size(LANES * 8)));
// Under-aligned float vector: a frame's samples have no particular alignment.
typedef float VF __attribute__((vector_size(LANES * 4), aligned(4)));
typedef float VS __attribute__((vector_size(LANES * 4)));
typedef unsigned VU __attribute__((vector_size(LANES * 4)));
typedef int VI __attribute__((vector_size(LANES * 4)));

/// DSP's `Decibels.fastLog2` lane by lane, the same float operations in the same order (so the
/// same bits): x = m·2^e with m in [√½, √2), s = (m − 1)/(m + 1),
/// log2 x = e + s·(1 + s²/3 + s⁴/5 + s⁶/7 + s⁸/9)·(2/ln 2). Positive normal x only.
INLINE VS FN(fastlog2)(VS x) {
    VU bits = (VU)x;
    const VU mantissa = bits & 0x007FFFFFu;
    const VU high = (VU)(mantissa >= 0x003504F3u) & 1u;  // mantissa ≥ √2: halve it, e + 1
    const VI e = (VI)((bits >> 23) & 0xFFu) - 127 + (VI)high;
    bits = mantissa | ((127u - high) << 23);
    const VS m = (VS)bits;
    const VS s = (m - 1.0f) / (m + 1.0f);
    const VS s2 = s * s;
    const VS series = 1.0f + s2 * (1.0f / 3 + s2 * (1.0f / 5 + s2 * (1.0f / 7 + s2 * (1.0f / 9))));
    return __builtin_convertvector(e, VS) + s * series * 2.8853900817779268f;
}

/// Transposes a LANES × LANES block of floats in place (a[k][l] ↔ a[l][k]).
INLINE void FN(transpose)(VS *a) {
#if LANES == 8
    VS t0 = __builtin_shufflevector(a[0], a[1], 0, 8, 1, 9, 4, 12, 5, 13);
    VS t1 = __builtin_shufflevector(a[0], a[1], 2, 10, 3, 11, 6, 14, 7, 15);
    VS t2 = __builtin_shufflevector(a[2], a[3], 0, 8, 1, 9, 4, 12, 5, 13);
    VS t3 = __builtin_shufflevector(a[2], a[3], 2, 10, 3, 11, 6, 14, 7, 15);
    VS t4 = __builtin_shufflevector(a[4], a[5], 0, 8, 1, 9, 4, 12, 5, 13);
    VS t5 = __builtin_shufflevector(a[4], a[5], 2, 10, 3, 11, 6, 14, 7, 15);
    VS t6 = __builtin_shufflevector(a[6], a[7], 0, 8, 1, 9, 4, 12, 5, 13);
    VS t7 = __builtin_shufflevector(a[6], a[7], 2, 10, 3, 11, 6, 14, 7, 15);
    VS u0 = __builtin_shufflevector(t0, t2, 0, 1, 8, 9, 4, 5, 12, 13);
    VS u1 = __builtin_shufflevector(t0, t2, 2, 3, 10, 11, 6, 7, 14, 15);
    VS u2 = __builtin_shufflevector(t1, t3, 0, 1, 8, 9, 4, 5, 12, 13);
    VS u3 = __builtin_shufflevector(t1, t3, 2, 3, 10, 11, 6, 7, 14, 15);
    VS u4 = __builtin_shufflevector(t4, t6, 0, 1, 8, 9, 4, 5, 12, 13);
    VS u5 = __builtin_shufflevector(t4, t6, 2, 3, 10, 11, 6, 7, 14, 15);
    VS u6 = __builtin_shufflevector(t5, t7, 0, 1, 8, 9, 4, 5, 12, 13);
    VS u7 = __builtin_shufflevector(t5, t7, 2, 3, 10, 11, 6, 7, 14, 15);
    a[0] = __builtin_shufflevector(u0, u4, 0, 1, 2, 3, 8, 9, 10, 11);
    a[4] = __builtin_shufflevector(u0, u4, 4, 5, 6, 7, 12, 13, 14, 15);
    a[1] = __builtin_shufflevector(u1, u5, 0, 1, 2, 3, 8, 9, 10, 11);
    a[5] = __builtin_shufflevector(u1, u5, 4, 5, 6, 7, 12, 13, 14, 15);
    a[2] = __builtin_shufflevector(u2, u6, 0, 1, 2, 3, 8, 9, 10, 11);
    a[6] = __builtin_shufflevector(u2, u6, 4, 5, 6, 7, 12, 13, 14, 15);
    a[3] = __builtin_shufflevector(u3, u7, 0, 1, 2, 3, 8, 9, 10, 11);
    a[7] = __builtin_shufflevector(u3, u7, 4, 5, 6, 7, 12, 13, 14, 15);
#elif LANES == 4
    VS t0 = __builtin_shufflevector(a[0], a[1], 0, 4, 1, 5);
    VS t1 = __builtin_shufflevector(a[0], a[1], 2, 6, 3, 7);
    VS t2 = __builtin_shufflevector(a[2], a[3], 0, 4, 1, 5);
    VS t3 = __builtin_shufflevector(a[2], a[3], 2, 6, 3, 7);
    a[0] = __builtin_shufflevector(t0, t2, 0, 1, 4, 5);
    a[1] = __builtin_shufflevector(t0, t2, 2, 3, 6, 7);
    a[2] = __builtin_shufflevector(t1, t3, 0, 1, 4, 5);
    a[3] = __builtin_shufflevector(t1, t3, 2, 3, 6, 7);
#else
    for (int k = 0; k < LANES; k++)
        for (int l = k + 1; l < LANES; l++) { float v = a[k][l]; a[k][l] = a[l][k]; a[l][k] = v; }
#endif
}

/// LANES consecutive samples of LANES frames, from sample `i`, transposed so that rows[k] holds
/// sample i + k of every frame (one frame per lane), widened to double.
INLINE void FN(tile)(const float *const *src, int i, V *rows) {
    VS a[LANES];
    for (int l = 0; l < LANES; l++) a[l] = *(const VF *)(src[l] + i);
    FN(transpose)(a);
    for (int k = 0; k < LANES; k++) rows[k] = __builtin_convertvector(a[k], V);
}

/// One radix-4 decimation-in-frequency butterfly on (a, b, c, d) = z[j + r·m], r = 0…3, with
/// twiddles t = (w1, w2, w3), w_r = e^{−2πi·r·j/(4m)} (NULL: j = 0, all ones). The outputs go to
/// quarters 0, 2, 1, 3 (X[4k], X[4k+2], X[4k+1], X[4k+3]: base-2 bit-reversed order):
/// y0 = (a + c) + (b + d), y1 = w1·((a − c) − i(b − d)), y2 = w2·((a + c) − (b + d)),
/// y3 = w3·((a − c) + i(b − d)).
#define DIF4(ar, ai, br, bi, cr, ci, dr, di, t, o0r, o0i, o1r, o1i, o2r, o2i, o3r, o3i) do {          \
        V t0r = ar + cr, t0i = ai + ci, t1r = ar - cr, t1i = ai - ci;                               \
        V t2r = br + dr, t2i = bi + di, t3r = br - dr, t3i = bi - di;                               \
        V y1r = t1r + t3i, y1i = t1i - t3r, y2r = t0r - t2r, y2i = t0i - t2i;                       \
        V y3r = t1r - t3i, y3i = t1i + t3r;                                                          \
        o0r = t0r + t2r; o0i = t0i + t2i;                                                            \
        if (t) {                                                                                     \
            o2r = y1r * (t)[0] - y1i * (t)[1]; o2i = y1r * (t)[1] + y1i * (t)[0];                   \
            o1r = y2r * (t)[2] - y2i * (t)[3]; o1i = y2r * (t)[3] + y2i * (t)[2];                   \
            o3r = y3r * (t)[4] - y3i * (t)[5]; o3i = y3r * (t)[5] + y3i * (t)[4];                   \
        } else {                                                                                     \
            o2r = y1r; o2i = y1i; o1r = y2r; o1i = y2i; o3r = y3r; o3i = y3i;                        \
        }                                                                                            \
    } while (0)

/// Twiddle table of the radix-4 stage with quarter size m (stages are stored by increasing m,
/// starting at 2 when log2(half) is odd, else 1).
INLINE const double *FN(table)(const cdsp_logmel *p, int m) {
    const double *t = p->twiddles;
    for (int s = p->radix2_first ? 2 : 1; s < m; s *= 4) t += 6 * s;
    return t;
}

/// Windowing fused with the first (widest) radix-4 DIF stage, m = half/4: for each run of
/// LANES/2 consecutive j, four tiles (samples 2j + r·2m) give z[j + r·m] = x[2·] + i·x[2·+1]
/// times the window, straight into the butterflies; outputs are stored in natural runs.
INLINE void FN(load)(const cdsp_logmel *p, const float *const *src, V *re, V *im) {
    const int m = p->half / 4;
    const double *window = p->window, *table = FN(table)(p, m);
    for (int j = 0; j < m; j += LANES / 2) {
        V x[4][LANES];
        for (int r = 0; r < 4; r++) {
            const int i = 2 * (j + r * m);
            FN(tile)(src, i, x[r]);
            for (int k = 0; k < LANES; k++) x[r][k] = x[r][k] * window[i + k];
        }
        for (int u = 0; u < LANES / 2; u++) {
            const int jj = j + u;
            const double *t = jj == 0 ? 0 : table + 6 * jj;
            DIF4(x[0][2 * u], x[0][2 * u + 1], x[1][2 * u], x[1][2 * u + 1],
                 x[2][2 * u], x[2][2 * u + 1], x[3][2 * u], x[3][2 * u + 1], t,
                 re[jj], im[jj], re[jj + m], im[jj + m], re[jj + 2 * m], im[jj + 2 * m],
                 re[jj + 3 * m], im[jj + 3 * m]);
        }
    }
}

/// One radix-4 DIF stage with quarter size m over points [begin, end) (whole groups of 4m).
INLINE void FN(radix4)(V *re, V *im, int begin, int end, int m, const double *table) {
    for (int g = begin; g < end; g += 4 * m) {
        for (int j = 0; j < m; j++) {
            const int i0 = g + j, i1 = i0 + m, i2 = i1 + m, i3 = i2 + m;
            const double *t = j == 0 ? 0 : table + 6 * j;
            DIF4(re[i0], im[i0], re[i1], im[i1], re[i2], im[i2], re[i3], im[i3], t,
                 re[i0], im[i0], re[i1], im[i1], re[i2], im[i2], re[i3], im[i3]);
        }
    }
}

/// The last stages on [begin, end): when log2(half) is odd, radix-4 with m = 2 then radix-2, 8
/// points at a time in registers; else radix-4 with m = 1 (twiddles all 1).
INLINE void FN(last)(const cdsp_logmel *p, V *re, V *im, int begin, int end) {
    if (p->radix2_first) {
        const double *t = p->twiddles + 6;  // m = 2, j = 1
        for (int g = begin; g < end; g += 8) {
            V r[8], i[8];
            DIF4(re[g], im[g], re[g + 2], im[g + 2], re[g + 4], im[g + 4], re[g + 6], im[g + 6], (const double *)0,
                 r[0], i[0], r[2], i[2], r[4], i[4], r[6], i[6]);
            DIF4(re[g + 1], im[g + 1], re[g + 3], im[g + 3], re[g + 5], im[g + 5], re[g + 7], im[g + 7], t,
                 r[1], i[1], r[3], i[3], r[5], i[5], r[7], i[7]);
            for (int k = 0; k < 8; k += 2) {
                re[g + k] = r[k] + r[k + 1]; im[g + k] = i[k] + i[k + 1];
                re[g + k + 1] = r[k] - r[k + 1]; im[g + k + 1] = i[k] - i[k + 1];
            }
        }
    } else {
        for (int g = begin; g < end; g += 4)
            DIF4(re[g], im[g], re[g + 1], im[g + 1], re[g + 2], im[g + 2], re[g + 3], im[g + 3], (const double *)0,
                 re[g], im[g], re[g + 1], im[g + 1], re[g + 2], im[g + 2], re[g + 3], im[g + 3]);
    }
}

/// The DIF stages after the fused first one: wide stages while a group is bigger than
/// `p->chunk`, then chunk by chunk (each chunk stays in L1) every narrower stage. The result,
/// Z[k], is at index bitrev(k).
INLINE void FN(fft)(const cdsp_logmel *p, V *re, V *im) {
    const int half = p->half, chunk = p->chunk, mLast = p->radix2_first ? 2 : 1;
    int m = half / 16;
    for (; 4 * m > chunk && m > mLast; m /= 4) FN(radix4)(re, im, 0, half, m, FN(table)(p, m));
    for (int c = 0; c < half; c += chunk) {
        for (int s = m; s > mLast; s /= 4) FN(radix4)(re, im, c, c + chunk, s, FN(table)(p, s));
        FN(last)(p, re, im, c, c + chunk);
    }
}

/// Real split and power of bins first_bin ..< first_bin + bin_count, as RealFFTDouble.executePower:
/// 2X[k] = (zr + cr) + c·(zi − ci) + s·(cr − zr) + i·[(zi + ci) + c·(cr − zr) − s·(zi − ci)] with
/// (cr, ci) = conj Z[half − k], power = ¼·|2X|²; X[0] = Re Z0 + Im Z0, X[half] = Re Z0 − Im Z0.
INLINE void FN(power)(const cdsp_logmel *p, const V *re, const V *im, V *power) {
    const int half = p->half, first = p->first_bin, end = p->first_bin + p->bin_count;
    const double *cosine = p->split_cos, *sine = p->split_sin;
    const int *at = p->bitrev;  // Z[k] is at at[k]
    if (first == 0) { V r = re[0] + im[0]; power[0] = r * r; }
    if (end == half + 1) { V r = re[0] - im[0]; power[half - first] = r * r; }
    const int lo = first > 1 ? first : 1, hi = end < half ? end : half;
    for (int k = lo; k < hi; k++) {
        V zr = re[at[k]], zi = im[at[k]], cr = re[at[half - k]], ci = -im[at[half - k]];
        V sr = zr + cr, si = zi + ci, dr = zi - ci, di = cr - zr;
        const double c = cosine[k], s = sine[k];
        V xr = sr + c * dr + s * di;
        V xi = si + c * di - s * dr;
        power[k - first] = 0.25 * (xr * xr + xi * xi);
    }
}

/// Each band's run of weights times the power, summed in double.
INLINE void FN(bands)(const cdsp_logmel *p, const V *power, V *mel) {
    for (int b = 0; b < p->band_count; b++) {
        const V *q = power + p->band_first[b];
        const double *w = p->weights + p->band_offset[b];
        const int length = p->band_length[b];
        V sum = {0};
        for (int i = 0; i < length; i++) sum += q[i] * w[i];
        mel[b] = sum;
    }
}

TARGET static void FN(run)(cdsp_logmel *p, const float *const *frames, size_t frame_count,
                           double *out64, float *out32, int decibels, float amin, float scale) {
    V *re = (V *)p->scratch, *im = re + p->half, *power = im + p->half, *mel = power + p->bin_count;
    const int bands = p->band_count;
    for (size_t t0 = 0; t0 < frame_count; t0 += LANES) {
        const size_t valid = frame_count - t0 < LANES ? frame_count - t0 : LANES;
        const float *src[LANES];
        for (size_t l = 0; l < LANES; l++) src[l] = frames[t0 + (l < valid ? l : valid - 1)];
        FN(load)(p, src, re, im);
        // The next block's samples are mostly new (hop < frame): ask for them in L2 now, so the
        // next load does not wait on L3 while this block's FFT runs.
        if (CDSP_PREFETCH && t0 + LANES < frame_count) {
            const size_t next = frame_count - (t0 + LANES) < LANES ? frame_count - (t0 + LANES) : LANES;
            cdsp_prefetch_frames(frames + t0 + LANES, next, src[LANES - 1], p->n);
        }
        FN(fft)(p, re, im);
        FN(power)(p, re, im, power);
        FN(bands)(p, power, mel);
        if (out64) {
            for (size_t l = 0; l < valid; l++) {
                double *row = out64 + (t0 + l) * (size_t)bands;
                for (int b = 0; b < bands; b++) row[b] = mel[b][l];
            }
        } else {
            // Rounded once to float32; then, for decibels, DSP's Decibels.powerToDB:
            // fastLog2(max(x, amin)) · scale.
            VS *row = (VS *)(mel + bands);  // band_count more vectors of scratch
            for (int b = 0; b < bands; b++) {
                VS x = __builtin_convertvector(mel[b], VS);
                if (decibels) x = FN(fastlog2)(__builtin_elementwise_max(x, (VS){0} + amin)) * scale;
                row[b] = x;
            }
            // LANES bands at a time, transposed so each frame's bands are one contiguous store.
            int b = 0;
            for (; b + LANES <= bands; b += LANES) {
                FN(transpose)(row + b);
                for (size_t l = 0; l < valid; l++) *(VF *)(out32 + (t0 + l) * (size_t)bands + b) = row[b + l];
            }
            for (size_t l = 0; l < valid; l++) {
                float *o = out32 + (t0 + l) * (size_t)bands;
                for (int c = b; c < bands; c++) o[c] = row[c][l];
            }
        }
    }
}

#undef INLINE
#undef VF
#undef VS
#undef VU
#undef VI
#undef V
#undef FN
#undef CDSP_CAT
#undef CDSP_CAT_
