// Hot loops of the HTSAT encoder that Swift compiled for baseline x86-64 (SSE2, no FMA) cannot
// vectorise well. Every kernel exists twice from one source: an AVX2+FMA build chosen at run time
// when the CPU has both, and a portable build. The last argument `portable` != 0 forces the
// portable one (per call, so tests check both against their slow Swift twins in NNReference without
// touching other callers). Single-threaded, stateless, deterministic: the same inputs give the same
// bits on the same build.
#ifndef CNN_KERNELS_H
#define CNN_KERNELS_H

#ifdef __cplusplus
extern "C" {
#endif

/// 1 when this CPU runs the AVX2+FMA build (calls with portable = 0), else 0.
int cnn_has_avx2(void);

/// y[i] = exp(x[i]), Cephes-style polynomial (max error about 1 ulp for normal results; results
/// below FLT_MIN are subnormal or 0; exp(x > 88.7228) = +inf; NaN stays NaN). x and y may alias.
void cnn_exp(const float *x, float *y, long n, int portable);

/// x[i] = 0.5·x[i]·(1 + erf(x[i]/√2)) in place (the exact-erf GELU of HTSAT's Mlp and RoBERTa), erf by
/// a rational minimax approximation within 4e-7 absolute (NN's `Activation.fastErf`).
void cnn_gelu_erf(float *x, long n, int portable);

/// softmax(x_row + add_row (+ mask_row)) in place over `rows` rows of `columns` values:
/// `add` [rows × columns] (may be NULL), `mask` [rows × columns] (may be NULL), added in that order.
void cnn_softmax_rows(float *x, long rows, long columns, const float *add, const float *mask, int portable);

/// Multi-head attention inside `windows` windows of `tokens` tokens (HTSAT WindowAttention.forward
/// between qkv and proj). `qkv` [windows·tokens × 3·heads·dim] ([q | k | v], heads contiguous within
/// each); `bias` [heads × tokens × tokens]; `mask` [windows × tokens × tokens] or NULL;
/// `context` [windows·tokens × heads·dim] receives softmax(q·scale·kᵀ + bias + mask)·v.
/// `scratch` holds at least cnn_window_attention_scratch(tokens, dim) floats.
long cnn_window_attention_scratch(long tokens, long dim);
void cnn_window_attention(const float *qkv, long windows, long tokens, long heads, long dim,
                          const float *bias, const float *mask, float scale, float *context, float *scratch,
                          int portable);

/// torch.nn.LayerNorm over rows of `dim` values in place; mean and variance accumulated in double.
void cnn_layer_norm(float *x, long rows, long dim, const float *weight, const float *bias, float epsilon,
                    int portable);

#ifdef __cplusplus
}
#endif
#endif
