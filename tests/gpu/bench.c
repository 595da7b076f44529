/* Times a model compiled with kiln compile --target cuda --name model: NAME_cuda_run on device
   buffers (inputs filled once with seeded values in [-1, 1)), WARMUP untimed runs, then RUNS runs
   each followed by cuCtxSynchronize, timed one by one; prints "median_us min_us" and exits 0, or a
   message and 1. Build: cc -std=c11 -O2 -I DIR bench.c DIR/model_host.c -ldl. */
#define _POSIX_C_SOURCE 200809L
#include "model.h"
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static const size_t sizes[] = {
#define KILN_SIZE(kind, i) (size_t) MODEL_##kind##_##i##_SIZE *MODEL_##kind##_##i##_ELEM_SIZE
    KILN_SIZE(INPUT, 0),
#if MODEL_NUM_INPUTS > 1
    KILN_SIZE(INPUT, 1),
#endif
#if MODEL_NUM_INPUTS > 2
#error "bench.c handles at most two inputs"
#endif
    KILN_SIZE(OUTPUT, 0),
#if MODEL_NUM_OUTPUTS > 1
    KILN_SIZE(OUTPUT, 1),
#endif
#if MODEL_NUM_OUTPUTS > 2
#error "bench.c handles at most two outputs"
#endif
};

static int compare(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static double now_us(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec * 1e6 + (double)t.tv_nsec / 1e3;
}

int main(int argc, char **argv) {
  long warmup = argc > 1 ? strtol(argv[1], NULL, 10) : 10;
  long runs = argc > 2 ? strtol(argv[2], NULL, 10) : 100;
  model_cuda_t *ctx;
  int rc = model_cuda_create(&ctx, 0);
  if (rc != MODEL_CUDA_OK) {
    fprintf(stderr, "%s\n", model_cuda_error(rc));
    return 1;
  }
  void *cuda = dlopen("libcuda.so.1", RTLD_NOW);
  int (*mem_alloc)(unsigned long long *, size_t) = NULL;
  int (*copy_in)(unsigned long long, const void *, size_t) = NULL;
  int (*synchronize)(void) = NULL;
  *(void **)&mem_alloc = dlsym(cuda, "cuMemAlloc_v2");
  *(void **)&copy_in = dlsym(cuda, "cuMemcpyHtoD_v2");
  *(void **)&synchronize = dlsym(cuda, "cuCtxSynchronize");
  if (mem_alloc == NULL || copy_in == NULL || synchronize == NULL) {
    fprintf(stderr, "the CUDA driver lacks cuMemAlloc_v2, cuMemcpyHtoD_v2 or cuCtxSynchronize\n");
    return 1;
  }
  unsigned long long buffers[MODEL_NUM_INPUTS + MODEL_NUM_OUTPUTS + 1] = {0};
  unsigned seed = 1;
  for (int i = 0; i < MODEL_NUM_INPUTS + MODEL_NUM_OUTPUTS; i++) {
    if (mem_alloc(&buffers[i], sizes[i]) != 0) {
      fprintf(stderr, "cuMemAlloc_v2 failed\n");
      return 1;
    }
    if (i < MODEL_NUM_INPUTS) {
      float *host = malloc(sizes[i]);
      for (size_t k = 0; k < sizes[i] / sizeof(float); k++) {
        seed = seed * 1664525u + 1013904223u;
        host[k] = (float)(seed >> 8) / 8388608.0f - 1.0f;
      }
      copy_in(buffers[i], host, sizes[i]);
      free(host);
    }
  }
  unsigned long long *workspace = &buffers[MODEL_NUM_INPUTS + MODEL_NUM_OUTPUTS];
  if (MODEL_WORKSPACE_SIZE > 0 && mem_alloc(workspace, MODEL_WORKSPACE_SIZE) != 0) {
    fprintf(stderr, "cuMemAlloc_v2 failed for the workspace\n");
    return 1;
  }
  double *t = malloc((size_t)runs * sizeof(double));
  for (long r = 0; r < warmup + runs; r++) {
    double start = now_us();
    rc = model_cuda_run(ctx, buffers, buffers + MODEL_NUM_INPUTS, *workspace, NULL);
    if (rc != MODEL_CUDA_OK || synchronize() != 0) {
      fprintf(stderr, "model_cuda_run: %s\n", model_cuda_error(rc == 0 ? MODEL_CUDA_DRIVER_ERROR : rc));
      return 1;
    }
    if (r >= warmup) {
      t[r - warmup] = now_us() - start;
    }
  }
  qsort(t, (size_t)runs, sizeof(double), compare);
  printf("%.1f %.1f\n", t[runs / 2], t[0]);
  model_cuda_destroy(ctx);
  return 0;
}
