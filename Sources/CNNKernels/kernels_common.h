// Shared helpers of CNNKernels (see kernels.c): eight-lane vector-extension code with no target
// attribute, always inlined, so each caller compiles it for its own instruction set.
#ifndef CNN_KERNELS_COMMON_H
#define CNN_KERNELS_COMMON_H

#include <math.h>
#include <string.h>

typedef float v8f __attribute__((vector_size(32)));
typedef int v8i __attribute__((vector_size(32)));
typedef double v4d __attribute__((vector_size(32)));
typedef float v4f __attribute__((vector_size(16)));

// Helpers are macros, not functions: clang refuses to pass 32-byte vectors by value between a
// target("avx2") function and an untargeted one, even when the callee would be inlined.
#define cnn_load8(p) ({ v8f v_; memcpy(&v_, (p), sizeof v_); v_; })
#define cnn_store8(p, v) do { v8f s_ = (v); memcpy((p), &s_, sizeof s_); } while (0)
#define cnn_splat8(x) ((v8f){(x), (x), (x), (x), (x), (x), (x), (x)})
#define cnn_select8(m, a, b) ((v8f)(((v8i)(m) & (v8i)(a)) | (~(v8i)(m) & (v8i)(b))))
#define cnn_max8(a, b) ({ v8f a_ = (a), b_ = (b); cnn_select8(a_ > b_, a_, b_); })

/// exp over eight lanes, the Cephes `expf` scheme: n = round(x·log₂e) by the 1.5·2²³ trick,
/// r = x − n·ln2 with ln2 split in two (C1 has 9 significant bits, so n·C1 is exact),
/// e^r ≈ 1 + r + r²·P(r) with Cephes' degree-5 minimax P, then ·2ⁿ built from exponent bits in two
/// factors (n/2 and n − n/2) so n = 128 needs no special case. Lanes above ln(FLT_MAX) give +inf;
/// lanes below ln(FLT_MIN) = −87.3365 give 0 instead of a subnormal (absolute error < FLT_MIN):
/// the −100 attention mask would otherwise feed subnormals into the products after the softmax,
/// which cost a microcode assist each. NaN propagates through the arithmetic.
#define cnn_exp8(input) ({                                                                          \
    v8f x_ = (input);                                                                               \
    const v8f hi_ = cnn_splat8(88.72283935546875f), lo_ = cnn_splat8(-87.33654022216796875f);       \
    v8i over_ = x_ > hi_, under_ = x_ < lo_;                                                        \
    v8f xc_ = cnn_select8(over_, hi_, x_);                                                          \
    xc_ = cnn_select8(under_, lo_, xc_);                                                            \
    const v8f magic_ = cnn_splat8(12582912.0f);                                                     \
    v8f nf_ = (xc_ * cnn_splat8(1.44269504088896341f) + magic_) - magic_;                           \
    v8f r_ = xc_ - nf_ * cnn_splat8(0.693359375f);                                                  \
    r_ = r_ - nf_ * cnn_splat8(-2.12194440e-4f);                                                    \
    v8f p_ = cnn_splat8(1.9875691500e-4f);                                                          \
    p_ = p_ * r_ + cnn_splat8(1.3981999507e-3f);                                                    \
    p_ = p_ * r_ + cnn_splat8(8.3334519073e-3f);                                                    \
    p_ = p_ * r_ + cnn_splat8(4.1665795894e-2f);                                                    \
    p_ = p_ * r_ + cnn_splat8(1.6666665459e-1f);                                                    \
    p_ = p_ * r_ + cnn_splat8(5.0000001201e-1f);                                                    \
    v8f y_ = p_ * (r_ * r_);                                                                        \
    y_ = y_ + r_;                                                                                   \
    y_ = y_ + cnn_splat8(1.0f);                                                                     \
    v8i n_ = __builtin_convertvector(nf_, v8i);                                                     \
    v8i n1_ = n_ >> 1, n2_ = n_ - n1_;                                                              \
    y_ = y_ * (v8f)((n1_ + 127) << 23) * (v8f)((n2_ + 127) << 23);                                  \
    y_ = cnn_select8(over_, cnn_splat8(INFINITY), y_);                                              \
    cnn_select8(under_, cnn_splat8(0.0f), y_); })

#define cnn_hmax8(v) ({ v8f h_ = (v); float m_ = h_[0];                                           \
    for (int i_ = 1; i_ < 8; i_++) m_ = h_[i_] > m_ ? h_[i_] : m_; m_; })

/// Lane sum in a fixed order ((0+4)+(2+6)) + ((1+5)+(3+7)), the same on every path.
#define cnn_hsum8(v) ({ v8f h_ = (v); ((h_[0] + h_[4]) + (h_[2] + h_[6])) + ((h_[1] + h_[5]) + (h_[3] + h_[7])); })

/// GELU(x) = 0.5·x·(1 + erf(x/√2)) over eight lanes, erf as `x·P(x²)/Q(x²)` on x clamped to [−4, 4]
/// with the single-precision minimax set of NN's `Activation.fastErf` (Eigen's
/// `generic_fast_erf_float`). NaN propagates (the clamp keeps it: both comparisons are false).
#define cnn_gelu_erf8(input) ({                                                                     \
    v8f v_ = (input);                                                                               \
    v8f x_ = v_ * cnn_splat8(0.7071067811865475f);                                                  \
    x_ = cnn_select8(x_ > cnn_splat8(4.0f), cnn_splat8(4.0f), x_);                                  \
    x_ = cnn_select8(x_ < cnn_splat8(-4.0f), cnn_splat8(-4.0f), x_);                                \
    v8f x2_ = x_ * x_;                                                                              \
    v8f p_ = cnn_splat8(-2.72614225801306e-10f);                                                    \
    p_ = p_ * x2_ + cnn_splat8(2.77068142495902e-08f);                                              \
    p_ = p_ * x2_ - cnn_splat8(2.10102402082508e-06f);                                              \
    p_ = p_ * x2_ - cnn_splat8(5.69250639462346e-05f);                                              \
    p_ = p_ * x2_ - cnn_splat8(7.34990630326855e-04f);                                              \
    p_ = p_ * x2_ - cnn_splat8(2.95459980854025e-03f);                                              \
    p_ = p_ * x2_ - cnn_splat8(1.60960333262415e-02f);                                              \
    p_ = p_ * x_;                                                                                   \
    v8f q_ = cnn_splat8(-1.45660718464996e-05f);                                                    \
    q_ = q_ * x2_ - cnn_splat8(2.13374055278905e-04f);                                              \
    q_ = q_ * x2_ - cnn_splat8(1.68282697438203e-03f);                                              \
    q_ = q_ * x2_ - cnn_splat8(7.37332916720468e-03f);                                              \
    q_ = q_ * x2_ - cnn_splat8(1.42647390514189e-02f);                                              \
    cnn_splat8(0.5f) * v_ * (cnn_splat8(1.0f) + p_ / q_); })

#endif
