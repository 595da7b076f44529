/*
 * Runs a model compiled as "net" with three accelerators of kiln/accel.h and prints one line each:
 *   counting: every entry set, computing with the runtime-c kernels (linked into this program),
 *             calls counted per kernel; outputs compared with net_run's
 *   declining: every entry set, each returning KILN_ACCEL_DECLINED; outputs compared
 *   failing:   every entry set, each returning KILN_ERR_ACCELERATOR; the run's status printed
 * Inputs are filled from a fixed seed.
 */
#include "kiln/accel.h"
#include "net.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { GEMM, CONV, WINOGRAD, DEPTHWISE, MAXPOOL, AVGPOOL, GEMM_S32, GEMM_S8, CONV_S8, KINDS };
static const char *const KIND_NAMES[KINDS] = {
    "gemm_f32",      "conv2d_f32",    "conv2d_winograd_f32", "depthwise_conv2d_f32", "maxpool2d_f32",
    "avgpool2d_f32", "gemm_s8s8s32", "gemm_s8s8s8",         "conv2d_s8"};

typedef struct driver {
  int mode; /* 0 counting, 1 declining, 2 failing */
  long calls[KINDS];
} driver_t;

static _Alignas(64) unsigned char scratch[4 << 20];

/* The kernels' own scratch: the model's may be sized for another build of the kernels. */
static kiln_exec_t own_exec(int64_t bytes) {
  kiln_exec_t e = {NULL, scratch, (int64_t)sizeof scratch, NULL};
  if (bytes > (int64_t)sizeof scratch) {
    fprintf(stderr, "driver: a kernel needs %lld bytes of scratch\n", (long long)bytes);
    exit(3);
  }
  return e;
}

/* Counts the call; the status to return before computing, or 0 to compute. */
static int32_t enter(void *ctx, int kind) {
  driver_t *d = ctx;
  d->calls[kind]++;
  return d->mode == 1 ? KILN_ACCEL_DECLINED : d->mode == 2 ? KILN_ERR_ACCELERATOR : KILN_OK;
}

static int32_t gemm_f32(void *ctx, const kiln_gemm_f32_params_t *p, const float *a,
                        const float *b, const float *bias, const float *residual, float *c,
                        const kiln_exec_t *exec) {
  int32_t s = enter(ctx, GEMM);
  kiln_exec_t e = own_exec(kiln_gemm_f32_scratch_size(p));
  (void)exec;
  if (s == 0) {
    kiln_gemm_f32(p, a, b, bias, residual, c, &e);
  }
  return s;
}

static int32_t conv2d_f32(void *ctx, const kiln_conv2d_f32_params_t *p, const float *x,
                          const float *w, const float *bias, const float *residual, float *y,
                          const kiln_exec_t *exec) {
  int32_t s = enter(ctx, CONV);
  kiln_exec_t e = own_exec(kiln_conv2d_f32_scratch_size(p));
  (void)exec;
  if (s == 0) {
    kiln_conv2d_f32(p, x, w, bias, residual, y, &e);
  }
  return s;
}

static int32_t winograd_f32(void *ctx, const kiln_conv2d_winograd_f32_params_t *p, const float *x,
                            const float *w, const float *bias, const float *residual, float *y,
                            const kiln_exec_t *exec) {
  int32_t s = enter(ctx, WINOGRAD);
  kiln_exec_t e = own_exec(kiln_conv2d_winograd_f32_scratch_size(p));
  (void)exec;
  if (s == 0) {
    kiln_conv2d_winograd_f32(p, x, w, bias, residual, y, &e);
  }
  return s;
}

static int32_t depthwise_f32(void *ctx, const kiln_depthwise_conv2d_f32_params_t *p,
                             const float *x, const float *w, const float *bias,
                             const float *residual, float *y, const kiln_exec_t *exec) {
  int32_t s = enter(ctx, DEPTHWISE);
  (void)exec;
  if (s == 0) {
    kiln_depthwise_conv2d_f32(p, x, w, bias, residual, y, NULL);
  }
  return s;
}

static int32_t maxpool_f32(void *ctx, const kiln_pool2d_f32_params_t *p, const float *x,
                           const float *bias, const float *residual, float *y,
                           const kiln_exec_t *exec) {
  int32_t s = enter(ctx, MAXPOOL);
  (void)exec;
  if (s == 0) {
    kiln_maxpool2d_f32(p, x, bias, residual, y, NULL);
  }
  return s;
}

static int32_t avgpool_f32(void *ctx, const kiln_pool2d_f32_params_t *p, const float *x,
                           const float *bias, const float *residual, float *y,
                           const kiln_exec_t *exec) {
  int32_t s = enter(ctx, AVGPOOL);
  (void)exec;
  if (s == 0) {
    kiln_avgpool2d_f32(p, x, bias, residual, y, NULL);
  }
  return s;
}

static int32_t gemm_s32(void *ctx, const kiln_gemm_s8_params_t *p, const int8_t *a,
                        const int8_t *b, const int32_t *bias, int32_t *c,
                        const kiln_exec_t *exec) {
  int32_t s = enter(ctx, GEMM_S32);
  (void)exec;
  if (s == 0) {
    kiln_gemm_s8s8s32(p, a, b, bias, c);
  }
  return s;
}

static int32_t gemm_s8(void *ctx, const kiln_gemm_s8_params_t *p, const int8_t *a,
                       const int8_t *b, const int32_t *bias, const int32_t *multipliers,
                       const int32_t *shifts, int8_t *c, const kiln_exec_t *exec) {
  int32_t s = enter(ctx, GEMM_S8);
  (void)exec;
  if (s == 0) {
    kiln_gemm_s8s8s8(p, a, b, bias, multipliers, shifts, c);
  }
  return s;
}

static int32_t conv_s8(void *ctx, const kiln_conv2d_s8_params_t *p, const int8_t *x,
                       const int8_t *w, const int32_t *bias, const int32_t *multipliers,
                       const int32_t *shifts, int8_t *y, const kiln_exec_t *exec) {
  int32_t s = enter(ctx, CONV_S8);
  (void)exec;
  if (s == 0) {
    kiln_conv2d_s8(p, x, w, bias, multipliers, shifts, y);
  }
  return s;
}

static size_t elem_size(int32_t type) {
  switch (type) {
  case KILN_F64:
  case KILN_I64:
  case KILN_U64:
    return 8;
  case KILN_F32:
  case KILN_I32:
  case KILN_U32:
    return 4;
  case KILN_F16:
  case KILN_BF16:
  case KILN_I16:
  case KILN_U16:
    return 2;
  default:
    return 1;
  }
}

static size_t bytes_of(const kiln_tensor_desc_t *d) {
  size_t n = elem_size(d->elem_type);
  for (int32_t i = 0; i < d->rank; i++) {
    n *= (size_t)d->dims[i];
  }
  return n;
}

static void *buffers(const kiln_tensor_desc_t *descs, int32_t n, void **out) {
  for (int32_t i = 0; i < n; i++) {
    out[i] = calloc(bytes_of(&descs[i]) + 1, 1);
  }
  return out[0];
}

/* Whether every output of a equals b's, byte for byte. */
static int same(const kiln_model_info_t *info, void *const *a, void *const *b) {
  for (int32_t i = 0; i < info->num_outputs; i++) {
    if (memcmp(a[i], b[i], bytes_of(&info->outputs[i])) != 0) {
      return 0;
    }
  }
  return 1;
}

static void print_calls(const driver_t *d) {
  for (int k = 0; k < KINDS; k++) {
    printf(" %s=%ld", KIND_NAMES[k], d->calls[k]);
  }
}

int main(void) {
  const kiln_model_info_t *info = net_info();
  void *inputs[NET_NUM_INPUTS], *want[NET_NUM_OUTPUTS], *got[NET_NUM_OUTPUTS];
  uint32_t seed = 12345u;
  unsigned char *workspace = aligned_alloc(64, (size_t)info->workspace_size + 64);
  buffers(info->inputs, info->num_inputs, inputs);
  buffers(info->outputs, info->num_outputs, want);
  buffers(info->outputs, info->num_outputs, got);
  for (int32_t i = 0; i < info->num_inputs; i++) {
    size_t n = bytes_of(&info->inputs[i]) / elem_size(info->inputs[i].elem_type);
    for (size_t j = 0; j < n; j++) {
      seed = seed * 1664525u + 1013904223u;
      if (info->inputs[i].elem_type == KILN_F32) {
        ((float *)inputs[i])[j] = (float)((seed >> 8) & 0xffff) / 32768.0f - 1.0f;
      } else {
        ((int8_t *)inputs[i])[j] = (int8_t)(seed >> 24);
      }
    }
  }
  if (net_run((const void *const *)inputs, want, workspace) != 0) {
    printf("net_run failed\n");
    return 1;
  }
  for (int mode = 0; mode < 3; mode++) {
    static const char *const MODES[3] = {"counting", "declining", "failing"};
    driver_t d;
    kiln_accel_t accel = {0};
    kiln_run_ctx_t ctx;
    int status;
    memset(&d, 0, sizeof d);
    d.mode = mode;
    accel.ctx = &d;
    accel.gemm_f32 = gemm_f32;
    accel.conv2d_f32 = conv2d_f32;
    accel.conv2d_winograd_f32 = winograd_f32;
    accel.depthwise_conv2d_f32 = depthwise_f32;
    accel.maxpool2d_f32 = maxpool_f32;
    accel.avgpool2d_f32 = avgpool_f32;
    accel.gemm_s8s8s32 = gemm_s32;
    accel.gemm_s8s8s8 = gemm_s8;
    accel.conv2d_s8 = conv_s8;
    ctx.pool = NULL;
    ctx.accel = &accel;
    ctx.weights = NULL;
    for (int32_t i = 0; i < info->num_outputs; i++) {
      memset(got[i], 0x5a, bytes_of(&info->outputs[i]));
    }
    status = net_run_ctx((const void *const *)inputs, got, workspace, &ctx);
    printf("%s status=%d identical=%d", MODES[mode], status, same(info, want, got));
    print_calls(&d);
    printf("\n");
  }
  return 0;
}
