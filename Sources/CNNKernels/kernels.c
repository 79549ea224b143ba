// CNNKernels: two builds of kernels_impl.h (AVX2+FMA and portable) and a run-time switch between
// them. See include/CNNKernels.h.
#include "CNNKernels.h"
#pragma clang diagnostic ignored "-Wpsabi"
#include "kernels_common.h"

#define CNN_ATTR __attribute__((target("avx2,fma")))
#define CNN_SUFFIX _avx2
#include "kernels_impl.h"
#undef CNN_ATTR
#undef CNN_SUFFIX

#define CNN_ATTR
#define CNN_SUFFIX _portable
#include "kernels_impl.h"
#undef CNN_ATTR
#undef CNN_SUFFIX

static int cnn_cpu_has_avx2(void) {
#if defined(__x86_64__) || defined(__i386__)
    static int cached = -1;   // benign race: every thread computes the same value
    int known = __atomic_load_n(&cached, __ATOMIC_RELAXED);
    if (known < 0) {
        __builtin_cpu_init();
        known = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
        __atomic_store_n(&cached, known, __ATOMIC_RELAXED);
    }
    return known;
#else
    return 0;
#endif
}

int cnn_has_avx2(void) { return cnn_cpu_has_avx2(); }

#define CNN_AVX2(portable) (!(portable) && cnn_cpu_has_avx2())

void cnn_exp(const float *x, float *y, long n, int portable) {
    if (CNN_AVX2(portable)) exp_array_avx2(x, y, n); else exp_array_portable(x, y, n);
}

void cnn_gelu_erf(float *x, long n, int portable) {
    if (CNN_AVX2(portable)) gelu_erf_avx2(x, n); else gelu_erf_portable(x, n);
}

void cnn_softmax_rows(float *x, long rows, long columns, const float *add, const float *mask, int portable) {
    if (CNN_AVX2(portable)) softmax_rows_avx2(x, rows, columns, add, mask);
    else softmax_rows_portable(x, rows, columns, add, mask);
}

long cnn_window_attention_scratch(long tokens, long dim) { return dim * tokens + tokens + 2 * dim + 8; }

void cnn_window_attention(const float *qkv, long windows, long tokens, long heads, long dim, const float *bias,
                          const float *mask, float scale, float *context, float *scratch, int portable) {
    if (CNN_AVX2(portable)) window_attention_avx2(qkv, windows, tokens, heads, dim, bias, mask, scale, context, scratch);
    else window_attention_portable(qkv, windows, tokens, heads, dim, bias, mask, scale, context, scratch);
}

void cnn_layer_norm(float *x, long rows, long dim, const float *weight, const float *bias, float epsilon, int portable) {
    if (CNN_AVX2(portable)) layer_norm_avx2(x, rows, dim, weight, bias, epsilon);
    else layer_norm_portable(x, rows, dim, weight, bias, epsilon);
}
