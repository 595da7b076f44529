package dev.kiln.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.kiln.backend.llvm.Targets;
import dev.kiln.conformance.ConformanceRunner;
import dev.kiln.conformance.Tolerance;
import dev.kiln.emit.CudaDriver;
import dev.kiln.emit.NativeCompiler;
import dev.kiln.emit.NativeEngine;
import dev.kiln.emit.Toolchain;
import dev.kiln.frontend.ImportOptions;
import dev.kiln.frontend.ImportedModel;
import dev.kiln.ir.ElementType;
import dev.kiln.ir.Shape;
import dev.kiln.ir.Tensor;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.loop.LoopFunc;
import dev.kiln.ir.text.PrintOptions;
import dev.kiln.lower.Lowering;
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
 * runs it on seeded random inputs (uniform in [-1, 1)) through the interpreter, as native code for
 * the host, as native code for aarch64 under qemu, as portable C and (with a CUDA driver) on the GPU,
 * and compares with ONNX Runtime within rtol 1e-3, atol 1e-4; and compiles it for every target.
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
    compare(name, dims, ConformanceRunner.Engine.INTERPRETER);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("models")
  void native_x86_64_matches_onnx_runtime(String name, List<Long> dims) throws OrtException {
    Targets.Resolved host = NativeCompiler.resolve(null, null);
    assumeTrue(Toolchain.available(host), "skipped: no C compiler (cc) to link native code");
    compare(name, dims, new NativeEngine(host, 600));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("models")
  void native_aarch64_matches_onnx_runtime(String name, List<Long> dims) throws OrtException {
    Targets.Resolved t = NativeCompiler.resolve("aarch64-linux-gnu", null);
    assumeTrue(
      Toolchain.available(t),
      "skipped: aarch64-linux-gnu-gcc or qemu-aarch64 is missing " +
      "(apt-get install gcc-aarch64-linux-gnu qemu-user)"
    );
    compare(name, dims, new NativeEngine(t, 600));
  }

  /** The portable C of each model, built by the host's cc at -O2 under strict C99 warnings. */
  @ParameterizedTest(name = "{0}")
  @MethodSource("models")
  void portable_c_matches_onnx_runtime(String name, List<Long> dims) throws OrtException {
    assumeTrue(Toolchain.find("cc").isPresent(), "skipped: no C compiler (cc) to build the C");
    compare(name, dims, NativeEngine.portableC(600, 1));
  }

  /**
   * The PTX and host plan of each model run on GPU 0 ({@code tests/gpu/run}); skipped where {@code
   * libcuda.so.1} does not load, which is everywhere this has been run so far.
   */
  @ParameterizedTest(name = "{0}")
  @MethodSource("models")
  void cuda_matches_onnx_runtime(String name, List<Long> dims) throws OrtException {
    assumeTrue(CudaDriver.present(), "skipped: no CUDA driver found (libcuda.so.1 does not load)");
    assumeTrue(Toolchain.find("cc").isPresent(), "skipped: no C compiler (cc) for the host plan");
    compare(name, dims, NativeEngine.cuda(null, 600));
  }

  /** Objects come out for every target, Cortex-M included (nothing is linked or run there). */
  @ParameterizedTest(name = "{0}")
  @MethodSource("models")
  void compiles_for_every_target(String name, List<Long> dims) {
    Path file = MODELS.resolve(name + ".onnx");
    assumeTrue(
      Files.isRegularFile(file),
      "skipped: " + file.toAbsolutePath().normalize() + " is absent"
    );
    for (String target : List.of(
      "x86_64-linux-gnu",
      "aarch64-linux-gnu",
      "armv7a-linux-gnueabihf",
      "thumbv7em-none-eabihf"
    )) {
      ImportedModel m = OnnxImporter.importFile(
        file,
        new ImportOptions(Map.of(firstInput(file), Shape.of(dims)), Map.of(), Map.of())
      );
      Pipelines.manager(Pipelines.DEFAULT_LEVEL, List.of(), PassManager.Options.defaults()).run(
        m.module(),
        System.err
      );
      LoopFunc f = Lowering.lower(
        m.module().funcs().getFirst(),
        "model",
        m.inputNames(),
        m.outputNames(),
        Targets.info(NativeCompiler.resolve(target, null))
      );
      byte[] o = NativeCompiler.object(f, NativeCompiler.resolve(target, null));
      assertTrue(o.length > 64 && o[0] == 0x7f && o[1] == 'E', name + " for " + target);
    }
  }

  /** The model's first graph input that is not an initializer. */
  private static String firstInput(Path file) {
    return OnnxImporter.graphInputs(dev.kiln.onnx.ModelLoader.load(file).getGraph()).getFirst();
  }

  private static void compare(String name, List<Long> dims, ConformanceRunner.Engine engine)
    throws OrtException {
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
      List<Tensor> got = engine.run(m, List.of(x));
      long[] sizes = shape.sizes();
      Map<String, OnnxTensor> feeds = new HashMap<>();
      feeds.put(input, OnnxTensor.createTensor(env, FloatBuffer.wrap(floats(x)), sizes));
      try (OrtSession.Result result = session.run(feeds)) {
        assertMatches(session, result, got, name);
      } finally {
        feeds.values().forEach(OnnxTensor::close);
      }
    }
  }

  /** {@code x}'s elements as floats, for an ONNX Runtime feed. */
  static float[] floats(Tensor x) {
    float[] data = new float[Math.toIntExact(x.size())];
    for (int i = 0; i < data.length; i++) {
      data[i] = (float) x.getDouble(i);
    }
    return data;
  }

  /** {@code got} matches ONNX Runtime's float outputs of {@code session}, in order, within tolerance. */
  static void assertMatches(
    OrtSession session,
    OrtSession.Result result,
    List<Tensor> got,
    String what
  ) throws OrtException {
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
      assertNull(TOLERANCE.mismatch(got.get(i), expected), what + " output " + names.get(i));
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
