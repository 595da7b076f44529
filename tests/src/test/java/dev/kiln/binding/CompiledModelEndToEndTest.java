package dev.kiln.binding;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.frontend.ImportOptions;
import dev.kiln.frontend.ImportedModel;
import dev.kiln.interp.Interpreter;
import dev.kiln.ir.ElementType;
import dev.kiln.ir.Shape;
import dev.kiln.ir.Tensor;
import dev.kiln.ir.TensorType;
import dev.kiln.onnx.OnnxImporter;
import dev.kiln.runtime.CompiledModel;
import dev.kiln.runtime.TensorInfo;
import dev.kiln.testing.Cli;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code kiln compile --emit so} of {@code examples/digits.onnx} loaded with the Java binding
 * ({@link CompiledModel}): its info table, and its outputs against the interpreter on one thread,
 * on two (the model exports no {@code _run_parallel} yet, so both run {@code digits_run}) and
 * from several calling threads at once.
 */
class CompiledModelEndToEndTest {

  static final Path DIGITS = Path.of("../examples/digits.onnx");

  @Test
  void compiled_digits_matches_the_interpreter(@TempDir Path tmp) throws Exception {
    Cli.Result r = Cli.run(
      "compile",
      DIGITS.toString(),
      "--emit",
      "so",
      "--name",
      "digits",
      "-o",
      tmp.toString()
    );
    assertEquals(0, r.status(), r.err());
    ImportedModel imported = OnnxImporter.importFile(
      DIGITS,
      new ImportOptions(Map.of(), Map.of(), Map.of())
    );
    ExecutorService callers = Executors.newFixedThreadPool(3);
    try (CompiledModel m = CompiledModel.load(tmp.resolve("digits.so"))) {
      assertEquals(
        List.of(new TensorInfo("image", dev.kiln.runtime.ElementType.F32, List.of(1L, 64L))),
        m.inputs()
      );
      assertEquals(1, m.outputs().size());
      assertEquals("probabilities", m.outputs().getFirst().name());
      assertEquals(List.of(1L, 10L), m.outputs().getFirst().dims());
      assertEquals(0, m.workspaceSize() % 64);
      assertEquals(0, m.workspacePerThread() % 64);
      assertTrue(m.workspacePerThread() > 0, "the packed GEMM needs per-thread scratch");
      assertTrue(m.parallel());
      float[][] images = new float[60][];
      double[][] expected = new double[images.length][];
      for (int k = 0; k < images.length; k++) {
        images[k] = random(k);
        expected[k] = interpret(imported, images[k]);
      }
      List<Future<?>> runs = new ArrayList<>();
      for (int t = 0; t < 3; t++) {
        int threads = 1 + (t % 2);
        runs.add(
          callers.submit(() -> {
            for (int k = 0; k < images.length; k++) {
              assertClose(expected[k], m.run(threads, images[k])[0]);
            }
            return null;
          })
        );
      }
      for (Future<?> f : runs) {
        f.get(120, TimeUnit.SECONDS);
      }
    } finally {
      callers.shutdownNow();
    }
  }

  private static float[] random(long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    float[] v = new float[64];
    for (int i = 0; i < v.length; i++) {
      v[i] = (float) r.nextDouble();
    }
    return v;
  }

  private static double[] interpret(ImportedModel m, float[] image) {
    double[] v = new double[image.length];
    for (int i = 0; i < v.length; i++) {
      v[i] = image[i];
    }
    Tensor x = Tensor.ofDoubles(new TensorType(ElementType.F32, Shape.of(1, 64)), v);
    return Interpreter.run(m.module().funcs().getFirst(), List.of(x)).getFirst().toDoubles();
  }

  private static void assertClose(double[] want, float[] got) {
    assertEquals(want.length, got.length);
    for (int i = 0; i < want.length; i++) {
      assertEquals(want[i], got[i], 1e-5 + 1e-4 * Math.abs(want[i]), "element " + i);
    }
  }
}
