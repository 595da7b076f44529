package dev.kiln.tf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.kiln.backend.llvm.Targets;
import dev.kiln.conformance.ConformanceRunner;
import dev.kiln.conformance.Tolerance;
import dev.kiln.emit.NativeCompiler;
import dev.kiln.emit.NativeEngine;
import dev.kiln.emit.Toolchain;
import dev.kiln.frontend.ImportOptions;
import dev.kiln.frontend.ImportedModel;
import dev.kiln.interp.Interpreter;
import dev.kiln.ir.ElementType;
import dev.kiln.ir.Shape;
import dev.kiln.ir.Tensor;
import dev.kiln.ir.TensorType;
import dev.kiln.pass.PassManager;
import dev.kiln.pass.Pipelines;
import dev.kiln.testing.Idx;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The real frozen graphs in {@code ../shared/tf} through the interpreter: the MNIST classifiers
 * reach the accuracy an independent NumPy evaluation measured on the first 1,000 test images
 * (pixel / 255), and the keyword-spotting and MobileNet graphs import and run. Skipped when {@code
 * ../shared} is absent.
 */
class TfModelsTest {

  static final Path TF = Path.of("../../shared/tf");
  static final int IMAGES = 1000;

  static void assumePresent(Path p) {
    assumeTrue(Files.exists(p), "skipped: " + p.toAbsolutePath().normalize() + " is absent");
  }

  static double accuracy(Path graph, String input) throws IOException {
    return accuracy(graph, input, ConformanceRunner.Engine.INTERPRETER);
  }

  /** The host's native engine, or a skip when there is no C compiler to link with. */
  static ConformanceRunner.Engine nativeEngine(String target) {
    Targets.Resolved t = NativeCompiler.resolve(target, null);
    assumeTrue(
      Toolchain.available(t),
      "skipped: no toolchain to link and run " + t.target().name()
    );
    return new NativeEngine(t, 600);
  }

  /** Optimizes at -O2, then runs with {@code engine}. */
  static List<Tensor> runOptimized(ImportedModel m, List<Tensor> args, ConformanceRunner.Engine e) {
    Pipelines.manager(Pipelines.DEFAULT_LEVEL, List.of(), PassManager.Options.defaults()).run(
      m.module(),
      System.err
    );
    return e.run(m, args);
  }

  static double accuracy(Path graph, String input, ConformanceRunner.Engine engine)
    throws IOException {
    Path images = TF.resolve("mnist-t10k/t10k-images-idx3-ubyte.gz");
    Path labels = TF.resolve("mnist-t10k/t10k-labels-idx1-ubyte.gz");
    assumePresent(graph);
    assumePresent(images);
    Tensor pixels = Idx.read(images);
    Tensor truth = Idx.read(labels);
    Tensor.Builder b = new Tensor.Builder(TensorType.of(ElementType.F32, IMAGES, 784));
    for (long i = 0; i < IMAGES * 784L; i++) {
      b.setDouble(i, pixels.getLong(i) / 255.0);
    }
    ImportedModel m = TfImporter.importFile(
      graph,
      new ImportOptions(Map.of(input, Shape.of(IMAGES, 784)), Map.of(), Map.of()),
      List.of()
    );
    Tensor scores = engine == ConformanceRunner.Engine.INTERPRETER
      ? engine.run(m, List.of(b.build())).getFirst()
      : runOptimized(m, List.of(b.build()), engine).getFirst();
    assertEquals(
      List.of((long) IMAGES, 10L),
      scores
        .shape()
        .dims()
        .stream()
        .map(d -> d.size())
        .toList()
    );
    int correct = 0;
    for (int i = 0; i < IMAGES; i++) {
      int best = 0;
      for (int k = 1; k < 10; k++) {
        if (scores.getDouble(i * 10L + k) > scores.getDouble(i * 10L + best)) {
          best = k;
        }
      }
      if (best == truth.getLong(i)) {
        correct++;
      }
    }
    return correct / (double) IMAGES;
  }

  @Test
  void fc_layers_classifies_mnist() throws IOException {
    double acc = accuracy(TF.resolve("tf2onnx/fc-layers/frozen.pb"), "X");
    assertEquals(0.951, acc, 0.005);
  }

  @Test
  void armnn_softmax_regression_classifies_mnist() throws IOException {
    double acc = accuracy(
      TF.resolve("arm-ml-examples/armnn-mnist/simple_mnist_tf.pb"),
      "Placeholder"
    );
    assertEquals(0.872, acc, 0.005);
  }

  @Test
  void fc_layers_classifies_mnist_natively() throws IOException {
    ConformanceRunner.Engine e = nativeEngine(null);
    double acc = accuracy(TF.resolve("tf2onnx/fc-layers/frozen.pb"), "X", e);
    assertEquals(0.951, acc, 0.005);
  }

  @Test
  void armnn_softmax_regression_classifies_mnist_natively() throws IOException {
    ConformanceRunner.Engine e = nativeEngine(null);
    double acc = accuracy(
      TF.resolve("arm-ml-examples/armnn-mnist/simple_mnist_tf.pb"),
      "Placeholder",
      e
    );
    assertEquals(0.872, acc, 0.005);
  }

  /**
   * Native code for x86-64 and for aarch64 (under qemu) matches the interpreter; the keyword
   * spotters' LSTM and GRU are TF1 while loops ({@code nn.loop}).
   */
  @ParameterizedTest(name = "{0} on {1}")
  @CsvSource(
    {
      "tract/hey_snips_3.pb, x86_64-linux-gnu, inputs, 40x40",
      "tract/hey_snips_3.pb, aarch64-linux-gnu, inputs, 40x40",
      "arm-ml-examples/yeah-world/mnet.pb, x86_64-linux-gnu, input_1, 1x128x128x3",
      "arm-ml-examples/yeah-world/mnet.pb, aarch64-linux-gnu, input_1, 1x128x128x3",
      "arm-ml-kws/Basic_LSTM_L.pb, x86_64-linux-gnu, Mfcc, 1x49x10",
      "arm-ml-kws/Basic_LSTM_L.pb, aarch64-linux-gnu, Mfcc, 1x49x10",
      "arm-ml-kws/GRU_L.pb, x86_64-linux-gnu, Mfcc, 1x49x10",
      "arm-ml-kws/GRU_L.pb, aarch64-linux-gnu, Mfcc, 1x49x10",
    }
  )
  void compiled_graph_matches_the_interpreter(
    String file,
    String target,
    String input,
    String dims
  ) {
    Path graph = TF.resolve(file);
    assumePresent(graph);
    ConformanceRunner.Engine e = nativeEngine(target);
    long[] d = java.util.Arrays.stream(dims.split("x")).mapToLong(Long::parseLong).toArray();
    Shape shape = Shape.of(d);
    ImportOptions options = new ImportOptions(Map.of(input, shape), Map.of(), Map.of());
    SplittableRandom rng = new SplittableRandom(11);
    Tensor.Builder b = new Tensor.Builder(new TensorType(ElementType.F32, shape));
    for (long i = 0; i < b.size(); i++) {
      b.setDouble(i, rng.nextDouble() * 2 - 1);
    }
    Tensor x = b.build();
    Tensor want = Interpreter.run(
      TfImporter.importFile(graph, options, List.of()).module().funcs().getFirst(),
      List.of(x)
    ).getFirst();
    Tensor got = runOptimized(
      TfImporter.importFile(graph, options, List.of()),
      List.of(x),
      e
    ).getFirst();
    assertNull(new Tolerance(1e-3, 1e-4).mismatch(got, want), file + " on " + target);
  }

  static Tensor run(Path graph, String input, Shape shape, List<String> outputs) {
    assumePresent(graph);
    ImportedModel m = TfImporter.importFile(
      graph,
      new ImportOptions(Map.of(input, shape), Map.of(), Map.of()),
      outputs
    );
    SplittableRandom rng = new SplittableRandom(7);
    Tensor.Builder b = new Tensor.Builder(new TensorType(ElementType.F32, shape));
    for (long i = 0; i < b.size(); i++) {
      b.setDouble(i, rng.nextDouble() * 2 - 1);
    }
    return Interpreter.run(m.module().funcs().getFirst(), List.of(b.build())).getFirst();
  }

  static void assertFinite(Tensor t) {
    for (long i = 0; i < t.size(); i++) {
      assertTrue(Double.isFinite(t.getDouble(i)), "element " + i + " is " + t.getDouble(i));
    }
  }

  @Test
  void hey_snips_runs_on_forty_frames() {
    Tensor logits = run(TF.resolve("tract/hey_snips_3.pb"), "inputs", Shape.of(40, 40), List.of());
    assertEquals(Shape.of(6, 5), logits.shape());
    assertFinite(logits);
  }

  @Test
  void mobilenet_runs() {
    Tensor y = run(
      TF.resolve("arm-ml-examples/yeah-world/mnet.pb"),
      "input_1",
      Shape.of(1, 128, 128, 3),
      List.of()
    );
    assertEquals(Shape.of(1, 4, 4, 256), y.shape());
    assertFinite(y);
  }

  @Test
  void autoencoder_runs() {
    Tensor y = run(TF.resolve("tf2onnx/ae0/frozen.pb"), "X", Shape.of(2, 784), List.of());
    assertEquals(Shape.of(2, 784), y.shape());
    assertFinite(y);
  }
}
