/* Drives the host plan of model "m" (two f32 inputs, one f32 output): create, run_host, destroy.
   Prints the status of each step, the message of a failed one, and the outputs (%.9g). The
   inputs are x[i] = (i % 7) / 4 - 0.5 and w[i] = (i % 5) / 2 + 0.25. */
#include "m.h"
#include <stdio.h>

int main(void) {
  static float x[M_INPUT_0_SIZE], w[M_INPUT_1_SIZE], y[M_OUTPUT_0_SIZE];
  const void *inputs[] = {x, w};
  void *outputs[] = {y};
  for (int i = 0; i < M_INPUT_0_SIZE; i++) {
    x[i] = (float)(i % 7) / 4 - 0.5f;
  }
  for (int i = 0; i < M_INPUT_1_SIZE; i++) {
    w[i] = (float)(i % 5) / 2 + 0.25f;
  }
  m_cuda_t *ctx;
  int status = m_cuda_create(&ctx, 0);
  printf("create %d %s\n", status, m_cuda_error(status));
  if (status != M_CUDA_OK) {
    return 0;
  }
  status = m_cuda_run_host(ctx, inputs, outputs);
  printf("run_host %d %s\n", status, m_cuda_error(status));
  for (int i = 0; status == M_CUDA_OK && i < M_OUTPUT_0_SIZE; i++) {
    printf("%.9g\n", y[i]);
  }
  m_cuda_destroy(ctx);
  return 0;
}
