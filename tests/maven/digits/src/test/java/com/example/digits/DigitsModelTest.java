package com.example.digits;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/** The generated class classifies the ten digit glyphs the model was trained on, from any thread. */
class DigitsModelTest {

  /** The digits 0-9 as 8x8 bitmaps, '#' on: the glyphs of examples/digits.onnx's training set. */
  static final String[] GLYPHS = {
    "..####.. .#....#. .#...##. .#..#.#. .#.#..#. .##...#. .#....#. ..####..",
    "...##... ..###... .#.##... ...##... ...##... ...##... ...##... .######.",
    "..####.. .#....#. ......#. .....#.. ....#... ...#.... ..#..... .######.",
    "..####.. .#....#. ......#. ...###.. ......#. ......#. .#....#. ..####..",
    ".....#.. ....##.. ...#.#.. ..#..#.. .#...#.. .######. .....#.. .....#..",
    ".######. .#...... .#...... .#####.. ......#. ......#. .#....#. ..####..",
    "...###.. ..#..... .#...... .#####.. .#....#. .#....#. .#....#. ..####..",
    ".######. ......#. .....#.. ....#... ...#.... ...#.... ...#.... ...#....",
    "..####.. .#....#. .#....#. ..####.. .#....#. .#....#. .#....#. ..####..",
    "..####.. .#....#. .#....#. .#....#. ..#####. ......#. .....#.. ..###...",
  };

  static float[] image(int digit) {
    String rows = GLYPHS[digit].replace(" ", "");
    float[] img = new float[DigitsModel.INPUT_IMAGE_SIZE];
    for (int i = 0; i < img.length; i++) {
      img[i] = rows.charAt(i) == '#' ? 1f : 0f;
    }
    return img;
  }

  static int argmax(float[] p) {
    int best = 0;
    for (int k = 1; k < p.length; k++) {
      if (p[k] > p[best]) {
        best = k;
      }
    }
    return best;
  }

  @Test
  void shapesAreConstants() {
    assertEquals(List.of(1L, 64L), DigitsModel.INPUT_IMAGE_DIMS);
    assertEquals(List.of(1L, 10L), DigitsModel.OUTPUT_PROBABILITIES_DIMS);
    assertNotNull(DigitsModel.class.getResource(DigitsModel.LIBRARY), "digits.so is a resource");
  }

  @Test
  void classifiesEveryDigit() {
    try (DigitsModel model = DigitsModel.load()) {
      for (int digit = 0; digit < 10; digit++) {
        float[] p = model.run(image(digit));
        assertEquals(DigitsModel.OUTPUT_PROBABILITIES_SIZE, p.length);
        assertEquals(digit, argmax(p), "digit " + digit);
      }
    }
  }

  @Test
  void classifiesFromManyThreadsAtOnce() throws Exception {
    try (DigitsModel model = DigitsModel.load()) {
      ExecutorService pool = Executors.newFixedThreadPool(4);
      try {
        List<Future<Integer>> answers = new ArrayList<>();
        for (int n = 0; n < 200; n++) {
          int digit = n % 10;
          answers.add(pool.submit(() -> argmax(model.run(image(digit)))));
        }
        for (int n = 0; n < answers.size(); n++) {
          assertEquals(n % 10, answers.get(n).get(), "run " + n);
        }
      } finally {
        pool.shutdown();
      }
    }
  }
}
