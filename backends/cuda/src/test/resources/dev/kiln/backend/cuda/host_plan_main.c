/* Drives the host plan of model "m" (two inputs, one output): create, run_host, destroy. Prints
   the status of each step and the message of a failed one. */
#include "m.h"
#include <stdio.h>

int main(void) {
  static float x[M_INPUT_0_SIZE], w[M_INPUT_1_SIZE], y[M_OUTPUT_0_SIZE];
  const void *inputs[] = {x, w};
  void *outputs[] = {y};
  m_cuda_t *ctx;
  int status = m_cuda_create(&ctx, 0);
  printf("create %d %s\n", status, m_cuda_error(status));
  if (status != M_CUDA_OK) {
    return 0;
  }
  status = m_cuda_run_host(ctx, inputs, outputs);
  printf("run_host %d %s\n", status, m_cuda_error(status));
  m_cuda_destroy(ctx);
  return 0;
}
