#include "kiln/accel.h"
#include "sgemm.h"

static kiln_sgemm_t gemm_problem(const kiln_gemm_f32_params_t *p, const float *a, const float *b,
                                 const float *bias, const float *residual, float *c,
                                 const kiln_exec_t *exec) {
  kiln_sgemm_t g;
  g.m = p->m;
  g.n = p->n;
  g.k = p->k;
  kiln_sgemm_blocks(&g, p->mc, p->nc, p->kc);
  g.a.a = a;
  g.a.s_i = p->trans_a ? 1 : p->lda;
  g.a.s_q = p->trans_a ? p->lda : 1;
  g.a.prepacked = (p->packed & KILN_PACKED_A) != 0;
  g.b.b = b;
  g.b.s_q = p->trans_b ? 1 : p->ldb;
  g.b.s_j = p->trans_b ? p->ldb : 1;
  g.b.prepacked = (p->packed & KILN_PACKED_B) != 0;
  g.b.conv = NULL;
  g.c = c;
  g.ldc = p->ldc;
  g.fin.alpha = p->alpha;
  g.fin.beta = p->beta;
  g.fin.bias = bias;
  g.fin.bias_s_m = p->bias_stride_m;
  g.fin.bias_s_n = p->bias_stride_n;
  g.fin.residual = residual;
  g.fin.ldr = p->ldr;
  g.fin.epilogue = &p->epilogue;
  g.exec = exec;
  return g;
}

int64_t kiln_gemm_f32_scratch_size(const kiln_gemm_f32_params_t *p) {
  const kiln_sgemm_t g = gemm_problem(p, NULL, NULL, NULL, NULL, NULL, NULL);
  return (int64_t)kiln_sgemm_scratch(&g) * (int64_t)sizeof(float);
}

void kiln_gemm_f32_block(int32_t *mr, int32_t *nr) {
  *mr = KILN_GEMM_MR;
  *nr = KILN_GEMM_NR;
}

void kiln_gemm_f32(const kiln_gemm_f32_params_t *p, const float *KILN_RESTRICT a,
                   const float *KILN_RESTRICT b, const float *KILN_RESTRICT bias,
                   const float *KILN_RESTRICT residual, float *KILN_RESTRICT c,
                   const kiln_exec_t *exec) {
  if (p->m <= 0 || p->n <= 0) {
    return;
  }
  const kiln_sgemm_t g = gemm_problem(p, a, b, bias, residual, c, exec);
  kiln_sgemm_run(&g);
}

int32_t kiln_accel_gemm_f32(const kiln_gemm_f32_params_t *p, const float *KILN_RESTRICT a,
                            const float *KILN_RESTRICT b, const float *KILN_RESTRICT bias,
                            const float *KILN_RESTRICT residual, float *KILN_RESTRICT c,
                            const kiln_exec_t *exec) {
  KILN_ACCEL_TRY(gemm_f32, p, a, b, bias, residual, c);
  kiln_gemm_f32(p, a, b, bias, residual, c, exec);
  return KILN_OK;
}
