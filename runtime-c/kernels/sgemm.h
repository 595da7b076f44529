/*
 * The packed single-precision GEMM behind kiln_gemm_f32 and kiln_conv2d_f32.
 *
 * C (m x n) = op(A) (m x k) . op(B) (k x n), computed the way BLIS and GotoBLAS do: the columns
 * are cut into blocks of nc, the reduction into blocks of kc and the rows into blocks of mc. A kc x
 * nc block of B is packed into panels of KILN_GEMM_NR columns ([k][NR], zero-padded), an mc x kc
 * block of A into panels of KILN_GEMM_MR rows ([k][MR]), and a register-blocked micro-kernel
 * multiplies one A panel by one B panel into an MR x NR tile of accumulators. Operands the compiler
 * packed ahead of time (constant weights) are read in place: a prepacked A is
 * [ceil(m / MR)][k][MR], a prepacked B [ceil(n / NR)][k][NR], both zero-padded, so the kc block
 * starting at reduction index q of panel p is at offset (p * k + q) * MR (or NR).
 *
 * B may also be the im2col matrix of an NCHW image (a convolution): row (c, kh, kw), column
 * (oh, ow) is x[c][oh * stride_h - pad_top + kh * dilation_h][ow * stride_w - pad_left + kw *
 * dilation_w], zero outside the image. It is never materialized: the packing reads the image.
 *
 * Every element of C is the same sum in the same order whatever the tiling and thread count: its
 * reduction is split at the same multiples of kc, each block summed by the micro-kernel in k order
 * from zero and added to what C held. So threads change nothing but time.
 *
 * The micro-kernel is written with the compiler's vector extensions; MR, NR and the vector width
 * come from the target (the Kiln compiler passes them as -D flags from its target description;
 * the defaults below follow the instruction set the file is compiled for).
 */
#ifndef KILN_KERNELS_SGEMM_H
#define KILN_KERNELS_SGEMM_H

#include "conv_plane.h"

#include "vec.h"

#define KILN_GEMM_VLEN KILN_VLEN

#ifndef KILN_GEMM_MR
#if defined(__AVX512F__)
#define KILN_GEMM_MR 12
#define KILN_GEMM_NR 32
#elif defined(__AVX__)
#define KILN_GEMM_MR 6
#define KILN_GEMM_NR 16
#elif defined(__aarch64__)
#define KILN_GEMM_MR 8
#define KILN_GEMM_NR 12
#elif defined(__SSE2__) || defined(__ARM_NEON) || defined(__ARM_NEON__)
#define KILN_GEMM_MR 4
#define KILN_GEMM_NR 8
#else
#define KILN_GEMM_MR 4
#define KILN_GEMM_NR 4
#endif
#endif

#define KILN_GEMM_NV (KILN_GEMM_NR / KILN_GEMM_VLEN)

#if KILN_GEMM_NR % KILN_GEMM_VLEN != 0
#error "KILN_GEMM_NR must be a multiple of KILN_GEMM_VLEN"
#endif

/* Whether B may be read in place (see kiln_sgemm_range). */
#ifndef KILN_GEMM_DIRECT_B
#define KILN_GEMM_DIRECT_B 1
#endif

/* Default cache blocks, used when the params leave them 0. */
#define KILN_GEMM_KC 256
#define KILN_GEMM_MC (KILN_GEMM_MR * 8)
#define KILN_GEMM_NC (KILN_GEMM_NR * 16)


/* Where op(B) comes from. */
typedef struct kiln_bsrc {
  const float *b;
  ptrdiff_t s_q, s_j;               /* op(B)(q, j) = b[q * s_q + j * s_j] (matrix) */
  int prepacked;                    /* b is [ceil(n / NR)][k][NR] */
  const kiln_conv_geometry_t *conv; /* not NULL: b is an NCHW image, op(B) its im2col matrix */
} kiln_bsrc_t;

/* Where op(A) comes from. */
typedef struct kiln_asrc {
  const float *a;
  ptrdiff_t s_i, s_q; /* op(A)(i, q) = a[i * s_i + q * s_q] */
  int prepacked;      /* a is [ceil(m / MR)][k][MR] */
} kiln_asrc_t;

/* What happens to a finished element of C (the kiln_gemm_f32 epilogue). */
typedef struct kiln_gemm_finish {
  float alpha, beta;
  const float *bias;
  ptrdiff_t bias_s_m, bias_s_n;
  const float *residual;
  ptrdiff_t ldr;
  const kiln_epilogue_t *epilogue;
} kiln_gemm_finish_t;

typedef struct kiln_sgemm {
  ptrdiff_t m, n, k;
  ptrdiff_t mc, nc, kc;
  kiln_asrc_t a;
  kiln_bsrc_t b;
  float *c;
  ptrdiff_t ldc;
  kiln_gemm_finish_t fin;
  const kiln_exec_t *exec;
} kiln_sgemm_t;

static inline ptrdiff_t kiln_round_up(ptrdiff_t v, ptrdiff_t to) {
  return (v + to - 1) / to * to;
}

/*
 * Sets g's cache blocks from a params struct's mc, nc and kc (0 picks the default): clamped to the
 * problem (g->m, g->n, g->k) and rounded to the register block.
 */
static inline void kiln_sgemm_blocks(kiln_sgemm_t *g, int32_t mc, int32_t nc, int32_t kc) {
  g->kc = kiln_min_pd(kc > 0 ? kc : KILN_GEMM_KC, kiln_max_pd(g->k, 1));
  g->mc = kiln_min_pd(mc > 0 ? mc : KILN_GEMM_MC, kiln_round_up(g->m, KILN_GEMM_MR));
  g->nc = kiln_min_pd(nc > 0 ? nc : KILN_GEMM_NC, kiln_round_up(g->n, KILN_GEMM_NR));
  g->mc = kiln_max_pd(kiln_round_up(g->mc, KILN_GEMM_MR), KILN_GEMM_MR);
  g->nc = kiln_max_pd(kiln_round_up(g->nc, KILN_GEMM_NR), KILN_GEMM_NR);
}

/* Floats of per-thread scratch kiln_sgemm_run needs (what the compiler reserves per thread). */
static inline ptrdiff_t kiln_sgemm_scratch(const kiln_sgemm_t *g) {
  ptrdiff_t s = 0;
  if (!g->a.prepacked) {
    s += kiln_round_up(g->mc, KILN_GEMM_MR) * g->kc;
  }
  if (!g->b.prepacked) {
    s += kiln_round_up(g->nc, KILN_GEMM_NR) * g->kc;
  }
  return s;
}

/* Packs rows [i0, i0 + rows) x reduction [q0, q0 + kc) of op(A) into MR-row panels. */
static void kiln_pack_a(const kiln_asrc_t *a, ptrdiff_t i0, ptrdiff_t rows, ptrdiff_t q0,
                        ptrdiff_t kc, float *KILN_RESTRICT dst) {
  for (ptrdiff_t p = 0; p < rows; p += KILN_GEMM_MR) {
    const ptrdiff_t valid = kiln_min_pd(KILN_GEMM_MR, rows - p);
    for (ptrdiff_t q = 0; q < kc; q++) {
      const float *src = a->a + (i0 + p) * a->s_i + (q0 + q) * a->s_q;
      for (ptrdiff_t r = 0; r < KILN_GEMM_MR; r++) {
        dst[r] = r < valid ? src[r * a->s_i] : 0.0f;
      }
      dst += KILN_GEMM_MR;
    }
  }
}

/* One packed B panel (NR columns from j0, `valid` of them real) of a matrix operand. */
static void kiln_pack_b_matrix(const kiln_bsrc_t *b, ptrdiff_t j0, ptrdiff_t valid, ptrdiff_t q0,
                               ptrdiff_t kc, float *KILN_RESTRICT dst) {
  if (b->s_j == 1 && valid == KILN_GEMM_NR) {
    for (ptrdiff_t q = 0; q < kc; q++) {
      const float *src = b->b + (q0 + q) * b->s_q + j0;
      for (ptrdiff_t t = 0; t < KILN_GEMM_NR; t++) {
        dst[t] = src[t];
      }
      dst += KILN_GEMM_NR;
    }
    return;
  }
  for (ptrdiff_t q = 0; q < kc; q++) {
    const float *src = b->b + (q0 + q) * b->s_q + j0 * b->s_j;
    for (ptrdiff_t t = 0; t < KILN_GEMM_NR; t++) {
      dst[t] = t < valid ? src[t * b->s_j] : 0.0f;
    }
    dst += KILN_GEMM_NR;
  }
}

/*
 * One packed B panel of an im2col operand. The panel's columns are cut into runs that share an
 * output row (found once per panel); each run of each reduction row is one strided copy of an
 * input row, zero outside.
 */
static void kiln_pack_b_conv(const kiln_bsrc_t *b, ptrdiff_t j0, ptrdiff_t valid, ptrdiff_t q0,
                             ptrdiff_t kc, float *KILN_RESTRICT dst) {
  const kiln_conv_geometry_t *g = b->conv;
  const ptrdiff_t khw = g->kernel_h * g->kernel_w;
  const ptrdiff_t in_plane = g->in_h * g->in_w;
  /* Runs of the panel: output row, first output column, first panel column, length. */
  ptrdiff_t run_oh[KILN_GEMM_NR + 1], run_ow[KILN_GEMM_NR + 1], run_t[KILN_GEMM_NR + 1],
      run_n[KILN_GEMM_NR + 1];
  ptrdiff_t runs = 0;
  for (ptrdiff_t t = 0, j = j0; t < valid; runs++) {
    run_oh[runs] = j / g->out_w;
    run_ow[runs] = j % g->out_w;
    run_t[runs] = t;
    run_n[runs] = kiln_min_pd(valid - t, g->out_w - run_ow[runs]);
    t += run_n[runs];
    j += run_n[runs];
  }
  ptrdiff_t c = q0 / khw, kh = (q0 % khw) / g->kernel_w, kw = q0 % g->kernel_w;
  ptrdiff_t lo = 0, hi = 0;
  ptrdiff_t lo_kw = -1;
  for (ptrdiff_t q = 0; q < kc; q++) {
    const float *plane = b->b + c * in_plane;
    const ptrdiff_t tap = kw * g->dilation_w - g->pad_left;
    if (lo_kw != kw) {
      kiln_valid_range(tap, g->stride_w, g->in_w, g->out_w, &lo, &hi);
      lo_kw = kw;
    }
    for (ptrdiff_t r = 0; r < runs; r++) {
      const ptrdiff_t ow = run_ow[r], run = run_n[r];
      const ptrdiff_t ih = run_oh[r] * g->stride_h - g->pad_top + kh * g->dilation_h;
      float *out = dst + run_t[r];
      if (ih < 0 || ih >= g->in_h) {
        for (ptrdiff_t i = 0; i < run; i++) {
          out[i] = 0.0f;
        }
        continue;
      }
      const ptrdiff_t a = kiln_min_pd(kiln_max_pd(lo - ow, 0), run);
      const ptrdiff_t z = kiln_max_pd(kiln_min_pd(hi - ow, run), a);
      for (ptrdiff_t i = 0; i < a; i++) {
        out[i] = 0.0f;
      }
      kiln_copy_strided(out + a, plane + ih * g->in_w + (ow + a) * g->stride_w + tap, z - a,
                        g->stride_w);
      for (ptrdiff_t i = z; i < run; i++) {
        out[i] = 0.0f;
      }
    }
    for (ptrdiff_t t = valid; t < KILN_GEMM_NR; t++) {
      dst[t] = 0.0f;
    }
    dst += KILN_GEMM_NR;
    if (++kw == g->kernel_w) {
      kw = 0;
      if (++kh == g->kernel_h) {
        kh = 0;
        c++;
      }
    }
  }
}

/*
 * The epilogue a micro-kernel applies while it stores the last reduction block of a tile, in the
 * cases that need no second pass: alpha 1, a bias per row, per column or none, and any residual.
 */
typedef struct kiln_tile_finish {
  const float *row_bias; /* the tile's first row's bias, or NULL */
  ptrdiff_t row_stride;  /* elements between the biases of consecutive rows (0: one for all) */
  const float *col_bias; /* the tile's first column's bias (one per column), or NULL */
  float beta;
  const float *residual; /* the tile's first residual element, or NULL */
  ptrdiff_t ldr;
  const kiln_epilogue_t *epilogue;
} kiln_tile_finish_t;

/*
 * Rows [0, rows) (rows <= R) of the C tile at c = acc (first) or c + acc, finished by fin when it
 * is not NULL, the first NV vectors of each: c and fin's column bias and residual hold them.
 */
static inline __attribute__((always_inline)) void
kiln_sgemm_store(const int R, const int NV, kiln_vf (*acc)[KILN_GEMM_NV], float *KILN_RESTRICT c,
                 ptrdiff_t ldc, int first, ptrdiff_t rows, const kiln_tile_finish_t *fin) {
  KILN_UNROLL
  for (int r = 0; r < R; r++) {
    if (r >= rows) {
      break;
    }
    kiln_vf_u *cr = (kiln_vf_u *)(c + r * ldc);
    KILN_UNROLL
    for (int v = 0; v < NV; v++) {
      kiln_vf y = first ? acc[r][v] : cr[v] + acc[r][v];
      if (fin != NULL) {
        if (fin->row_bias != NULL) {
          y += KILN_SPLAT(fin->beta * fin->row_bias[r * fin->row_stride]);
        }
        if (fin->col_bias != NULL) {
          y += KILN_SPLAT(fin->beta) * *(const kiln_vf_u *)(fin->col_bias + v * KILN_GEMM_VLEN);
        }
        const kiln_vf_u *res =
            fin->residual != NULL
                ? (const kiln_vf_u *)(fin->residual + r * fin->ldr + v * KILN_GEMM_VLEN)
                : NULL;
        if (res != NULL && !fin->epilogue->residual_after_activation) {
          y += *res;
        }
        y = kiln_vactivate(fin->epilogue, y);
        if (res != NULL && fin->epilogue->residual_after_activation) {
          y += *res;
        }
      }
      cr[v] = y;
    }
  }
}

/*
 * Prefetches the A panel 64 reduction steps ahead of the micro-kernel, into the next panel near the
 * end of one. Weights packed by the compiler stream from memory once per run, and where a k block
 * is shorter than the reduction its part of each panel lies a whole panel from the next, so the
 * hardware prefetchers restart at each panel and the first column panel waited for memory (Zen 5: 1x1 convolutions over 7 x 7 outputs 1.3x to 1.5x faster
 * with it). Vector targets built by GCC or Clang only.
 */
#if KILN_GEMM_VLEN > 1 && (defined(__GNUC__) || defined(__clang__))
#define KILN_GEMM_PREFETCH_A(a) __builtin_prefetch((a) + 64 * KILN_GEMM_MR, 0, 3)
#else
#define KILN_GEMM_PREFETCH_A(a) ((void)0)
#endif

/* dst[0, n) = src[0, n) and dst[n, NR) = 0. */
static inline void kiln_sgemm_copy_cols(float *KILN_RESTRICT dst, const float *KILN_RESTRICT src,
                                        ptrdiff_t n) {
  kiln_copy_strided(dst, src, n, 1);
  for (ptrdiff_t j = n; j < KILN_GEMM_NR; j++) {
    dst[j] = 0.0f;
  }
}

/*
 * acc = A panel . B panel over kc for the first R rows of the panel, then C tile = acc (first) or
 * C tile + acc, finished by fin when it is not NULL; rows beyond `rows` (<= R) and columns beyond
 * `cols` are not stored. Row q of the B panel is at b + q * ldb, or at b + boff[q] with OFFS (an
 * image read in place through an offset per reduction index). Inlined with a constant R and NV (the vectors of each B row used, the
 * others left out: cols <= NV * VLEN), so short panels (a matrix-vector product, the last columns
 * of a product) do not pay for a whole register block. A tile narrower than its NV vectors is
 * finished in vectors too, on a copy of its columns (and of the bias and residual columns) padded
 * to NR.
 */
static inline __attribute__((always_inline)) void
kiln_sgemm_micro_rows(const int R, const int NV, const int OFFS, ptrdiff_t kc,
                      const float *KILN_RESTRICT a, const float *KILN_RESTRICT b, ptrdiff_t ldb,
                      const int32_t *KILN_RESTRICT boff, float *KILN_RESTRICT c, ptrdiff_t ldc,
                      int first, ptrdiff_t rows, ptrdiff_t cols, const kiln_tile_finish_t *fin) {
  kiln_vf acc[KILN_GEMM_MR][KILN_GEMM_NV];
  KILN_UNROLL
  for (int r = 0; r < R; r++) {
    KILN_UNROLL
    for (int v = 0; v < NV; v++) {
      acc[r][v] = KILN_SPLAT(0.0f);
    }
  }
  for (ptrdiff_t q = 0; q < kc; q++) {
    kiln_vf bv[KILN_GEMM_NV];
    const float *bq = OFFS ? b + boff[q] : b;
    KILN_UNROLL
    for (int v = 0; v < NV; v++) {
      bv[v] = *(const kiln_vf_u *)(bq + v * KILN_GEMM_VLEN);
    }
    KILN_GEMM_PREFETCH_A(a);
    KILN_UNROLL
    for (int r = 0; r < R; r++) {
      const kiln_vf av = KILN_SPLAT(a[r]);
      KILN_UNROLL
      for (int v = 0; v < NV; v++) {
        acc[r][v] += av * bv[v];
      }
    }
    a += KILN_GEMM_MR;
    if (!OFFS) {
      b += ldb;
    }
  }
  if (cols == NV * KILN_GEMM_VLEN) {
    kiln_sgemm_store(R, NV, acc, c, ldc, first, rows, fin);
    return;
  }
  float ct[KILN_GEMM_MR * KILN_GEMM_NR];
  float rt[KILN_GEMM_MR * KILN_GEMM_NR];
  float bt[KILN_GEMM_NR];
  kiln_tile_finish_t padded;
  const kiln_tile_finish_t *pf = NULL;
  if (fin != NULL) {
    padded = *fin;
    if (fin->col_bias != NULL) {
      kiln_sgemm_copy_cols(bt, fin->col_bias, cols);
      padded.col_bias = bt;
    }
    if (fin->residual != NULL) {
      for (ptrdiff_t r = 0; r < rows; r++) {
        kiln_sgemm_copy_cols(rt + r * KILN_GEMM_NR, fin->residual + r * fin->ldr, cols);
      }
      padded.residual = rt;
      padded.ldr = KILN_GEMM_NR;
    }
    pf = &padded;
  }
  if (!first) {
    for (ptrdiff_t r = 0; r < rows; r++) {
      kiln_sgemm_copy_cols(ct + r * KILN_GEMM_NR, c + r * ldc, cols);
    }
  }
  kiln_sgemm_store(R, NV, acc, ct, KILN_GEMM_NR, first, rows, pf);
  for (ptrdiff_t r = 0; r < rows; r++) {
    kiln_copy_strided(c + r * ldc, ct + r * KILN_GEMM_NR, cols, 1);
  }
}

/* kiln_sgemm_micro for NV vectors per B row: the full block of rows, or one, two or four rows. */
static inline __attribute__((always_inline)) void
kiln_sgemm_micro_width(const int NV, const int OFFS, ptrdiff_t kc, const float *KILN_RESTRICT a,
                       const float *KILN_RESTRICT b, ptrdiff_t ldb,
                       const int32_t *KILN_RESTRICT boff, float *KILN_RESTRICT c, ptrdiff_t ldc,
                       int first, ptrdiff_t rows, ptrdiff_t cols, const kiln_tile_finish_t *fin) {
#if KILN_GEMM_MR > 4
  if (rows <= 4) {
    if (rows == 1) {
      kiln_sgemm_micro_rows(1, NV, OFFS, kc, a, b, ldb, boff, c, ldc, first, rows, cols, fin);
    } else if (rows == 2) {
      kiln_sgemm_micro_rows(2, NV, OFFS, kc, a, b, ldb, boff, c, ldc, first, rows, cols, fin);
    } else {
      kiln_sgemm_micro_rows(4, NV, OFFS, kc, a, b, ldb, boff, c, ldc, first, rows, cols, fin);
    }
    return;
  }
#endif
  kiln_sgemm_micro_rows(KILN_GEMM_MR, NV, OFFS, kc, a, b, ldb, boff, c, ldc, first, rows, cols,
                        fin);
}

/* Columns at most that the thin micro-kernel takes, alone or after a half-width panel. */
#define KILN_GEMM_THIN 4

/*
 * The micro-kernel for C (<= KILN_GEMM_THIN) columns, with kiln_sgemm_micro_rows's operands: each
 * reduction step multiplies the A panel's column of MR weights by one broadcast B element per
 * column, into four partial sums per column taken in turn (so no chain of dependent FMAs limits
 * it), added at the end. A product C columns wide, or the C columns past a half-width panel, costs
 * C multiply-adds of MR lanes per step instead of a half or whole register block. Finished in
 * scalars with kiln_sgemm_store's operations.
 */
static inline __attribute__((always_inline)) void
kiln_sgemm_micro_thin(const int C, const int OFFS, ptrdiff_t kc, const float *KILN_RESTRICT a,
                      const float *KILN_RESTRICT b, ptrdiff_t ldb,
                      const int32_t *KILN_RESTRICT boff, float *KILN_RESTRICT c, ptrdiff_t ldc,
                      int first, ptrdiff_t rows, const kiln_tile_finish_t *fin) {
  float acc[4][KILN_GEMM_THIN][KILN_GEMM_MR];
  KILN_UNROLL
  for (int u = 0; u < 4; u++) {
    KILN_UNROLL
    for (int j = 0; j < C; j++) {
      for (int r = 0; r < KILN_GEMM_MR; r++) {
        acc[u][j][r] = 0.0f;
      }
    }
  }
  ptrdiff_t q = 0;
  for (; q + 4 <= kc; q += 4) {
    KILN_UNROLL
    for (int u = 0; u < 4; u++) {
      const float *bq = OFFS ? b + boff[q + u] : b + (q + u) * ldb;
      const float *aq = a + (q + u) * KILN_GEMM_MR;
      KILN_UNROLL
      for (int j = 0; j < C; j++) {
        const float bj = bq[j];
        for (int r = 0; r < KILN_GEMM_MR; r++) {
          acc[u][j][r] += aq[r] * bj;
        }
      }
    }
  }
  for (; q < kc; q++) {
    const float *bq = OFFS ? b + boff[q] : b + q * ldb;
    const float *aq = a + q * KILN_GEMM_MR;
    KILN_UNROLL
    for (int j = 0; j < C; j++) {
      const float bj = bq[j];
      for (int r = 0; r < KILN_GEMM_MR; r++) {
        acc[0][j][r] += aq[r] * bj;
      }
    }
  }
  for (ptrdiff_t r = 0; r < rows; r++) {
    KILN_UNROLL
    for (int j = 0; j < C; j++) {
      float y = (acc[0][j][r] + acc[1][j][r]) + (acc[2][j][r] + acc[3][j][r]);
      float *cr = c + r * ldc + j;
      y = first ? y : *cr + y;
      if (fin != NULL) {
        if (fin->row_bias != NULL) {
          y += fin->beta * fin->row_bias[r * fin->row_stride];
        }
        if (fin->col_bias != NULL) {
          y += fin->beta * fin->col_bias[j];
        }
        const float *res = fin->residual != NULL ? fin->residual + r * fin->ldr + j : NULL;
        if (res != NULL && !fin->epilogue->residual_after_activation) {
          y += *res;
        }
        y = kiln_activate(fin->epilogue, y);
        if (res != NULL && fin->epilogue->residual_after_activation) {
          y += *res;
        }
      }
      *cr = y;
    }
  }
}

/* kiln_sgemm_micro_thin for cols (1 to KILN_GEMM_THIN) columns. */
static inline __attribute__((always_inline)) void
kiln_sgemm_micro_thin_cols(const int OFFS, ptrdiff_t kc, const float *KILN_RESTRICT a,
                           const float *KILN_RESTRICT b, ptrdiff_t ldb,
                           const int32_t *KILN_RESTRICT boff, float *KILN_RESTRICT c,
                           ptrdiff_t ldc, int first, ptrdiff_t rows, ptrdiff_t cols,
                           const kiln_tile_finish_t *fin) {
  switch (cols) {
  case 1:
    kiln_sgemm_micro_thin(1, OFFS, kc, a, b, ldb, boff, c, ldc, first, rows, fin);
    break;
  case 2:
    kiln_sgemm_micro_thin(2, OFFS, kc, a, b, ldb, boff, c, ldc, first, rows, fin);
    break;
  case 3:
    kiln_sgemm_micro_thin(3, OFFS, kc, a, b, ldb, boff, c, ldc, first, rows, fin);
    break;
  default:
    kiln_sgemm_micro_thin(4, OFFS, kc, a, b, ldb, boff, c, ldc, first, rows, fin);
    break;
  }
}

/* kiln_sgemm_micro with B rows at b + q * ldb (OFFS 0) or b + boff[q] (OFFS 1). */
static inline __attribute__((always_inline)) void
kiln_sgemm_micro_offs(const int OFFS, ptrdiff_t kc, const float *KILN_RESTRICT a,
                      const float *KILN_RESTRICT b, ptrdiff_t ldb,
                      const int32_t *KILN_RESTRICT boff, float *KILN_RESTRICT c, ptrdiff_t ldc,
                      int first, ptrdiff_t rows, ptrdiff_t cols, const kiln_tile_finish_t *fin) {
#if KILN_GEMM_VLEN > 1
  if (cols <= KILN_GEMM_THIN && cols < KILN_GEMM_VLEN) {
    kiln_sgemm_micro_thin_cols(OFFS, kc, a, b, ldb, boff, c, ldc, first, rows, cols, fin);
    return;
  }
#endif
#if KILN_GEMM_NV % 2 == 0
  const ptrdiff_t half = KILN_GEMM_NR / 2;
  if (2 * cols <= KILN_GEMM_NR) {
    kiln_sgemm_micro_width(KILN_GEMM_NV / 2, OFFS, kc, a, b, ldb, boff, c, ldc, first, rows, cols,
                           fin);
    return;
  }
  if (cols - half <= KILN_GEMM_THIN && cols - half < KILN_GEMM_VLEN) {
    kiln_sgemm_micro_width(KILN_GEMM_NV / 2, OFFS, kc, a, b, ldb, boff, c, ldc, first, rows, half,
                           fin);
    kiln_tile_finish_t rest;
    if (fin != NULL) {
      rest = *fin;
      rest.col_bias = fin->col_bias != NULL ? fin->col_bias + half : NULL;
      rest.residual = fin->residual != NULL ? fin->residual + half : NULL;
    }
    kiln_sgemm_micro_thin_cols(OFFS, kc, a, b + half, ldb, boff, c + half, ldc, first, rows,
                               cols - half, fin != NULL ? &rest : NULL);
    return;
  }
#endif
  kiln_sgemm_micro_width(KILN_GEMM_NV, OFFS, kc, a, b, ldb, boff, c, ldc, first, rows, cols, fin);
}

/*
 * The micro-kernel for a panel with `rows` real rows and `cols` real columns, B row q at b + q *
 * ldb: a panel whose columns fit in half the register block (the last panel of a product, most
 * often) multiplies only the first half of each B row.
 */
static inline void kiln_sgemm_micro(ptrdiff_t kc, const float *KILN_RESTRICT a,
                                    const float *KILN_RESTRICT b, ptrdiff_t ldb,
                                    float *KILN_RESTRICT c, ptrdiff_t ldc, int first,
                                    ptrdiff_t rows, ptrdiff_t cols,
                                    const kiln_tile_finish_t *fin) {
  kiln_sgemm_micro_offs(0, kc, a, b, ldb, NULL, c, ldc, first, rows, cols, fin);
}

/* Whether the micro-kernels can finish g's tiles as they store them (see kiln_tile_finish_t). */
static inline int kiln_sgemm_fast_finish(const kiln_sgemm_t *g) {
  const kiln_gemm_finish_t *f = &g->fin;
  return f->alpha == 1.0f &&
         (f->bias == NULL || f->bias_s_n == 0 || (f->bias_s_m == 0 && f->bias_s_n == 1));
}

/* Applies the epilogue to rows [i0, i1) x columns [j0, j1) of C, whose sums are complete. */
static void kiln_sgemm_finish(const kiln_sgemm_t *g, ptrdiff_t i0, ptrdiff_t i1, ptrdiff_t j0,
                              ptrdiff_t j1) {
  const kiln_gemm_finish_t *f = &g->fin;
  const kiln_epilogue_t *e = f->epilogue;
  const int plain = f->alpha == 1.0f && f->bias == NULL && f->residual == NULL &&
                    e->activation == KILN_ACT_NONE;
  if (plain) {
    return;
  }
  for (ptrdiff_t i = i0; i < i1; i++) {
    float *ci = g->c + i * g->ldc;
    const float *ri = f->residual != NULL ? f->residual + i * f->ldr : NULL;
    const float *bi = f->bias != NULL ? f->bias + i * f->bias_s_m : NULL;
    for (ptrdiff_t j = j0; j < j1; j++) {
      float y = f->alpha * ci[j];
      if (bi != NULL) {
        y += f->beta * bi[j * f->bias_s_n];
      }
      if (ri != NULL && !e->residual_after_activation) {
        y += ri[j];
      }
      y = kiln_activate(e, y);
      if (ri != NULL && e->residual_after_activation) {
        y += ri[j];
      }
      ci[j] = y;
    }
  }
}

/* C for rows [i0, i1) and columns [j0, j1) (multiples of MR and NR apart from the ends). */
static void kiln_sgemm_range(const kiln_sgemm_t *g, ptrdiff_t i0, ptrdiff_t i1, ptrdiff_t j0,
                             ptrdiff_t j1, float *scratch) {
  const int fast = kiln_sgemm_fast_finish(g);
  /*
   * A row-major B whose rows hold whole register panels is read in place when it is used for one
   * block of rows only: packing it would copy every element for a single pass.
   */
  const int direct_b = !g->b.prepacked && g->b.conv == NULL && g->b.s_j == 1 &&
                       i1 - i0 <= g->mc && KILN_GEMM_DIRECT_B;
  float *apack = scratch;
  float *bpack = g->a.prepacked ? scratch : scratch + kiln_round_up(g->mc, KILN_GEMM_MR) * g->kc;
  if (g->k == 0) {
    for (ptrdiff_t i = i0; i < i1; i++) {
      for (ptrdiff_t j = j0; j < j1; j++) {
        g->c[i * g->ldc + j] = 0.0f;
      }
    }
    kiln_sgemm_finish(g, i0, i1, j0, j1);
    return;
  }
  for (ptrdiff_t jc = j0; jc < j1; jc += g->nc) {
    const ptrdiff_t ncols = kiln_min_pd(g->nc, j1 - jc);
    for (ptrdiff_t pc = 0; pc < g->k; pc += g->kc) {
      const ptrdiff_t kc = kiln_min_pd(g->kc, g->k - pc);
      if (!g->b.prepacked) {
        for (ptrdiff_t jr = 0; jr < ncols; jr += KILN_GEMM_NR) {
          const ptrdiff_t valid = kiln_min_pd(KILN_GEMM_NR, ncols - jr);
          if (direct_b && valid == KILN_GEMM_NR) {
            continue;
          }
          float *dst = bpack + jr * kc;
          if (g->b.conv != NULL) {
            kiln_pack_b_conv(&g->b, jc + jr, valid, pc, kc, dst);
          } else {
            kiln_pack_b_matrix(&g->b, jc + jr, valid, pc, kc, dst);
          }
        }
      }
      for (ptrdiff_t ic = i0; ic < i1; ic += g->mc) {
        const ptrdiff_t nrows = kiln_min_pd(g->mc, i1 - ic);
        if (!g->a.prepacked) {
          kiln_pack_a(&g->a, ic, nrows, pc, kc, apack);
        }
        for (ptrdiff_t jr = 0; jr < ncols; jr += KILN_GEMM_NR) {
          const ptrdiff_t cols = kiln_min_pd(KILN_GEMM_NR, ncols - jr);
          const int direct = direct_b && cols == KILN_GEMM_NR;
          const float *bp = g->b.prepacked
                                ? g->b.b + (((jc + jr) / KILN_GEMM_NR) * g->k + pc) * KILN_GEMM_NR
                            : direct ? g->b.b + pc * g->b.s_q + jc + jr
                                     : bpack + jr * kc;
          const ptrdiff_t ldb = direct ? g->b.s_q : KILN_GEMM_NR;
          for (ptrdiff_t ir = 0; ir < nrows; ir += KILN_GEMM_MR) {
            const ptrdiff_t rows = kiln_min_pd(KILN_GEMM_MR, nrows - ir);
            const float *ap = g->a.prepacked
                                  ? g->a.a + (((ic + ir) / KILN_GEMM_MR) * g->k + pc) * KILN_GEMM_MR
                                  : apack + ir * kc;
            kiln_tile_finish_t tf;
            const kiln_tile_finish_t *fin = NULL;
            if (fast && pc + kc == g->k) {
              const float *bias = g->fin.bias;
              const int per_row = bias != NULL && g->fin.bias_s_n == 0;
              tf.row_bias = per_row ? bias + (ic + ir) * g->fin.bias_s_m : NULL;
              tf.row_stride = g->fin.bias_s_m;
              tf.col_bias = bias != NULL && !per_row ? bias + jc + jr : NULL;
              tf.beta = g->fin.beta;
              tf.residual = g->fin.residual != NULL
                                ? g->fin.residual + (ic + ir) * g->fin.ldr + jc + jr
                                : NULL;
              tf.ldr = g->fin.ldr;
              tf.epilogue = g->fin.epilogue;
              fin = &tf;
            }
            kiln_sgemm_micro(kc, ap, bp, ldb, g->c + (ic + ir) * g->ldc + jc + jr, g->ldc,
                             pc == 0, rows, cols, fin);
          }
        }
        if (!fast && pc + kc == g->k) {
          kiln_sgemm_finish(g, ic, ic + nrows, jc, jc + ncols);
        }
      }
    }
  }
}

/* The work of one thread: its share of the column panels, or of the row panels when n is short. */
typedef struct kiln_sgemm_task {
  const kiln_sgemm_t *g;
  ptrdiff_t chunks;
  int split_rows;
} kiln_sgemm_task_t;

static void kiln_sgemm_chunk(void *arg, int64_t index) {
  const kiln_sgemm_task_t *t = (const kiln_sgemm_task_t *)arg;
  const kiln_sgemm_t *g = t->g;
  float *scratch =
      (float *)((char *)g->exec->scratch + (ptrdiff_t)index * (ptrdiff_t)g->exec->scratch_stride);
  const ptrdiff_t unit = t->split_rows ? KILN_GEMM_MR : KILN_GEMM_NR;
  const ptrdiff_t extent = t->split_rows ? g->m : g->n;
  const ptrdiff_t panels = (extent + unit - 1) / unit;
  const ptrdiff_t lo = kiln_min_pd(extent, panels * (ptrdiff_t)index / t->chunks * unit);
  const ptrdiff_t hi = kiln_min_pd(extent, panels * ((ptrdiff_t)index + 1) / t->chunks * unit);
  if (lo >= hi) {
    return;
  }
  if (t->split_rows) {
    kiln_sgemm_range(g, lo, hi, 0, g->n, scratch);
  } else {
    kiln_sgemm_range(g, 0, g->m, lo, hi, scratch);
  }
}

/* Runs g on the calling thread or, with a pool, in one chunk per thread. */
static __attribute__((noinline, unused)) void kiln_sgemm_run(const kiln_sgemm_t *g) {
  const kiln_thread_pool_t *pool = g->exec->pool;
  ptrdiff_t threads = pool != NULL && pool->parallel_for != NULL ? pool->num_threads : 1;
  const ptrdiff_t col_panels = (g->n + KILN_GEMM_NR - 1) / KILN_GEMM_NR;
  const ptrdiff_t row_panels = (g->m + KILN_GEMM_MR - 1) / KILN_GEMM_MR;
  const int split_rows = col_panels < 2 * threads && row_panels > col_panels;
  const ptrdiff_t panels = split_rows ? row_panels : col_panels;
  if (threads > panels) {
    threads = panels;
  }
  /* Below about a million multiply-adds a second thread costs more than it saves. */
  if (g->m * g->n * g->k < (ptrdiff_t)1 << 20) {
    threads = 1;
  }
  kiln_sgemm_task_t task = {g, threads < 1 ? 1 : threads, split_rows};
  if (task.chunks == 1) {
    kiln_sgemm_chunk(&task, 0);
    return;
  }
  pool->parallel_for(pool->ctx, task.chunks, kiln_sgemm_chunk, &task);
}

#endif
