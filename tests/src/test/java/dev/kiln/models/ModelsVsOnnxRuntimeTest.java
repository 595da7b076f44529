package dev.kiln.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.kiln.conformance.Tolerance;
import dev.kiln.interp.Interpreter;
import dev.kiln.ir.ElementType;
import dev.kiln.ir.Shape;
import dev.kiln.ir.Tensor;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.text.PrintOptions;
import dev.kiln.onnx.ImportOptions;
import dev.kiln.onnx.ImportedModel;
import dev.kiln.onnx.OnnxImporter;
import dev.kiln.pass.PassManager;
import dev.kiln.pass.Pipelines;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Imports every model in {@code ../shared/models}, optimizes it at the default level ({@code -O2}),
 * runs it through the interpreter on seeded random inputs (uniform in [-1, 1)), and compares with
 * ONNX Runtime within rtol 1e-3, atol 1e-4.
 */
class ModelsVsOnnxRuntimeTest {

  static final Path MODELS = Path.of("../../shared/models");
  static final Tolerance TOLERANCE = new Tolerance(1e-3, 1e-4);

  static Stream<Arguments> models() {
    return Stream.of(
      Arguments.of("light_squeezenet", List.of(1L, 3L, 224L, 224L)),
      Arguments.of("light_inception_v1", List.of(1L, 3L, 224L, 224L)),
      Arguments.of("light_resnet50", List.of(1L, 3L, 224L, 224L)),
      Arguments.of("ch_ppocr_mobile_v2.0_cls_infer", List.of(1L, 3L, 48L, 192L)),
      Arguments.of("melspectrogram", List.of(1L, 1280L)),
      Arguments.of("embedding_model", List.of(1L, 76L, 32L, 1L)),
      Arguments.of("hey_jarvis_v0.1", List.of(1L, 16L, 96L))
    );
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("models")
  void interpreter_matches_onnx_runtime(String name, List<Long> dims) throws OrtException {
    Path file = MODELS.resolve(name + ".onnx");
    assumeTrue(
      Files.isRegularFile(file),
      "skipped: " + file.toAbsolutePath().normalize() + " is absent"
    );
    try (
      OrtEnvironment env = OrtEnvironment.getEnvironment();
      OrtSession session = env.createSession(file.toString(), new OrtSession.SessionOptions())
    ) {
      String input = session.getInputNames().iterator().next();
      Shape shape = Shape.of(dims);
      Tensor x = random(new TensorType(ElementType.F32, shape), name.hashCode());
      ImportedModel m = OnnxImporter.importFile(
        file,
        new ImportOptions(Map.of(input, shape), Map.of(), Map.of())
      );
      Pipelines.manager(
        Pipelines.DEFAULT_LEVEL,
        List.of(),
        new PassManager.Options(true, false, Set.of(), false, false, PrintOptions.DEFAULT)
      ).run(m.module(), System.err);
      List<Tensor> got = Interpreter.run(m.module().funcs().getFirst(), List.of(x));
      long[] sizes = shape.sizes();
      float[] data = new float[Math.toIntExact(x.size())];
      for (int i = 0; i < data.length; i++) {
        data[i] = (float) x.getDouble(i);
      }
      Map<String, OnnxTensor> feeds = new HashMap<>();
      feeds.put(input, OnnxTensor.createTensor(env, FloatBuffer.wrap(data), sizes));
      try (OrtSession.Result result = session.run(feeds)) {
        assertEquals(result.size(), got.size(), "output count");
        List<String> names = new ArrayList<>(session.getOutputNames());
        for (int i = 0; i < got.size(); i++) {
          OnnxTensor want = (OnnxTensor) result.get(names.get(i)).orElseThrow();
          float[] w = new float[Math.toIntExact(want.getInfo().getNumElements())];
          want.getFloatBuffer().get(w);
          double[] wd = new double[w.length];
          for (int j = 0; j < w.length; j++) {
            wd[j] = w[j];
          }
          Tensor expected = Tensor.ofDoubles(
            new TensorType(ElementType.F32, Shape.of(want.getInfo().getShape())),
            wd
          );
          assertNull(TOLERANCE.mismatch(got.get(i), expected), name + " output " + names.get(i));
        }
      } finally {
        feeds.values().forEach(OnnxTensor::close);
      }
    }
  }

  static Tensor random(TensorType type, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    Tensor.Builder b = new Tensor.Builder(type);
    for (long i = 0; i < b.size(); i++) {
      b.setDouble(i, r.nextDouble(-1, 1));
    }
    return b.build();
  }
}
