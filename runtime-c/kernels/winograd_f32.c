/*
 * kiln_conv2d_winograd_f32: F(4x4, 3x3) on the packed GEMM of sgemm.h.
 *
 * The tiles of all images are numbered (n, th, tw) row-major and cut into blocks of NR, one B panel
 * each. For a block, the input transform writes V[xi] = B^T d B of every tile and channel straight
 * into packed B panels ([xi][c][NR]), 36 GEMMs multiply the prepacked U[xi] (out_channels x
 * in_channels) by them into M[xi] ([xi][oc][NR]), and the output transform A^T M A adds the
 * epilogue and stores the tiles. Both transforms run on whole vectors of tiles (lane t is tile t of
 * the block): the input patch is first gathered into D[k][p][NR] (row k, column p of each tile's 6
 * x 6 patch, zero outside the image), the output tiles leave through O[i][4 * NR], row i of every
 * tile, tile after tile.
 *
 * Scratch per chunk (floats): V 36 * in_channels * NR, M 36 * out_channels * NR and D 36 * NR (O
 * reuses it). Each output element is the GEMM's sum, in its fixed order,
 * followed by the same transform whatever block the tile lands in, so threads change nothing.
 */
#include "kiln/accel.h"
#include "sgemm.h"

#define WG_ALPHA 6
#define WG_TILE 4

/* Floats of each part of the scratch. */
typedef struct wg_layout {
  ptrdiff_t v, m, d;
} wg_layout_t;

static wg_layout_t wg_layout(const kiln_conv2d_winograd_f32_params_t *p) {
  wg_layout_t l;
  l.v = (ptrdiff_t)KILN_WINOGRAD_POSITIONS * p->in_channels * KILN_GEMM_NR;
  l.m = (ptrdiff_t)KILN_WINOGRAD_POSITIONS * p->out_channels * KILN_GEMM_NR;
  l.d = (ptrdiff_t)KILN_WINOGRAD_POSITIONS * KILN_GEMM_NR;
  return l;
}

int64_t kiln_conv2d_winograd_f32_scratch_size(const kiln_conv2d_winograd_f32_params_t *p) {
  const wg_layout_t l = wg_layout(p);
  return (int64_t)(l.v + l.m + l.d) * (int64_t)sizeof(float);
}

/* o[i * so] = (B^T d)[i] for d[k * sd], k < 6. */
static inline __attribute__((always_inline)) void wg_input_1d(const kiln_vf *d, ptrdiff_t sd,
                                                              kiln_vf *o, ptrdiff_t so) {
  const kiln_vf d0 = d[0], d1 = d[sd], d2 = d[2 * sd], d3 = d[3 * sd], d4 = d[4 * sd],
                d5 = d[5 * sd];
  const kiln_vf four = KILN_SPLAT(4.0f), five = KILN_SPLAT(5.0f), two = KILN_SPLAT(2.0f);
  const kiln_vf t0 = d4 - four * d2, t1 = d3 - four * d1; /* d4 - 4 d2, d3 - 4 d1 */
  const kiln_vf t2 = d4 - d2, t3 = two * (d3 - d1);
  o[0] = four * d0 - five * d2 + d4;
  o[so] = t0 + t1;
  o[2 * so] = t0 - t1;
  o[3 * so] = t2 + t3;
  o[4 * so] = t2 - t3;
  o[5 * so] = four * d1 - five * d3 + d5;
}

/* o[i * so] = (A^T m)[i] for m[k * sm], k < 6. */
static inline __attribute__((always_inline)) void wg_output_1d(const kiln_vf *m, ptrdiff_t sm,
                                                               kiln_vf *o, ptrdiff_t so) {
  const kiln_vf m0 = m[0], m1 = m[sm], m2 = m[2 * sm], m3 = m[3 * sm], m4 = m[4 * sm],
                m5 = m[5 * sm];
  const kiln_vf s12 = m1 + m2, d12 = m1 - m2, s34 = m3 + m4, d34 = m3 - m4;
  o[0] = m0 + s12 + s34;
  o[so] = d12 + KILN_SPLAT(2.0f) * d34;
  o[2 * so] = s12 + KILN_SPLAT(4.0f) * s34;
  o[3 * so] = d12 + KILN_SPLAT(8.0f) * d34 + m5;
}

/* The tiles of one block that share an image and a tile row. */
typedef struct wg_run {
  ptrdiff_t n, th, tw, t, count; /* image, tile row, first tile column, first lane, tiles */
} wg_run_t;

typedef struct wg_block {
  wg_run_t runs[KILN_GEMM_NR];
  ptrdiff_t nruns, valid;
} wg_block_t;

static void wg_runs(ptrdiff_t tiles_h, ptrdiff_t tiles_w, ptrdiff_t j0, ptrdiff_t valid,
                    wg_block_t *b) {
  b->nruns = 0;
  b->valid = valid;
  for (ptrdiff_t t = 0, j = j0; t < valid; b->nruns++) {
    wg_run_t *r = &b->runs[b->nruns];
    const ptrdiff_t row = j / tiles_w;
    r->n = row / tiles_h;
    r->th = row % tiles_h;
    r->tw = j % tiles_w;
    r->t = t;
    r->count = kiln_min_pd(valid - t, tiles_w - r->tw);
    t += r->count;
    j += r->count;
  }
}

/* V[xi][c][lane] = (B^T d B)[xi] of every tile of the block, every channel. */
static void wg_input(const kiln_conv2d_winograd_f32_params_t *p, const wg_block_t *b,
                     const float *KILN_RESTRICT x, float *KILN_RESTRICT v, float *KILN_RESTRICT d) {
  const ptrdiff_t in_plane = (ptrdiff_t)p->in_h * p->in_w;
  const ptrdiff_t channels = p->in_channels;
  for (ptrdiff_t i = 0; i < KILN_WINOGRAD_POSITIONS; i++) {
    for (ptrdiff_t t = b->valid; t < KILN_GEMM_NR; t++) {
      d[i * KILN_GEMM_NR + t] = 0.0f;
    }
  }
  for (ptrdiff_t c = 0; c < channels; c++) {
    for (ptrdiff_t r = 0; r < b->nruns; r++) {
      const wg_run_t *run = &b->runs[r];
      const float *plane = x + (run->n * channels + c) * in_plane;
      for (ptrdiff_t k = 0; k < WG_ALPHA; k++) {
        const ptrdiff_t ih = run->th * WG_TILE - p->pad_top + k;
        for (ptrdiff_t q = 0; q < WG_ALPHA; q++) {
          float *dst = d + (k * WG_ALPHA + q) * KILN_GEMM_NR + run->t;
          const ptrdiff_t tap = run->tw * WG_TILE + q - p->pad_left;
          ptrdiff_t lo = run->count, hi = run->count;
          if (ih >= 0 && ih < p->in_h) {
            kiln_valid_range(tap, WG_TILE, p->in_w, run->count, &lo, &hi);
          }
          for (ptrdiff_t t = 0; t < lo; t++) {
            dst[t] = 0.0f;
          }
          if (lo < hi) {
            /* src[t * 4] is input column (lo + t) * 4 + tap, inside the row. */
            const float *src = plane + ih * p->in_w + lo * WG_TILE + tap;
            for (ptrdiff_t t = lo; t < hi; t++) {
              dst[t] = src[(t - lo) * WG_TILE];
            }
          }
          for (ptrdiff_t t = hi; t < run->count; t++) {
            dst[t] = 0.0f;
          }
        }
      }
    }
    for (ptrdiff_t lane = 0; lane < KILN_GEMM_NR; lane += KILN_GEMM_VLEN) {
      kiln_vf in[KILN_WINOGRAD_POSITIONS], mid[KILN_WINOGRAD_POSITIONS];
      KILN_UNROLL
      for (int i = 0; i < KILN_WINOGRAD_POSITIONS; i++) {
        in[i] = *(const kiln_vf_u *)(d + i * KILN_GEMM_NR + lane);
      }
      KILN_UNROLL
      for (int q = 0; q < WG_ALPHA; q++) {
        wg_input_1d(in + q, WG_ALPHA, mid + q, WG_ALPHA);
      }
      KILN_UNROLL
      for (int a = 0; a < WG_ALPHA; a++) {
        wg_input_1d(mid + a * WG_ALPHA, 1, in + a * WG_ALPHA, 1);
      }
      float *out = v + c * KILN_GEMM_NR + lane;
      KILN_UNROLL
      for (int i = 0; i < KILN_WINOGRAD_POSITIONS; i++) {
        *(kiln_vf_u *)(out + i * channels * KILN_GEMM_NR) = in[i];
      }
    }
  }
}

#if KILN_VLEN == 4
#define WG_ZIP1_LO 0, 4, 1, 5
#define WG_ZIP1_HI 2, 6, 3, 7
#define WG_ZIP2_LO 0, 1, 4, 5
#define WG_ZIP2_HI 2, 3, 6, 7
#elif KILN_VLEN == 8
#define WG_ZIP1_LO 0, 8, 1, 9, 2, 10, 3, 11
#define WG_ZIP1_HI 4, 12, 5, 13, 6, 14, 7, 15
#define WG_ZIP2_LO 0, 1, 8, 9, 2, 3, 10, 11
#define WG_ZIP2_HI 4, 5, 12, 13, 6, 7, 14, 15
#elif KILN_VLEN == 16
#define WG_ZIP1_LO 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23
#define WG_ZIP1_HI 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31
#define WG_ZIP2_LO 0, 1, 16, 17, 2, 3, 18, 19, 4, 5, 20, 21, 6, 7, 22, 23
#define WG_ZIP2_HI 8, 9, 24, 25, 10, 11, 26, 27, 12, 13, 28, 29, 14, 15, 30, 31
#endif

/* dst[4 * l + j] = v[j][l]: the four columns of a row of KILN_VLEN tiles, tile after tile. */
static inline __attribute__((always_inline)) void wg_interleave4(const kiln_vf *v,
                                                                 float *KILN_RESTRICT dst) {
#if KILN_VLEN == 1
  for (int j = 0; j < WG_TILE; j++) {
    dst[j] = v[j];
  }
#else
  const kiln_vf ab_lo = __builtin_shufflevector(v[0], v[1], WG_ZIP1_LO);
  const kiln_vf ab_hi = __builtin_shufflevector(v[0], v[1], WG_ZIP1_HI);
  const kiln_vf cd_lo = __builtin_shufflevector(v[2], v[3], WG_ZIP1_LO);
  const kiln_vf cd_hi = __builtin_shufflevector(v[2], v[3], WG_ZIP1_HI);
  *(kiln_vf_u *)dst = __builtin_shufflevector(ab_lo, cd_lo, WG_ZIP2_LO);
  *(kiln_vf_u *)(dst + KILN_VLEN) = __builtin_shufflevector(ab_lo, cd_lo, WG_ZIP2_HI);
  *(kiln_vf_u *)(dst + 2 * KILN_VLEN) = __builtin_shufflevector(ab_hi, cd_hi, WG_ZIP2_LO);
  *(kiln_vf_u *)(dst + 3 * KILN_VLEN) = __builtin_shufflevector(ab_hi, cd_hi, WG_ZIP2_HI);
#endif
}

/*
 * y = epilogue(A^T M A) for every tile of the block and output channels [o0, o1). The tiles' rows
 * leave through o, row i of every tile of the block in o[i * 4 * NR + 4 * lane + j] (interleaved
 * in registers), so each run of tiles is a contiguous output row segment there. Without a residual
 * the bias and activation are applied to the vectors before, and the segments are copied.
 */
static void wg_output(const kiln_conv2d_winograd_f32_params_t *p, const wg_block_t *b,
                      ptrdiff_t o0, ptrdiff_t o1, const float *KILN_RESTRICT m, const float *KILN_RESTRICT bias,
                      const float *KILN_RESTRICT residual, float *KILN_RESTRICT y,
                      float *KILN_RESTRICT o) {
  const ptrdiff_t out_plane = (ptrdiff_t)p->out_h * p->out_w;
  const ptrdiff_t oc_count = p->out_channels;
  const ptrdiff_t row_floats = WG_TILE * KILN_GEMM_NR;
  for (ptrdiff_t oc = o0; oc < o1; oc++) {
    const float *mo = m + oc * KILN_GEMM_NR;
    const float bv = bias != NULL ? bias[oc] : 0.0f;
    for (ptrdiff_t lane = 0; lane < b->valid; lane += KILN_GEMM_VLEN) {
      kiln_vf in[KILN_WINOGRAD_POSITIONS], mid[WG_TILE * WG_ALPHA], out[WG_TILE * WG_TILE];
      KILN_UNROLL
      for (int i = 0; i < KILN_WINOGRAD_POSITIONS; i++) {
        in[i] = *(const kiln_vf_u *)(mo + i * oc_count * KILN_GEMM_NR + lane);
      }
      KILN_UNROLL
      for (int q = 0; q < WG_ALPHA; q++) {
        wg_output_1d(in + q, WG_ALPHA, mid + q, WG_ALPHA);
      }
      KILN_UNROLL
      for (int i = 0; i < WG_TILE; i++) {
        wg_output_1d(mid + i * WG_ALPHA, 1, out + i * WG_TILE, 1);
      }
      if (residual == NULL) {
        KILN_UNROLL
        for (int i = 0; i < WG_TILE * WG_TILE; i++) {
          out[i] = kiln_vactivate(&p->epilogue, out[i] + KILN_SPLAT(bv));
        }
      }
      KILN_UNROLL
      for (int i = 0; i < WG_TILE; i++) {
        wg_interleave4(out + i * WG_TILE, o + i * row_floats + WG_TILE * lane);
      }
    }
    for (ptrdiff_t r = 0; r < b->nruns; r++) {
      const wg_run_t *run = &b->runs[r];
      const ptrdiff_t ow = run->tw * WG_TILE;
      const ptrdiff_t width = kiln_min_pd(run->count * WG_TILE, p->out_w - ow);
      for (ptrdiff_t i = 0; i < WG_TILE; i++) {
        const ptrdiff_t oh = run->th * WG_TILE + i;
        if (oh >= p->out_h) {
          break;
        }
        const float *src = o + i * row_floats + WG_TILE * run->t;
        const ptrdiff_t off = (run->n * oc_count + oc) * out_plane + oh * p->out_w + ow;
        if (residual == NULL) {
          kiln_copy_strided(y + off, src, width, 1);
        } else {
          kiln_epilogue_row(&p->epilogue, src, bv, residual + off, y + off, width);
        }
      }
    }
  }
}

typedef struct wg_task {
  const kiln_conv2d_winograd_f32_params_t *p;
  const float *x, *w, *bias, *residual;
  float *y;
  const kiln_exec_t *exec;
  ptrdiff_t tiles_h, tiles_w, blocks;
  ptrdiff_t block_chunks, oc_chunks; /* chunk i: blocks part i / oc_chunks, channels i % oc_chunks */
} wg_task_t;

static void wg_chunk(void *arg, int64_t index) {
  const wg_task_t *tk = (const wg_task_t *)arg;
  const kiln_conv2d_winograd_f32_params_t *p = tk->p;
  const wg_layout_t l = wg_layout(p);
  float *v = (float *)((char *)tk->exec->scratch +
                       (ptrdiff_t)index * (ptrdiff_t)tk->exec->scratch_stride);
  float *m = v + l.v, *d = m + l.m;
  const ptrdiff_t tiles = p->batch * tk->tiles_h * tk->tiles_w;
  const ptrdiff_t bi = (ptrdiff_t)index / tk->oc_chunks, oi = (ptrdiff_t)index % tk->oc_chunks;
  const ptrdiff_t lo = tk->blocks * bi / tk->block_chunks;
  const ptrdiff_t hi = tk->blocks * (bi + 1) / tk->block_chunks;
  const ptrdiff_t row_panels = (p->out_channels + KILN_GEMM_MR - 1) / KILN_GEMM_MR;
  const ptrdiff_t o0 = kiln_min_pd(p->out_channels, row_panels * oi / tk->oc_chunks * KILN_GEMM_MR);
  const ptrdiff_t o1 =
      kiln_min_pd(p->out_channels, row_panels * (oi + 1) / tk->oc_chunks * KILN_GEMM_MR);
  if (lo >= hi || o0 >= o1) {
    return;
  }
  const kiln_epilogue_t none = {KILN_ACT_NONE, 0, 0.0f, 0.0f, 0.0f};
  kiln_sgemm_t g;
  g.m = o1 - o0;
  g.n = KILN_GEMM_NR;
  g.k = p->in_channels;
  kiln_sgemm_blocks(&g, p->mc, KILN_GEMM_NR, p->kc);
  g.a.s_i = g.k;
  g.a.s_q = 1;
  g.a.prepacked = 1;
  g.b.s_q = KILN_GEMM_NR;
  g.b.s_j = 1;
  g.b.prepacked = 1;
  g.b.conv = NULL;
  g.ldc = KILN_GEMM_NR;
  g.fin.alpha = 1.0f;
  g.fin.beta = 1.0f;
  g.fin.bias = NULL;
  g.fin.bias_s_m = 0;
  g.fin.bias_s_n = 0;
  g.fin.residual = NULL;
  g.fin.ldr = KILN_GEMM_NR;
  g.fin.epilogue = &none;
  g.exec = NULL;
  const ptrdiff_t a_size = row_panels * KILN_GEMM_MR * g.k;
  for (ptrdiff_t blk = lo; blk < hi; blk++) {
    const ptrdiff_t j0 = blk * KILN_GEMM_NR;
    wg_block_t b;
    wg_runs(tk->tiles_h, tk->tiles_w, j0, kiln_min_pd(KILN_GEMM_NR, tiles - j0), &b);
    wg_input(p, &b, tk->x, v, d);
    for (ptrdiff_t xi = 0; xi < KILN_WINOGRAD_POSITIONS; xi++) {
      g.a.a = tk->w + xi * a_size + o0 * g.k;
      g.b.b = v + xi * g.k * KILN_GEMM_NR;
      g.c = m + (xi * p->out_channels + o0) * KILN_GEMM_NR;
      kiln_sgemm_range(&g, 0, g.m, 0, b.valid, NULL);
    }
    wg_output(p, &b, o0, o1, m, tk->bias, tk->residual, tk->y, d);
  }
}

void kiln_conv2d_winograd_f32(const kiln_conv2d_winograd_f32_params_t *p,
                              const float *KILN_RESTRICT x, const float *KILN_RESTRICT w,
                              const float *KILN_RESTRICT bias, const float *KILN_RESTRICT residual,
                              float *KILN_RESTRICT y, const kiln_exec_t *exec) {
  if (p->batch <= 0 || p->out_channels <= 0 || p->out_h <= 0 || p->out_w <= 0) {
    return;
  }
  wg_task_t tk;
  tk.p = p;
  tk.x = x;
  tk.w = w;
  tk.bias = bias;
  tk.residual = residual;
  tk.y = y;
  tk.exec = exec;
  tk.tiles_h = (p->out_h + WG_TILE - 1) / WG_TILE;
  tk.tiles_w = (p->out_w + WG_TILE - 1) / WG_TILE;
  const ptrdiff_t tiles = p->batch * tk.tiles_h * tk.tiles_w;
  tk.blocks = (tiles + KILN_GEMM_NR - 1) / KILN_GEMM_NR;
  const kiln_thread_pool_t *pool = exec->pool;
  ptrdiff_t threads = pool != NULL && pool->parallel_for != NULL ? pool->num_threads : 1;
  /*
   * Threads share the blocks when there are enough to balance; otherwise each transforms every
   * block's input and takes a share of the output channels.
   */
  const ptrdiff_t row_panels = (p->out_channels + KILN_GEMM_MR - 1) / KILN_GEMM_MR;
  tk.block_chunks = 1;
  tk.oc_chunks = 1;
  if (tk.blocks % threads == 0 || tk.blocks >= 2 * threads) {
    tk.block_chunks = kiln_min_pd(threads, tk.blocks);
  } else {
    tk.oc_chunks = kiln_min_pd(threads, row_panels);
  }
  const ptrdiff_t chunks = tk.block_chunks * tk.oc_chunks;
  if (chunks <= 1) {
    wg_chunk(&tk, 0);
    return;
  }
  pool->parallel_for(pool->ctx, chunks, wg_chunk, &tk);
}

int32_t kiln_accel_conv2d_winograd_f32(const kiln_conv2d_winograd_f32_params_t *p,
                                       const float *KILN_RESTRICT x, const float *KILN_RESTRICT w,
                                       const float *KILN_RESTRICT bias,
                                       const float *KILN_RESTRICT residual, float *KILN_RESTRICT y,
                                       const kiln_exec_t *exec) {
  KILN_ACCEL_TRY(conv2d_winograd_f32, p, x, w, bias, residual, y);
  kiln_conv2d_winograd_f32(p, x, w, bias, residual, y, exec);
  return KILN_OK;
}
