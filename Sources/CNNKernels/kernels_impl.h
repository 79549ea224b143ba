// The kernel bodies of CNNKernels, included twice by kernels.c: once with CNN_ATTR =
// target("avx2,fma") and CNN_SUFFIX = _avx2, once plain with CNN_SUFFIX = _portable.
#define CNN_CAT2(a, b) a##b
#define CNN_CAT(a, b) CNN_CAT2(a, b)
#define CNN_FN(name) CNN_CAT(name, CNN_SUFFIX)

CNN_ATTR static void CNN_FN(exp_array)(const float *x, float *y, long n) {
    long i = 0;
    for (; i + 8 <= n; i += 8) cnn_store8(y + i, cnn_exp8(cnn_load8(x + i)));
    if (i < n) {
        float tail[8] = {0};
        for (long j = i; j < n; j++) tail[j - i] = x[j];
        v8f e = cnn_exp8(cnn_load8(tail));
        for (long j = i; j < n; j++) y[j] = e[j - i];
    }
}

CNN_ATTR static void CNN_FN(gelu_erf)(float *x, long n) {
    long i = 0;
    for (; i + 8 <= n; i += 8) cnn_store8(x + i, cnn_gelu_erf8(cnn_load8(x + i)));
    if (i < n) {
        float tail[8] = {0};
        for (long j = i; j < n; j++) tail[j - i] = x[j];
        v8f g = cnn_gelu_erf8(cnn_load8(tail));
        for (long j = i; j < n; j++) x[j] = g[j - i];
    }
}

/// One row: s = s + add (+ mask), then softmax(s) in place. Lanes past `n` are padded with −inf
/// (exp gives 0), so any width takes the vector path.
CNN_ATTR static void CNN_FN(softmax_row)(float *restrict s, long n, const float *restrict add, const float *restrict mask) {
    if (add) for (long j = 0; j < n; j++) s[j] = s[j] + add[j];
    if (mask) for (long j = 0; j < n; j++) s[j] = s[j] + mask[j];
    long full = n & ~7L;
    v8f m = cnn_splat8(-INFINITY);
    for (long j = 0; j < full; j += 8) m = cnn_max8(m, cnn_load8(s + j));
    float tail[8];
    if (full < n) {
        for (int l = 0; l < 8; l++) tail[l] = full + l < n ? s[full + l] : -INFINITY;
        m = cnn_max8(m, cnn_load8(tail));
    }
    v8f maximum = cnn_splat8(cnn_hmax8(m));
    v8f total = cnn_splat8(0.0f);
    for (long j = 0; j < full; j += 8) {
        v8f e = cnn_exp8(cnn_load8(s + j) - maximum);
        cnn_store8(s + j, e);
        total = total + e;
    }
    if (full < n) {
        v8f e = cnn_exp8(cnn_load8(tail) - maximum);
        total = total + e;
        for (long j = full; j < n; j++) s[j] = e[j - full];
    }
    v8f inverse = cnn_splat8(1.0f / cnn_hsum8(total));
    for (long j = 0; j < full; j += 8) cnn_store8(s + j, cnn_load8(s + j) * inverse);
    for (long j = full; j < n; j++) s[j] = s[j] * inverse[0];
}

CNN_ATTR static void CNN_FN(softmax_rows)(float *x, long rows, long columns, const float *add, const float *mask) {
    for (long r = 0; r < rows; r++)
        CNN_FN(softmax_row)(x + r * columns, columns, add ? add + r * columns : 0, mask ? mask + r * columns : 0);
}

/// One head of one window, any shape: s[j] = Σ_e (q[e]·scale)·k[j][e] (e in order, keys transposed
/// into `kt` [dim × tokens] so the inner loop runs along tokens), softmax with bias and mask, o = p·v.
CNN_ATTR static void CNN_FN(attention_head)(const float *restrict q, const float *restrict k, const float *restrict v,
                                             long ld, long tokens, long dim, const float *restrict bias,
                                             const float *restrict mask, float scale, float *restrict out, long ldo,
                                             float *restrict scratch) {
    float *restrict kt = scratch;                 // [dim × tokens]
    float *restrict s = kt + dim * tokens;        // [tokens]
    float *restrict qs = s + tokens;              // [dim]
    float *restrict o = qs + dim;                 // [dim]
    for (long j = 0; j < tokens; j++)
        for (long e = 0; e < dim; e++) kt[e * tokens + j] = k[j * ld + e];
    for (long i = 0; i < tokens; i++) {
        for (long e = 0; e < dim; e++) qs[e] = q[i * ld + e] * scale;
        for (long j = 0; j < tokens; j++) s[j] = 0;
        for (long e = 0; e < dim; e++) {
            float qe = qs[e];
            const float *restrict row = kt + e * tokens;
            for (long j = 0; j < tokens; j++) s[j] += qe * row[j];
        }
        CNN_FN(softmax_row)(s, tokens, bias + i * tokens, mask ? mask + i * tokens : 0);
        for (long e = 0; e < dim; e++) o[e] = 0;
        for (long j = 0; j < tokens; j++) {
            float p = s[j];
            const float *restrict vj = v + j * ld;
            for (long e = 0; e < dim; e++) o[e] += p * vj[e];
        }
        for (long e = 0; e < dim; e++) out[i * ldo + e] = o[e];
    }
}

/// The same computation for tokens and dim multiples of 8 (at most 64 each), kept in registers:
/// a query row's scores live in tokens/8 vector accumulators, the bias and mask are added, the
/// maximum, exp and sum are taken there, and the probabilities are stored once; o = p·v in dim/8
/// accumulators for even and for odd j, added at the end (so not the order of `attention_head`).
#define CNN_ATTENTION_TILED(NAME, TOKENS, DIM)                                                          \
CNN_ATTR static void CNN_FN(NAME)(const float *restrict q, const float *restrict k, const float *restrict v,  \
                                  long ld, const float *restrict bias, const float *restrict mask,        \
                                  float scale, float *restrict out, long ldo, float *restrict scratch) {  \
    enum { TB = (TOKENS) / 8, DB = (DIM) / 8 };                                                         \
    float *restrict kt = scratch;                 /* [DIM × TOKENS] */                                  \
    float *restrict s = kt + (DIM) * (TOKENS);    /* [TOKENS] */                                        \
    for (long j = 0; j < (TOKENS); j++)                                                                 \
        for (long e = 0; e < (DIM); e++) kt[e * (TOKENS) + j] = k[j * ld + e];                          \
    for (long i = 0; i < (TOKENS); i++) {                                                               \
        v8f acc[TB];                                                                                    \
        for (int b = 0; b < TB; b++) acc[b] = cnn_splat8(0.0f);                                         \
        const float *qi = q + i * ld;                                                                   \
        for (long e = 0; e < (DIM); e++) {                                                              \
            v8f qe = cnn_splat8(qi[e] * scale);                                                         \
            for (int b = 0; b < TB; b++) acc[b] += qe * cnn_load8(kt + e * (TOKENS) + 8 * b);           \
        }                                                                                               \
        const float *bi = bias + i * (TOKENS);                                                          \
        for (int b = 0; b < TB; b++) acc[b] = acc[b] + cnn_load8(bi + 8 * b);                           \
        if (mask) {                                                                                     \
            const float *mi = mask + i * (TOKENS);                                                      \
            for (int b = 0; b < TB; b++) acc[b] = acc[b] + cnn_load8(mi + 8 * b);                       \
        }                                                                                               \
        v8f m = acc[0];                                                                                 \
        for (int b = 1; b < TB; b++) m = cnn_max8(m, acc[b]);                                           \
        v8f maximum = cnn_splat8(cnn_hmax8(m));                                                         \
        v8f total = cnn_splat8(0.0f);                                                                   \
        for (int b = 0; b < TB; b++) { acc[b] = cnn_exp8(acc[b] - maximum); total = total + acc[b]; }   \
        v8f inverse = cnn_splat8(1.0f / cnn_hsum8(total));                                              \
        for (int b = 0; b < TB; b++) cnn_store8(s + 8 * b, acc[b] * inverse);                           \
        v8f o[DB], o2[DB];           /* even and odd j: two dependency chains per accumulator */      \
        for (int b = 0; b < DB; b++) { o[b] = cnn_splat8(0.0f); o2[b] = cnn_splat8(0.0f); }             \
        for (long j = 0; j < (TOKENS); j += 2) {                                                        \
            v8f p = cnn_splat8(s[j]), p2 = cnn_splat8(s[j + 1]);                                        \
            for (int b = 0; b < DB; b++) {                                                              \
                o[b] += p * cnn_load8(v + j * ld + 8 * b);                                              \
                o2[b] += p2 * cnn_load8(v + (j + 1) * ld + 8 * b);                                      \
            }                                                                                           \
        }                                                                                               \
        for (int b = 0; b < DB; b++) cnn_store8(out + i * ldo + 8 * b, o[b] + o2[b]);                   \
    }                                                                                                   \
}
CNN_ATTENTION_TILED(attention_64x24, 64, 24)
CNN_ATTENTION_TILED(attention_64x32, 64, 32)
CNN_ATTENTION_TILED(attention_64x8, 64, 8)

CNN_ATTR static void CNN_FN(window_attention)(const float *qkv, long windows, long tokens, long heads, long dim,
                                               const float *bias, const float *mask, float scale, float *context,
                                               float *scratch) {
    long c = heads * dim, ld = 3 * c, tt = tokens * tokens;
    for (long w = 0; w < windows; w++) {
        const float *base = qkv + w * tokens * ld;
        const float *mw = mask ? mask + w * tt : 0;
        float *cw = context + w * tokens * c;
        for (long h = 0; h < heads; h++) {
            const float *q = base + h * dim, *k = base + c + h * dim, *v = base + 2 * c + h * dim;
            const float *bh = bias + h * tt;
            float *oh = cw + h * dim;
            if (tokens == 64 && dim == 24)        // HTSAT-tiny
                CNN_FN(attention_64x24)(q, k, v, ld, bh, mw, scale, oh, c, scratch);
            else if (tokens == 64 && dim == 32)   // HTSAT-base
                CNN_FN(attention_64x32)(q, k, v, ld, bh, mw, scale, oh, c, scratch);
            else if (tokens == 64 && dim == 8)    // the base-shaped test model
                CNN_FN(attention_64x8)(q, k, v, ld, bh, mw, scale, oh, c, scratch);
            else
                CNN_FN(attention_head)(q, k, v, ld, tokens, dim, bh, mw, scale, oh, c, scratch);
        }
    }
}

CNN_ATTR static void CNN_FN(layer_norm)(float *x, long rows, long dim, const float *weight, const float *bias,
                                         float epsilon) {
    long full = dim & ~3L;
    for (long r = 0; r < rows; r++) {
        float *row = x + r * dim;
        v4d acc = {0, 0, 0, 0};
        for (long j = 0; j < full; j += 4) {
            v4f f; memcpy(&f, row + j, sizeof f);
            acc = acc + __builtin_convertvector(f, v4d);
        }
        double total = (acc[0] + acc[2]) + (acc[1] + acc[3]);
        for (long j = full; j < dim; j++) total += (double)row[j];
        double mean = total / (double)dim;
        v4d mv = {mean, mean, mean, mean};
        v4d sq = {0, 0, 0, 0};
        for (long j = 0; j < full; j += 4) {
            v4f f; memcpy(&f, row + j, sizeof f);
            v4d cdev = __builtin_convertvector(f, v4d) - mv;
            sq = sq + cdev * cdev;
        }
        double variance = (sq[0] + sq[2]) + (sq[1] + sq[3]);
        for (long j = full; j < dim; j++) { double cdev = (double)row[j] - mean; variance += cdev * cdev; }
        variance /= (double)dim;   // biased, as torch.nn.LayerNorm
        double inverse = 1.0 / sqrt(variance + (double)epsilon);
        v4d iv = {inverse, inverse, inverse, inverse};
        for (long j = 0; j < full; j += 4) {
            v4f f, wf, bf;
            memcpy(&f, row + j, sizeof f); memcpy(&wf, weight + j, sizeof wf); memcpy(&bf, bias + j, sizeof bf);
            v4d y = (__builtin_convertvector(f, v4d) - mv) * iv * __builtin_convertvector(wf, v4d)
                    + __builtin_convertvector(bf, v4d);
            v4f out = __builtin_convertvector(y, v4f);
            memcpy(row + j, &out, sizeof out);
        }
        for (long j = full; j < dim; j++)
            row[j] = (float)(((double)row[j] - mean) * inverse * (double)weight[j] + (double)bias[j]);
    }
}

#undef CNN_FN
