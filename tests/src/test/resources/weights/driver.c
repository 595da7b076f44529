/*
 * Runs a model compiled as "digits" with --weights-file: reads digits_weights.bin into a 64-byte
 * aligned buffer, runs digits_run_ctx on an image given as 64 numbers on the command line and
 * prints the 10 outputs; then prints what digits_run (no weights) and a misaligned blob return.
 */
#include "digits.h"
#include "kiln/runtime.h"

#include <stdio.h>
#include <stdlib.h>

static _Alignas(64) unsigned char blob[DIGITS_WEIGHTS_SIZE + 64];
static _Alignas(64) unsigned char workspace[DIGITS_WORKSPACE_SIZE > 0 ? DIGITS_WORKSPACE_SIZE : 1];

int main(int argc, char **argv) {
  float x[DIGITS_INPUT_0_SIZE], y[DIGITS_OUTPUT_0_SIZE];
  FILE *f = fopen("digits_weights.bin", "rb");
  if (f == NULL || fread(blob, 1, DIGITS_WEIGHTS_SIZE, f) != DIGITS_WEIGHTS_SIZE ||
      argc != 1 + DIGITS_INPUT_0_SIZE) {
    fprintf(stderr, "usage: driver 64 numbers, with digits_weights.bin here\n");
    return 2;
  }
  fclose(f);
  for (int i = 0; i < DIGITS_INPUT_0_SIZE; i++) {
    x[i] = strtof(argv[i + 1], NULL);
  }
  const void *inputs[] = {x};
  void *outputs[] = {y};
  kiln_run_ctx_t ctx = {NULL, NULL, blob};
  int status = digits_run_ctx(inputs, outputs, workspace, &ctx);
  printf("status %d\n", status);
  for (int i = 0; i < DIGITS_OUTPUT_0_SIZE; i++) {
    printf("%.9g\n", (double)y[i]);
  }
  printf("without weights %d\n", digits_run(inputs, outputs, workspace));
  ctx.weights = blob + 4;
  printf("misaligned %d\n", digits_run_ctx(inputs, outputs, workspace, &ctx));
  return 0;
}
