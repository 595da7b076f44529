package dev.kiln.examples;

import static dev.kiln.testing.OnnxModels.floats;
import static dev.kiln.testing.OnnxModels.input;
import static dev.kiln.testing.OnnxModels.node;
import static dev.kiln.testing.OnnxModels.output;

import dev.kiln.onnx.proto.OnnxProto.GraphProto;
import dev.kiln.onnx.proto.OnnxProto.ModelProto;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Builds {@code examples/digits.onnx}, the model {@code kiln demo} compiles: a two-layer perceptron
 * (64 -> 32 ReLU -> 10 softmax) that reads an 8x8 grayscale image of a digit and gives the
 * probability of each digit 0-9. It is trained here, deterministically, on the ten glyphs of
 * {@link #GLYPHS} shifted by up to one pixel, with 4% of the pixels flipped and Gaussian noise
 * (sigma 0.1) added: plain SGD on cross-entropy, learning rate 0.05, 30 epochs of 3,000 images,
 * He-initialized weights from a fixed seed. Java arithmetic is reproducible, so the same bytes come
 * out every time; {@code DigitsExampleTest} checks the checked-in file against them and the
 * model's accuracy on fresh noisy images. Run {@code main} to rewrite the file.
 */
public final class DigitsExample {

  /** The digits 0-9 as 8x8 bitmaps, '#' on. {@code examples/main.c} draws the same glyphs. */
  static final String[][] GLYPHS = {
    {
      "..####..",
      ".#....#.",
      ".#...##.",
      ".#..#.#.",
      ".#.#..#.",
      ".##...#.",
      ".#....#.",
      "..####..",
    },
    {
      "...##...",
      "..###...",
      ".#.##...",
      "...##...",
      "...##...",
      "...##...",
      "...##...",
      ".######.",
    },
    {
      "..####..",
      ".#....#.",
      "......#.",
      ".....#..",
      "....#...",
      "...#....",
      "..#.....",
      ".######.",
    },
    {
      "..####..",
      ".#....#.",
      "......#.",
      "...###..",
      "......#.",
      "......#.",
      ".#....#.",
      "..####..",
    },
    {
      ".....#..",
      "....##..",
      "...#.#..",
      "..#..#..",
      ".#...#..",
      ".######.",
      ".....#..",
      ".....#..",
    },
    {
      ".######.",
      ".#......",
      ".#......",
      ".#####..",
      "......#.",
      "......#.",
      ".#....#.",
      "..####..",
    },
    {
      "...###..",
      "..#.....",
      ".#......",
      ".#####..",
      ".#....#.",
      ".#....#.",
      ".#....#.",
      "..####..",
    },
    {
      ".######.",
      "......#.",
      ".....#..",
      "....#...",
      "...#....",
      "...#....",
      "...#....",
      "...#....",
    },
    {
      "..####..",
      ".#....#.",
      ".#....#.",
      "..####..",
      ".#....#.",
      ".#....#.",
      ".#....#.",
      "..####..",
    },
    {
      "..####..",
      ".#....#.",
      ".#....#.",
      ".#....#.",
      "..#####.",
      "......#.",
      ".....#..",
      "..###...",
    },
  };

  static final int PIXELS = 64;
  static final int HIDDEN = 32;
  static final int CLASSES = 10;

  private DigitsExample() {}

  /** A noisy, shifted image of {@code digit} (row-major 8x8, values near 0 or 1). */
  static float[] sample(int digit, SplittableRandom r) {
    int dx = r.nextInt(3) - 1;
    int dy = r.nextInt(3) - 1;
    float[] img = new float[PIXELS];
    for (int y = 0; y < 8; y++) {
      for (int x = 0; x < 8; x++) {
        int sy = y - dy;
        int sx = x - dx;
        boolean on = sy >= 0 && sy < 8 && sx >= 0 && sx < 8 && GLYPHS[digit][sy].charAt(sx) == '#';
        if (r.nextDouble() < 0.04) {
          on = !on;
        }
        img[y * 8 + x] = (float) ((on ? 1.0 : 0.0) + 0.1 * gaussian(r));
      }
    }
    return img;
  }

  private static double gaussian(SplittableRandom r) {
    double u = 1.0 - r.nextDouble();
    double v = r.nextDouble();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** Trained weights: w1 [64 x 32], b1 [32], w2 [32 x 10], b2 [10]. */
  record Weights(float[] w1, float[] b1, float[] w2, float[] b2) {
    /** The class probabilities of {@code img}, computed in double precision. */
    double[] predict(float[] img) {
      double[] h = new double[HIDDEN];
      for (int j = 0; j < HIDDEN; j++) {
        double s = b1[j];
        for (int i = 0; i < PIXELS; i++) {
          s += img[i] * w1[i * HIDDEN + j];
        }
        h[j] = Math.max(0, s);
      }
      double[] z = new double[CLASSES];
      double max = Double.NEGATIVE_INFINITY;
      for (int k = 0; k < CLASSES; k++) {
        double s = b2[k];
        for (int j = 0; j < HIDDEN; j++) {
          s += h[j] * w2[j * CLASSES + k];
        }
        z[k] = s;
        max = Math.max(max, s);
      }
      double sum = 0;
      for (int k = 0; k < CLASSES; k++) {
        z[k] = Math.exp(z[k] - max);
        sum += z[k];
      }
      for (int k = 0; k < CLASSES; k++) {
        z[k] /= sum;
      }
      return z;
    }
  }

  static Weights train() {
    SplittableRandom r = new SplittableRandom(20261123);
    double[] w1 = new double[PIXELS * HIDDEN];
    double[] b1 = new double[HIDDEN];
    double[] w2 = new double[HIDDEN * CLASSES];
    double[] b2 = new double[CLASSES];
    for (int i = 0; i < w1.length; i++) {
      w1[i] = gaussian(r) * Math.sqrt(2.0 / PIXELS);
    }
    for (int i = 0; i < w2.length; i++) {
      w2[i] = gaussian(r) * Math.sqrt(2.0 / HIDDEN);
    }
    double lr = 0.05;
    double[] h = new double[HIDDEN];
    double[] p = new double[CLASSES];
    double[] dh = new double[HIDDEN];
    for (int epoch = 0; epoch < 30; epoch++) {
      for (int n = 0; n < 3000; n++) {
        int digit = r.nextInt(CLASSES);
        float[] x = sample(digit, r);
        for (int j = 0; j < HIDDEN; j++) {
          double s = b1[j];
          for (int i = 0; i < PIXELS; i++) {
            s += x[i] * w1[i * HIDDEN + j];
          }
          h[j] = Math.max(0, s);
        }
        double max = Double.NEGATIVE_INFINITY;
        for (int k = 0; k < CLASSES; k++) {
          double s = b2[k];
          for (int j = 0; j < HIDDEN; j++) {
            s += h[j] * w2[j * CLASSES + k];
          }
          p[k] = s;
          max = Math.max(max, s);
        }
        double sum = 0;
        for (int k = 0; k < CLASSES; k++) {
          p[k] = Math.exp(p[k] - max);
          sum += p[k];
        }
        for (int k = 0; k < CLASSES; k++) {
          p[k] = p[k] / sum - (k == digit ? 1 : 0);
        }
        for (int j = 0; j < HIDDEN; j++) {
          double g = 0;
          for (int k = 0; k < CLASSES; k++) {
            g += p[k] * w2[j * CLASSES + k];
            w2[j * CLASSES + k] -= lr * p[k] * h[j];
          }
          dh[j] = h[j] > 0 ? g : 0;
        }
        for (int k = 0; k < CLASSES; k++) {
          b2[k] -= lr * p[k];
        }
        for (int j = 0; j < HIDDEN; j++) {
          if (dh[j] == 0) {
            continue;
          }
          for (int i = 0; i < PIXELS; i++) {
            w1[i * HIDDEN + j] -= lr * dh[j] * x[i];
          }
          b1[j] -= lr * dh[j];
        }
      }
    }
    return new Weights(toFloats(w1), toFloats(b1), toFloats(w2), toFloats(b2));
  }

  private static float[] toFloats(double[] v) {
    float[] f = new float[v.length];
    for (int i = 0; i < v.length; i++) {
      f[i] = (float) v[i];
    }
    return f;
  }

  /** The ONNX model: image [1, 64] -> Gemm -> Relu -> Gemm -> Softmax -> probabilities [1, 10]. */
  static ModelProto model(Weights w) {
    GraphProto.Builder g = GraphProto.newBuilder()
      .setName("digits")
      .addInput(input("image", 1, PIXELS))
      .addOutput(output("probabilities"))
      .addInitializer(floats("w1", new long[] { PIXELS, HIDDEN }, w.w1()))
      .addInitializer(floats("b1", new long[] { HIDDEN }, w.b1()))
      .addInitializer(floats("w2", new long[] { HIDDEN, CLASSES }, w.w2()))
      .addInitializer(floats("b2", new long[] { CLASSES }, w.b2()))
      .addNode(node("Gemm", "hidden", List.of("image", "w1", "b1"), List.of("h")))
      .addNode(node("Relu", "relu", List.of("h"), List.of("a")))
      .addNode(node("Gemm", "logits", List.of("a", "w2", "b2"), List.of("z")))
      .addNode(node("Softmax", "softmax", List.of("z"), List.of("probabilities")));
    return dev.kiln.testing.OnnxModels.model(g);
  }

  /** Rewrites {@code examples/digits.onnx} (argument: the repository root, default "."). */
  public static void main(String[] args) throws IOException {
    Path root = Path.of(args.length > 0 ? args[0] : ".");
    Files.write(root.resolve("examples/digits.onnx"), model(train()).toByteArray());
  }
}
