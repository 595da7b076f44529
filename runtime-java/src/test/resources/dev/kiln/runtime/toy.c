/*
 * A hand-written library that keeps the generated-model contract of kiln/runtime.h for the
 * CompiledModel tests: toy(a[4][8], b[8]) -> (sum = a + b broadcast over rows, chunks[1]).
 * chunks is the number of parallel_for tasks that ran (1 without a pool). Built with
 * -DTOY_PARALLEL=BYTES it exports toy_run_parallel with BYTES of workspace per extra thread, which
 * every task beyond the first fills and reads back; without it only toy_run and toy_info.
 */
#include "kiln/runtime.h"

#define ROWS 4
#define COLS 8
#define WORKSPACE 64

#ifndef TOY_PARALLEL
#define TOY_PARALLEL 0
#endif

static const kiln_tensor_desc_t toy_inputs[2] = {
    {"a", KILN_F32, 2, {ROWS, COLS, 0, 0, 0, 0, 0, 0}},
    {"b", KILN_F32, 1, {COLS, 0, 0, 0, 0, 0, 0, 0}},
};
static const kiln_tensor_desc_t toy_outputs[2] = {
    {"sum", KILN_F32, 2, {ROWS, COLS, 0, 0, 0, 0, 0, 0}},
    {"chunks", KILN_F32, 1, {1, 0, 0, 0, 0, 0, 0, 0}},
};
static const kiln_model_info_t toy_table = {
    KILN_MODEL_ABI_VERSION, 2, 2, 0, WORKSPACE, TOY_PARALLEL, toy_inputs, toy_outputs};

const kiln_model_info_t *toy_info(void) { return &toy_table; }

struct toy_job {
  const float *a;
  const float *b;
  float *sum;
  unsigned char *workspace;
  int64_t tasks;
  volatile int failed;
};

static void toy_rows(struct toy_job *job, int64_t task) {
  unsigned char *scratch = job->workspace;
  if (task > 0) {
    scratch += WORKSPACE + (task - 1) * TOY_PARALLEL;
  }
  for (int64_t r = task; r < ROWS; r += job->tasks) {
    for (int c = 0; c < COLS; c++) {
      float *cell = (float *)scratch;
      *cell = job->a[r * COLS + c] + job->b[c];
      job->sum[r * COLS + c] = *cell;
    }
  }
  if (task > 0) {
    for (int64_t i = 4; i < TOY_PARALLEL; i++) {
      scratch[i] = (unsigned char)task;
    }
    for (int64_t i = 4; i < TOY_PARALLEL; i++) {
      if (scratch[i] != (unsigned char)task) {
        job->failed = 1;
      }
    }
  }
}

static void toy_task(void *arg, int64_t index) { toy_rows((struct toy_job *)arg, index); }

static int toy_go(const void *const *inputs, void *const *outputs, void *workspace,
                  const kiln_thread_pool_t *pool) {
  struct toy_job job = {inputs[0], inputs[1], outputs[0], workspace, 1, 0};
  if (pool && pool->parallel_for && pool->num_threads > 1) {
    job.tasks = pool->num_threads;
    pool->parallel_for(pool->ctx, job.tasks, toy_task, &job);
  } else {
    toy_rows(&job, 0);
  }
  ((float *)outputs[1])[0] = (float)job.tasks;
  return job.failed ? KILN_ERR_INTERNAL : KILN_OK;
}

int toy_run(const void *const *inputs, void *const *outputs, void *workspace) {
  return toy_go(inputs, outputs, workspace, 0);
}

#if TOY_PARALLEL > 0
int toy_run_parallel(const void *const *inputs, void *const *outputs, void *workspace,
                     const kiln_thread_pool_t *pool) {
  return toy_go(inputs, outputs, workspace, pool);
}
#endif
