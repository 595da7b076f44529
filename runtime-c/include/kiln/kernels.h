/*
 * Kiln micro-kernels: the hand-written loops generated code calls for the operators that dominate
 * run time (GEMM, convolution, depthwise convolution, pooling and their int8 forms).
 *
 * Freestanding: the kernels include only <stdbool.h>, <stddef.h> and <stdint.h> (and the
 * compiler's <arm_acle.h> on Arm cores with the DSP extension, for SMLAD in the int8 kernels),
 * call nothing from libc, allocate nothing (small rows on the stack; the GEMM-based kernels pack
 * into the caller's kiln_exec_t scratch), keep no global or static state and are reentrant. A
 * compiler may still call its own runtime helpers (libgcc or compiler-rt, e.g. integer division
 * on ARM cores without a divide instruction) or turn a loop into memset or memcpy, which
 * freestanding environments provide.
 *
 * Calling convention: each kernel takes its shapes and scalars as a pointer to a const params
 * struct, then its buffers. Params use fixed-width integers only (no enums, no pointers), so the
 * LLVM backend can emit them as constant structs, and LLVM can inline a kernel and specialize it
 * on those constants.
 *
 * Layout: every tensor is dense and row-major; images are NCHW; convolution weights are
 * [out_channels][in_channels / groups][kernel_h][kernel_w] (ONNX's OIHW). Matrices take a
 * leading dimension (elements between consecutive rows) as in BLAS.
 *
 * Alignment: each buffer is aligned to its element type; nothing more is assumed.
 *
 * Aliasing: every buffer argument is restrict-qualified: an output must not overlap any input,
 * the residual included, and no element of an input may be written through another argument.
 * Optional buffers (bias, residual) are NULL when absent.
 *
 * Sizes: every dimension and count is a non-negative int32_t, every offset into a buffer fits
 * ptrdiff_t, and params are consistent with the buffers (the kernels trust them, as generated
 * code has checked them at compile time). Zero-sized dimensions are allowed and write nothing.
 *
 * Epilogue: the float kernels finish every output element y (the accumulated sum) as
 *   y = y + bias[channel]                          (when bias is not NULL)
 *   y = y + residual[i]   (residual_after_activation == 0, when residual is not NULL)
 *   y = activation(y)
 *   y = y + residual[i]   (residual_after_activation != 0, when residual is not NULL)
 * where residual has the output's shape and layout. Activations are those needing no libm:
 * none, relu, clip(min, max) (relu6 is clip(0, 6)), leaky_relu(alpha), leaky_relu_max(alpha,
 * min) and hard_swish. NaN propagates through all of them. Activations that need exp, tanh or erf (sigmoid, tanh, swish, gelu, ...) are not
 * fused here: generated code applies them in the loop nest that follows, where the target's libm
 * or Kiln's own polynomial approximations are available.
 */
#ifndef KILN_KERNELS_H
#define KILN_KERNELS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kiln/runtime.h"

#ifdef __cplusplus
extern "C" {
#define KILN_RESTRICT
#else
#define KILN_RESTRICT restrict
#endif

/* Values of kiln_epilogue_t.activation. */
#define KILN_ACT_NONE 0
#define KILN_ACT_RELU 1       /* max(y, 0) */
#define KILN_ACT_CLIP 2       /* min(max(y, min), max); relu6 is clip(0, 6) */
#define KILN_ACT_LEAKY_RELU 3 /* y < 0 ? alpha * y : y */
#define KILN_ACT_LEAKY_RELU_MAX 4 /* leaky_relu(y), then max with min: relu, leaky relu or the
                                     identity (alpha 0, alpha, 1) followed by max(y, c) */
#define KILN_ACT_HARD_SWISH 5     /* y * clamp(y / 6 + 0.5, 0, 1) */

/* What happens to each output element after accumulation (see the header comment). */
typedef struct kiln_epilogue {
  int32_t activation;                /* a KILN_ACT_* value */
  int32_t residual_after_activation; /* nonzero: add the residual after the activation */
  float alpha;                       /* leaky_relu slope */
  float min;                         /* clip lower bound; the floor of leaky_relu_max */
  float max;                         /* clip upper bound */
} kiln_epilogue_t;

/*
 * How a heavy kernel may run: on a thread pool, with per-thread scratch. Kernels that take one cut
 * their work into at most pool->num_threads chunks (one when pool is NULL or has no parallel_for);
 * chunk i uses the bytes at scratch + i * scratch_stride, a 64-byte aligned slot at least as large
 * as the kernel's *_scratch_size function says. Generated code passes one kiln_exec_t to every call
 * of a run. The result never depends on the thread count. accel is the run's accelerator hook table
 * (kiln/accel.h), NULL for none; the kernels themselves never read it.
 */
typedef struct kiln_exec {
  const kiln_thread_pool_t *pool;
  void *scratch;
  int64_t scratch_stride;
  const struct kiln_accel *accel;
} kiln_exec_t;

/* Values of the packed field: which operands the compiler packed ahead of time. */
#define KILN_PACKED_A 1 /* A is [ceil(m / mr)][k][mr] panels, zero-padded (no trans_a) */
#define KILN_PACKED_B 2 /* B is [ceil(n / nr)][k][nr] panels, zero-padded (no trans_b) */

/*
 * C = epilogue(alpha * op(A) . op(B) + beta * bias), C is m x n, op(A) is m x k, op(B) is k x n.
 * op(A) = A (m x k, row i at A + i * lda) or, when trans_a, A^T (A is k x m, row p at A + p * lda);
 * likewise B with trans_b and ldb. Row i of C is at C + i * ldc, of residual at residual + i * ldr.
 * bias is broadcast through its two strides: element (i, j) is bias[i * bias_stride_m + j *
 * bias_stride_n], so (0, 1) is one value per column (a fully connected layer), (1, 0) one per
 * row, (0, 0) a scalar and (n, 1) a full matrix (ONNX Gemm's C). The epilogue's bias step is
 * this beta * bias term.
 *
 * packed (KILN_PACKED_*) says which operands are already in the micro-kernel's panel layout, with
 * the register block mr x nr of kiln_gemm_f32_block(); lda/ldb and trans_a/trans_b of a packed
 * operand are ignored. mc, nc and kc are the cache blocks (rows, columns and reduction per packed
 * block; 0 picks a default). The sum for each element is the same for every thread count.
 */
typedef struct kiln_gemm_f32_params {
  int32_t m, n, k;
  int32_t trans_a, trans_b;
  int32_t lda, ldb, ldc, ldr;
  int32_t bias_stride_m, bias_stride_n;
  float alpha, beta;
  int32_t packed;
  int32_t mc, nc, kc;
  kiln_epilogue_t epilogue;
} kiln_gemm_f32_params_t;

void kiln_gemm_f32(const kiln_gemm_f32_params_t *p, const float *KILN_RESTRICT a,
                   const float *KILN_RESTRICT b, const float *KILN_RESTRICT bias,
                   const float *KILN_RESTRICT residual, float *KILN_RESTRICT c,
                   const kiln_exec_t *exec);

/* Bytes of per-thread scratch kiln_gemm_f32 needs with p. */
int64_t kiln_gemm_f32_scratch_size(const kiln_gemm_f32_params_t *p);

/* The register block this build's micro-kernel uses: rows (mr) and columns (nr) of a packed panel. */
void kiln_gemm_f32_block(int32_t *mr, int32_t *nr);

/*
 * 2-D convolution (ONNX Conv, auto_pad resolved): x is [batch][in_channels][in_h][in_w], w is
 * [out_channels][in_channels / groups][kernel_h][kernel_w], y and residual are
 * [batch][out_channels][out_h][out_w], bias is [out_channels]. Output (oh, ow) reads input rows
 * oh * stride_h - pad_top + kh * dilation_h and columns ow * stride_w - pad_left + kw * dilation_w;
 * positions outside the input read zero, so the bottom and right padding follow from out_h and
 * out_w. in_channels and out_channels are multiples of groups.
 *
 * Each group is a GEMM: weights (group_out x group_in * kernel_h * kernel_w) times the image's
 * im2col matrix, which is never built. packed = KILN_PACKED_A says w holds each group's weights
 * in the GEMM's panel layout, group after group; mc, nc, kc are the GEMM's cache blocks.
 */
typedef struct kiln_conv2d_f32_params {
  int32_t batch;
  int32_t in_channels, in_h, in_w;
  int32_t out_channels, out_h, out_w;
  int32_t kernel_h, kernel_w;
  int32_t stride_h, stride_w;
  int32_t pad_top, pad_left;
  int32_t dilation_h, dilation_w;
  int32_t groups;
  int32_t packed;
  int32_t mc, nc, kc;
  kiln_epilogue_t epilogue;
} kiln_conv2d_f32_params_t;

void kiln_conv2d_f32(const kiln_conv2d_f32_params_t *p, const float *KILN_RESTRICT x,
                     const float *KILN_RESTRICT w, const float *KILN_RESTRICT bias,
                     const float *KILN_RESTRICT residual, float *KILN_RESTRICT y,
                     const kiln_exec_t *exec);

/* Bytes of per-thread scratch kiln_conv2d_f32 needs with p. */
int64_t kiln_conv2d_f32_scratch_size(const kiln_conv2d_f32_params_t *p);

/* Transform positions of kiln_conv2d_winograd_f32: F(4x4, 3x3) works on 6 x 6 input tiles. */
#define KILN_WINOGRAD_POSITIONS 36

/*
 * 3x3 convolution with stride 1, dilation 1 and one group by Winograd's F(4x4, 3x3): x, y,
 * residual and bias as in kiln_conv2d_f32; positions outside the input read zero. The output is
 * cut into 4 x 4 tiles (the last row and column of tiles cut short when out_h or out_w is not a
 * multiple of 4); tile (th, tw) reads the 6 x 6 input patch d at rows 4 * th - pad_top + [0, 6)
 * and columns 4 * tw - pad_left + [0, 6), and gives A^T [U . (B^T d B)] A summed over input
 * channels, where . is the element-wise product at each of the 36 transform positions and U =
 * G g G^T is the transformed 3x3 kernel g (the matrices of Lavin and Gray, "Fast Algorithms for
 * Convolutional Neural Networks", 2016, with points 0, +-1, +-2).
 *
 * w holds U, transformed and packed by the compiler: for each position xi = 6 * a + b (row a,
 * column b of U), the out_channels x in_channels matrix U[xi] in the GEMM's A panel layout
 * ([ceil(out_channels / mr)][in_channels][mr], zero-padded; mr from kiln_gemm_f32_block), position
 * after position. Each block of nr tiles (one B panel) is transformed into the scratch, multiplied
 * by the 36 matrices with the packed GEMM (mc and kc its cache blocks, 0 for the default) and
 * transformed back with the epilogue. The error is that of a 3x3 convolution with sums about 10x
 * larger in magnitude (the transforms' coefficients): relative errors around 1e-5 rather than
 * 1e-6 for f32 data of one sign. The result is the same for every thread count.
 */
typedef struct kiln_conv2d_winograd_f32_params {
  int32_t batch;
  int32_t in_channels, in_h, in_w;
  int32_t out_channels, out_h, out_w;
  int32_t pad_top, pad_left;
  int32_t mc, kc;
  kiln_epilogue_t epilogue;
} kiln_conv2d_winograd_f32_params_t;

void kiln_conv2d_winograd_f32(const kiln_conv2d_winograd_f32_params_t *p,
                              const float *KILN_RESTRICT x, const float *KILN_RESTRICT w,
                              const float *KILN_RESTRICT bias, const float *KILN_RESTRICT residual,
                              float *KILN_RESTRICT y, const kiln_exec_t *exec);

/* Bytes of per-thread scratch kiln_conv2d_winograd_f32 needs with p. */
int64_t kiln_conv2d_winograd_f32_scratch_size(const kiln_conv2d_winograd_f32_params_t *p);

/*
 * Depthwise convolution: a convolution with groups == channels and out_channels == channels *
 * multiplier. Output channel c * multiplier + j reads input channel c only. x is
 * [batch][channels][in_h][in_w], w is [channels * multiplier][1][kernel_h][kernel_w], y and
 * residual are [batch][channels * multiplier][out_h][out_w], bias is [channels * multiplier].
 * Windows and padding as in kiln_conv2d_f32.
 *
 * Square 3x3 and 5x5 kernels with stride_w 1 or 2 and no dilation run vectorized along the output
 * rows (interior columns in vectors, padded borders one column at a time); other shapes run a
 * direct convolution. exec's pool gets the output rows of all planes cut into one chunk per thread
 * (no scratch: scratch_stride may be 0); every element is computed the same way for every thread
 * count. exec may be NULL (one thread).
 */
typedef struct kiln_depthwise_conv2d_f32_params {
  int32_t batch;
  int32_t channels, in_h, in_w;
  int32_t multiplier, out_h, out_w;
  int32_t kernel_h, kernel_w;
  int32_t stride_h, stride_w;
  int32_t pad_top, pad_left;
  int32_t dilation_h, dilation_w;
  kiln_epilogue_t epilogue;
} kiln_depthwise_conv2d_f32_params_t;

void kiln_depthwise_conv2d_f32(const kiln_depthwise_conv2d_f32_params_t *p,
                               const float *KILN_RESTRICT x, const float *KILN_RESTRICT w,
                               const float *KILN_RESTRICT bias, const float *KILN_RESTRICT residual,
                               float *KILN_RESTRICT y, const kiln_exec_t *exec);

/*
 * 2-D pooling over x [batch][channels][in_h][in_w] into y [batch][channels][out_h][out_w].
 * Windows are placed as in kiln_conv2d_f32. pad_bottom and pad_right matter only to average
 * pooling with count_include_pad: its divisor counts the window positions inside the input or
 * inside the explicit padding (positions beyond the padding, as ceil_mode produces, never count);
 * without count_include_pad the divisor is the number of positions inside the input. Max pooling
 * ignores positions outside the input and propagates NaN; a window with no position inside the
 * input gives -infinity (max) or NaN (average without count_include_pad, 0 / 0). The epilogue's
 * bias is per channel. exec's pool gets the output rows of all planes (global pooling: the
 * planes) cut into one chunk per thread (no scratch); exec may be NULL. The result does not depend on the thread count.
 */
typedef struct kiln_pool2d_f32_params {
  int32_t batch, channels;
  int32_t in_h, in_w;
  int32_t out_h, out_w;
  int32_t kernel_h, kernel_w;
  int32_t stride_h, stride_w;
  int32_t pad_top, pad_left, pad_bottom, pad_right;
  int32_t dilation_h, dilation_w;
  int32_t count_include_pad;
  kiln_epilogue_t epilogue;
} kiln_pool2d_f32_params_t;

void kiln_maxpool2d_f32(const kiln_pool2d_f32_params_t *p, const float *KILN_RESTRICT x,
                        const float *KILN_RESTRICT bias, const float *KILN_RESTRICT residual,
                        float *KILN_RESTRICT y, const kiln_exec_t *exec);

void kiln_avgpool2d_f32(const kiln_pool2d_f32_params_t *p, const float *KILN_RESTRICT x,
                        const float *KILN_RESTRICT bias, const float *KILN_RESTRICT residual,
                        float *KILN_RESTRICT y, const kiln_exec_t *exec);

/*
 * Int8 GEMM with exact int32 accumulation. A is m x k (row i at a + i * lda), B is k x n (row q at
 * b + q * ldb), both int8 with per-tensor zero points in [-128, 127]:
 *   acc(i, j) = sum over q of (A(i, q) - a_zero_point) * (B(q, j) - b_zero_point) + bias[j]
 * bias (int32, one per column) may be NULL. Every product is at most 255 * 255 in magnitude, so the
 * sum is exact while k <= 33025; acc + bias saturates to the int32 range. uint8 tensors map onto
 * these kernels by subtracting 128 from their values and their zero point.
 *
 * kiln_gemm_s8s8s32 writes acc to the int32 matrix C (row i at c + i * ldc), as ONNX MatMulInteger.
 * kiln_gemm_s8s8s8 requantizes to int8 (QLinearMatMul, a quantized fully connected layer):
 *   C(i, j) = clamp(round_half_even(acc(i, j) * multiplier / 2^(31 + shift)) + c_zero_point,
 *                   qmin, qmax)
 * with multiplier and shift per column from multipliers[j], shifts[j] when those are not NULL
 * (per-channel weights) and from the params otherwise. multiplier is in [0, 2^31), shift in
 * [-31, 31]: a real scale s in (0, 1) is multiplier = round(s * 2^31 * 2^e), shift = e for the e
 * that puts multiplier in [2^30, 2^31). qmin <= qmax within [-128, 127]; a fused relu is
 * qmin = c_zero_point, relu6 is qmax = c_zero_point + round(6 / output_scale).
 */
typedef struct kiln_gemm_s8_params {
  int32_t m, n, k;
  int32_t lda, ldb, ldc;
  int32_t a_zero_point, b_zero_point, c_zero_point;
  int32_t multiplier, shift;
  int32_t qmin, qmax;
} kiln_gemm_s8_params_t;

void kiln_gemm_s8s8s32(const kiln_gemm_s8_params_t *p, const int8_t *KILN_RESTRICT a,
                       const int8_t *KILN_RESTRICT b, const int32_t *KILN_RESTRICT bias,
                       int32_t *KILN_RESTRICT c);

void kiln_gemm_s8s8s8(const kiln_gemm_s8_params_t *p, const int8_t *KILN_RESTRICT a,
                      const int8_t *KILN_RESTRICT b, const int32_t *KILN_RESTRICT bias,
                      const int32_t *KILN_RESTRICT multipliers, const int32_t *KILN_RESTRICT shifts,
                      int8_t *KILN_RESTRICT c);

/*
 * round_half_even(x * multiplier / 2^(31 + shift)) computed exactly, for the multiplier and shift
 * ranges above; the requantization step of kiln_gemm_s8s8s8, exposed for generated code.
 */
int64_t kiln_requantize(int32_t x, int32_t multiplier, int32_t shift);

/*
 * Int8 2-D convolution with exact int32 accumulation and requantization (ONNX QLinearConv; a
 * quantized convolution with fused bias and relu): geometry, layouts and padding as in
 * kiln_conv2d_f32, int8 x and w with per-tensor zero points in [-128, 127]; padded positions hold
 * the input zero point and contribute nothing. For output channel oc:
 *   acc = sum over the window of (w - w_zero_point) * (x - x_zero_point) + bias[oc]
 *   y = clamp(round_half_even(acc * multiplier / 2^(31 + shift)) + y_zero_point, qmin, qmax)
 * with multiplier and shift from multipliers[oc], shifts[oc] when those are not NULL, as in
 * kiln_gemm_s8s8s8. bias (int32) may be NULL. Exact while (in_channels / groups) * kernel_h *
 * kernel_w <= 33025; acc saturates to the int32 range.
 */
typedef struct kiln_conv2d_s8_params {
  int32_t batch;
  int32_t in_channels, in_h, in_w;
  int32_t out_channels, out_h, out_w;
  int32_t kernel_h, kernel_w;
  int32_t stride_h, stride_w;
  int32_t pad_top, pad_left;
  int32_t dilation_h, dilation_w;
  int32_t groups;
  int32_t x_zero_point, w_zero_point, y_zero_point;
  int32_t multiplier, shift;
  int32_t qmin, qmax;
} kiln_conv2d_s8_params_t;

void kiln_conv2d_s8(const kiln_conv2d_s8_params_t *p, const int8_t *KILN_RESTRICT x,
                    const int8_t *KILN_RESTRICT w, const int32_t *KILN_RESTRICT bias,
                    const int32_t *KILN_RESTRICT multipliers, const int32_t *KILN_RESTRICT shifts,
                    int8_t *KILN_RESTRICT y);

#ifdef __cplusplus
}
#endif

#endif
