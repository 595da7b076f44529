/*
 * Kiln accelerator hooks: a table through which an NPU, DSP or any other engine takes over the
 * heavy kernels of a compiled model, call by call, while everything else runs as generated code.
 *
 * A model NAME exports
 *   int NAME_run_ctx(const void *const *inputs, void *const *outputs, void *workspace,
 *                    const kiln_run_ctx_t *ctx);
 * which is NAME_run_parallel with ctx->pool, and with ctx->accel consulted before every call of a
 * micro-kernel of kiln/kernels.h (ctx may be NULL: no pool, no accelerator). For a call of
 * kiln_conv2d_f32, generated code calls kiln_accel_conv2d_f32 below with the same arguments, which
 *   - when accel->conv2d_f32 is not NULL, calls accel->conv2d_f32(accel->ctx, p, x, w, bias,
 *     residual, y, exec): the same params struct and buffers as the CPU kernel, and the run's
 *     kiln_exec_t (its pool, and the per-thread scratch the CPU kernel would have used: slot 0 is
 *     free for the hook's own use during the call);
 *   - when the entry is NULL or returns KILN_ACCEL_DECLINED, runs the built-in kernel;
 *   - when the entry returns any other nonzero status, returns it, and NAME_run_ctx returns that
 *     status at once (the outputs are then unspecified; KILN_ERR_ACCELERATOR is the conventional
 *     code, any positive value passes through unchanged).
 * KILN_OK from an entry means it wrote the output exactly as the CPU kernel defines it (layouts,
 * epilogue, rounding of the requantizing int8 kernels). The entries are called from the thread
 * that called NAME_run_ctx, one at a time and in the model's order, so an entry may run its
 * engine synchronously; an engine that computes asynchronously must finish before returning.
 *
 * Weights arrive as the compiler left them: p->packed says when a GEMM or convolution operand is
 * in the micro-kernel's panel layout (KILN_PACKED_A / KILN_PACKED_B with the register block of
 * kiln_gemm_f32_block), and kiln_conv2d_winograd_f32's w holds transformed weights. An engine that
 * wants another layout declines those calls (or compiles the model for the scalar C target, whose
 * block is 4 x 4, and repacks once).
 *
 * An example driver, counting the calls it takes and computing them with the CPU kernels:
 *
 *   static int32_t my_conv(void *ctx, const kiln_conv2d_f32_params_t *p, const float *x,
 *                          const float *w, const float *bias, const float *residual, float *y,
 *                          const kiln_exec_t *exec) {
 *     struct my_npu *npu = ctx;
 *     if (p->groups != 1 || p->packed != 0) return KILN_ACCEL_DECLINED;
 *     if (my_npu_conv(npu, p, x, w, bias, y) != 0) return KILN_ERR_ACCELERATOR;
 *     (void)residual; (void)exec;   // a real driver also applies p->epilogue and residual
 *     return KILN_OK;
 *   }
 *
 *   kiln_accel_t accel = {0};
 *   accel.ctx = &npu;
 *   accel.conv2d_f32 = my_conv;              // every other kernel stays on the CPU
 *   kiln_run_ctx_t run = {NULL, &accel};     // no thread pool
 *   int status = net_run_ctx(inputs, outputs, workspace, &run);
 *
 * Freestanding C99 like the kernels: no libc, no allocation, no global state.
 */
#ifndef KILN_ACCEL_H
#define KILN_ACCEL_H

#include "kiln/kernels.h"

#ifdef __cplusplus
extern "C" {
#endif

/* What an entry returns to hand the call back to the built-in kernel. */
#define KILN_ACCEL_DECLINED (-1)

/*
 * The hook table: ctx is passed to every entry; a NULL entry leaves that kernel on the CPU. Each
 * entry takes the arguments of the kernel of the same name in kiln/kernels.h, then the run's
 * kiln_exec_t, and returns KILN_OK, KILN_ACCEL_DECLINED or a positive kiln_status_t.
 */
typedef struct kiln_accel {
  void *ctx;
  int32_t (*gemm_f32)(void *ctx, const kiln_gemm_f32_params_t *p, const float *a, const float *b,
                      const float *bias, const float *residual, float *c, const kiln_exec_t *exec);
  int32_t (*conv2d_f32)(void *ctx, const kiln_conv2d_f32_params_t *p, const float *x,
                        const float *w, const float *bias, const float *residual, float *y,
                        const kiln_exec_t *exec);
  int32_t (*conv2d_winograd_f32)(void *ctx, const kiln_conv2d_winograd_f32_params_t *p,
                                 const float *x, const float *w, const float *bias,
                                 const float *residual, float *y, const kiln_exec_t *exec);
  int32_t (*depthwise_conv2d_f32)(void *ctx, const kiln_depthwise_conv2d_f32_params_t *p,
                                  const float *x, const float *w, const float *bias,
                                  const float *residual, float *y, const kiln_exec_t *exec);
  int32_t (*maxpool2d_f32)(void *ctx, const kiln_pool2d_f32_params_t *p, const float *x,
                           const float *bias, const float *residual, float *y,
                           const kiln_exec_t *exec);
  int32_t (*avgpool2d_f32)(void *ctx, const kiln_pool2d_f32_params_t *p, const float *x,
                           const float *bias, const float *residual, float *y,
                           const kiln_exec_t *exec);
  int32_t (*gemm_s8s8s32)(void *ctx, const kiln_gemm_s8_params_t *p, const int8_t *a,
                          const int8_t *b, const int32_t *bias, int32_t *c,
                          const kiln_exec_t *exec);
  int32_t (*gemm_s8s8s8)(void *ctx, const kiln_gemm_s8_params_t *p, const int8_t *a,
                         const int8_t *b, const int32_t *bias, const int32_t *multipliers,
                         const int32_t *shifts, int8_t *c, const kiln_exec_t *exec);
  int32_t (*conv2d_s8)(void *ctx, const kiln_conv2d_s8_params_t *p, const int8_t *x,
                       const int8_t *w, const int32_t *bias, const int32_t *multipliers,
                       const int32_t *shifts, int8_t *y, const kiln_exec_t *exec);
} kiln_accel_t;

/*
 * Calls entry when exec carries an accelerator that sets it, returning from the calling function
 * unless the entry declined. For the kiln_accel_* functions below.
 */
#define KILN_ACCEL_TRY(entry, ...)                                                                 \
  do {                                                                                             \
    const kiln_accel_t *kiln_accel_ = exec != NULL ? exec->accel : NULL;                           \
    if (kiln_accel_ != NULL && kiln_accel_->entry != NULL) {                                       \
      const int32_t kiln_status_ = kiln_accel_->entry(kiln_accel_->ctx, __VA_ARGS__, exec);        \
      if (kiln_status_ != KILN_ACCEL_DECLINED) {                                                   \
        return kiln_status_;                                                                       \
      }                                                                                            \
    }                                                                                              \
  } while (0)

/*
 * What generated code calls for each kernel: the accelerator's entry when exec->accel sets it
 * (exec may be NULL), else the kernel. They return KILN_OK or the entry's error status.
 */
int32_t kiln_accel_gemm_f32(const kiln_gemm_f32_params_t *p, const float *KILN_RESTRICT a,
                            const float *KILN_RESTRICT b, const float *KILN_RESTRICT bias,
                            const float *KILN_RESTRICT residual, float *KILN_RESTRICT c,
                            const kiln_exec_t *exec);
int32_t kiln_accel_conv2d_f32(const kiln_conv2d_f32_params_t *p, const float *KILN_RESTRICT x,
                              const float *KILN_RESTRICT w, const float *KILN_RESTRICT bias,
                              const float *KILN_RESTRICT residual, float *KILN_RESTRICT y,
                              const kiln_exec_t *exec);
int32_t kiln_accel_conv2d_winograd_f32(const kiln_conv2d_winograd_f32_params_t *p,
                                       const float *KILN_RESTRICT x, const float *KILN_RESTRICT w,
                                       const float *KILN_RESTRICT bias,
                                       const float *KILN_RESTRICT residual, float *KILN_RESTRICT y,
                                       const kiln_exec_t *exec);
int32_t kiln_accel_depthwise_conv2d_f32(const kiln_depthwise_conv2d_f32_params_t *p,
                                        const float *KILN_RESTRICT x, const float *KILN_RESTRICT w,
                                        const float *KILN_RESTRICT bias,
                                        const float *KILN_RESTRICT residual,
                                        float *KILN_RESTRICT y, const kiln_exec_t *exec);
int32_t kiln_accel_maxpool2d_f32(const kiln_pool2d_f32_params_t *p, const float *KILN_RESTRICT x,
                                 const float *KILN_RESTRICT bias,
                                 const float *KILN_RESTRICT residual, float *KILN_RESTRICT y,
                                 const kiln_exec_t *exec);
int32_t kiln_accel_avgpool2d_f32(const kiln_pool2d_f32_params_t *p, const float *KILN_RESTRICT x,
                                 const float *KILN_RESTRICT bias,
                                 const float *KILN_RESTRICT residual, float *KILN_RESTRICT y,
                                 const kiln_exec_t *exec);
int32_t kiln_accel_gemm_s8s8s32(const kiln_gemm_s8_params_t *p, const int8_t *KILN_RESTRICT a,
                                const int8_t *KILN_RESTRICT b, const int32_t *KILN_RESTRICT bias,
                                int32_t *KILN_RESTRICT c, const kiln_exec_t *exec);
int32_t kiln_accel_gemm_s8s8s8(const kiln_gemm_s8_params_t *p, const int8_t *KILN_RESTRICT a,
                               const int8_t *KILN_RESTRICT b, const int32_t *KILN_RESTRICT bias,
                               const int32_t *KILN_RESTRICT multipliers,
                               const int32_t *KILN_RESTRICT shifts, int8_t *KILN_RESTRICT c,
                               const kiln_exec_t *exec);
int32_t kiln_accel_conv2d_s8(const kiln_conv2d_s8_params_t *p, const int8_t *KILN_RESTRICT x,
                             const int8_t *KILN_RESTRICT w, const int32_t *KILN_RESTRICT bias,
                             const int32_t *KILN_RESTRICT multipliers,
                             const int32_t *KILN_RESTRICT shifts, int8_t *KILN_RESTRICT y,
                             const kiln_exec_t *exec);

#ifdef __cplusplus
}
#endif

#endif
