/*
 * The Kiln demo: links the compiled examples/digits.onnx (kiln compile examples/digits.onnx
 * --name digits) and classifies a noisy 8x8 image of each digit, then times the model.
 *
 *   cc -std=c11 -O2 main.c digits.o -lm -o demo && ./demo
 */
#define _POSIX_C_SOURCE 199309L
#include "digits.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

/* The glyphs the model was trained on (tests/.../examples/DigitsExample.java). */
static const char *const GLYPHS[10][8] = {
    {"..####..", ".#....#.", ".#...##.", ".#..#.#.", ".#.#..#.", ".##...#.", ".#....#.", "..####.."},
    {"...##...", "..###...", ".#.##...", "...##...", "...##...", "...##...", "...##...", ".######."},
    {"..####..", ".#....#.", "......#.", ".....#..", "....#...", "...#....", "..#.....", ".######."},
    {"..####..", ".#....#.", "......#.", "...###..", "......#.", "......#.", ".#....#.", "..####.."},
    {".....#..", "....##..", "...#.#..", "..#..#..", ".#...#..", ".######.", ".....#..", ".....#.."},
    {".######.", ".#......", ".#......", ".#####..", "......#.", "......#.", ".#....#.", "..####.."},
    {"...###..", "..#.....", ".#......", ".#####..", ".#....#.", ".#....#.", ".#....#.", "..####.."},
    {".######.", "......#.", ".....#..", "....#...", "...#....", "...#....", "...#....", "...#...."},
    {"..####..", ".#....#.", ".#....#.", "..####..", ".#....#.", ".#....#.", ".#....#.", "..####.."},
    {"..####..", ".#....#.", ".#....#.", ".#....#.", "..#####.", "......#.", ".....#..", "..###..."},
};

static uint32_t rng = 12345u;

static float noise(void) {
  rng = rng * 1664525u + 1013904223u;
  return ((float)(rng >> 8) / 16777216.0f - 0.5f) * 0.3f;
}

/* Draws digit d into img (64 floats) with a pixel flipped and some noise. */
static void draw(int d, float *img) {
  for (int y = 0; y < 8; y++) {
    for (int x = 0; x < 8; x++) {
      img[y * 8 + x] = (GLYPHS[d][y][x] == '#' ? 1.0f : 0.0f) + noise();
    }
  }
  int flip = (int)((rng >> 16) % 64);
  img[flip] = 1.0f - img[flip];
}

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

int main(void) {
  static float image[DIGITS_INPUT_0_SIZE];
  static float probabilities[DIGITS_OUTPUT_0_SIZE];
  static _Alignas(64) unsigned char workspace[DIGITS_WORKSPACE_SIZE > 0 ? DIGITS_WORKSPACE_SIZE : 1];
  const void *inputs[] = {image};
  void *outputs[] = {probabilities};

  int correct = 0;
  for (int d = 0; d < 10; d++) {
    draw(d, image);
    if (digits_run(inputs, outputs, workspace) != 0) {
      fprintf(stderr, "digits_run failed\n");
      return 1;
    }
    int best = 0;
    for (int k = 1; k < 10; k++) {
      if (probabilities[k] > probabilities[best]) {
        best = k;
      }
    }
    correct += best == d;
    printf("digit %d -> predicted %d (p = %.3f)%s\n", d, best, (double)probabilities[best],
           best == d ? "" : "  <- wrong");
  }
  printf("%d of 10 correct\n", correct);

  const int runs = 100000;
  double start = now();
  for (int i = 0; i < runs; i++) {
    digits_run(inputs, outputs, workspace);
  }
  double per = (now() - start) / runs;
  printf("%.2f us per inference (%d runs)\n", per * 1e6, runs);
  return 0;
}
