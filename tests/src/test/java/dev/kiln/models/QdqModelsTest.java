package dev.kiln.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.kiln.emit.NativeCompiler;
import dev.kiln.emit.NativeEngine;
import dev.kiln.emit.Toolchain;
import dev.kiln.frontend.ImportOptions;
import dev.kiln.frontend.ImportedModel;
import dev.kiln.interp.Interpreter;
import dev.kiln.ir.ElementType;
import dev.kiln.ir.Func;
import dev.kiln.ir.Module;
import dev.kiln.ir.Node;
import dev.kiln.ir.Shape;
import dev.kiln.ir.Tensor;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.text.PrintOptions;
import dev.kiln.onnx.OnnxImporter;
import dev.kiln.onnx.OnnxOrigin;
import dev.kiln.pass.PassManager;
import dev.kiln.pass.Pipelines;
import dev.kiln.testing.QdqModels;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * QDQ versions of {@code ch_ppocr_mobile_v2.0_cls_infer} ({@code u8} activations) and {@code
 * light_squeezenet} ({@code i8} activations), built by {@link QdqModels} and written as ONNX files:
 * at {@code -O2} {@code fuse-qdq} leaves no float convolution (every one is a {@code q.conv}); on a
 * seeded input the fused graph's quantized output equals the unfused graph's (the QDQ model run by
 * the interpreter at {@code -O0}) bit for bit (fixed-point requantization could differ from the
 * float path by one step at a rounding tie; on these inputs none occurs), and ONNX Runtime's on the same
 * file within one step when ONNX Runtime executes the QDQ graph as ONNX defines it (its QDQ fusions
 * off). ONNX Runtime's own integer kernels (its default) are compared and reported, not asserted:
 * on the ppocr model they differ from ONNX Runtime's reference execution by tens of steps. Where
 * a C compiler is present the fused graph is also compiled to native code (the int8 kernels and the
 * integer loop nests), which must reproduce the interpreter's quantized output bit for bit.
 */
class QdqModelsTest {

  @TempDir
  Path dir;

  static Stream<Arguments> models() {
    return Stream.of(
      Arguments.of(
        "ch_ppocr_mobile_v2.0_cls_infer",
        "x",
        List.of(1L, 3L, 48L, 192L),
        ElementType.U8
      ),
      Arguments.of("light_squeezenet", "data_0", List.of(1L, 3L, 224L, 224L), ElementType.I8)
    );
  }

  private static final PassManager.Options OPTIONS = new PassManager.Options(
    true,
    false,
    Set.of(),
    false,
    false,
    PrintOptions.DEFAULT
  );

  private static final PrintStream QUIET = new PrintStream(OutputStream.nullOutputStream());

  private static Module load(Path file, String input, Shape shape, String pipeline) {
    Module m = OnnxImporter.importFile(
      file,
      new ImportOptions(Map.of(input, shape), Map.of(), Map.of())
    ).module();
    if (!pipeline.isEmpty()) {
      PassManager.parse(pipeline, OPTIONS).run(m, QUIET);
    }
    return m;
  }

  private static Map<String, Integer> histogram(Func f) {
    Map<String, Integer> counts = new TreeMap<>();
    for (Node n : f.entry().nodes()) {
      if (!n.op().name().equals("nn.constant") && !n.op().name().equals("return")) {
        counts.merge(n.op().name(), 1, Integer::sum);
      }
    }
    return counts;
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("models")
  void qdq_model_fuses_to_integer_ops_and_matches(
    String name,
    String input,
    List<Long> dims,
    ElementType activations
  ) throws IOException, OrtException {
    Path file = ModelsVsOnnxRuntimeTest.MODELS.resolve(name + ".onnx");
    assumeTrue(
      Files.isRegularFile(file),
      "skipped: " + file.toAbsolutePath().normalize() + " is absent"
    );
    Shape shape = Shape.of(dims);
    TensorType type = new TensorType(ElementType.F32, shape);
    Func prepared = load(
      file,
      input,
      shape,
      "canonicalize,constant-fold,fold-conv-bn,cse,canonicalize,dce"
    )
      .funcs()
      .getFirst();
    QdqModels.Result qdq = QdqModels.quantize(
      prepared,
      List.of(
        List.of(ModelsVsOnnxRuntimeTest.random(type, 1)),
        List.of(ModelsVsOnnxRuntimeTest.random(type, 2))
      ),
      activations
    );
    Path qdqFile = dir.resolve(name + ".qdq.onnx");
    Files.write(qdqFile, qdq.model().toByteArray());

    Func unfused = load(qdqFile, input, shape, "").funcs().getFirst();
    Module fusedModule = load(
      qdqFile,
      input,
      shape,
      String.join(",", Pipelines.passes(Pipelines.DEFAULT_LEVEL))
    );
    Func fused = fusedModule.funcs().getFirst();
    Map<String, Integer> before = histogram(unfused);
    Map<String, Integer> after = histogram(fused);
    System.out.println(name + " QDQ at -O0: " + before);
    System.out.println(name + " QDQ at -O2: " + after);
    assertEquals(null, after.get("nn.conv"), name + ": a float convolution is left");
    assertEquals(before.get("nn.conv"), after.get("q.conv"), name + ": q.conv count");

    Tensor x = ModelsVsOnnxRuntimeTest.random(type, 3);
    List<Tensor> want = Interpreter.run(unfused, List.of(x));
    List<Tensor> got = Interpreter.run(fused, List.of(x));
    Tensor wantQ = want.getLast();
    Tensor gotQ = got.getLast();
    assertEquals(activations, gotQ.elementType());
    long[] vsUnfused = steps(gotQ, wantQ);
    System.out.printf(
      "%s fused vs unfused: %d of %d quantized outputs differ, at most %d step(s)%n",
      name,
      vsUnfused[1],
      gotQ.size(),
      vsUnfused[0]
    );
    assertEquals(0, vsUnfused[1], name + ": fused differs from unfused by up to " + vsUnfused[0]);

    if (Toolchain.find("cc").isPresent()) {
      List<String> outputs = new ArrayList<>();
      for (int i = 0; i < fused.resultTypes().size(); i++) {
        outputs.add("out" + i);
      }
      Tensor nativeQ = new NativeEngine(NativeCompiler.resolve(null, null), 600)
        .run(
          new ImportedModel(fusedModule, List.of(input), outputs, new OnnxOrigin(8, 21)),
          List.of(x)
        )
        .getLast();
      long[] vsNative = steps(nativeQ, gotQ);
      System.out.printf(
        "%s native vs interpreter (fused): %d of %d quantized outputs differ, at most %d step(s)%n",
        name,
        vsNative[1],
        gotQ.size(),
        vsNative[0]
      );
      assertEquals(0, vsNative[1], name + ": native code differs by up to " + vsNative[0]);
    }

    long[] vsOrt = compareWithOrt(qdqFile, input, x, gotQ, activations, true);
    long[] vsOrtKernels = compareWithOrt(qdqFile, input, x, gotQ, activations, false);
    System.out.printf(
      "%s fused vs ONNX Runtime (QDQ executed as DQ, float op, Q): %d of %d quantized outputs differ, at most %d step(s)%n",
      name,
      vsOrt[1],
      gotQ.size(),
      vsOrt[0]
    );
    System.out.printf(
      "%s fused vs ONNX Runtime's own integer kernels (QDQ fusions on): %d of %d differ, at most %d step(s)%n",
      name,
      vsOrtKernels[1],
      gotQ.size(),
      vsOrtKernels[0]
    );
    assertTrue(vsOrt[0] <= 1, name + ": fused differs from ONNX Runtime by " + vsOrt[0] + " steps");
  }

  /**
   * Runs the QDQ file with ONNX Runtime (all graph optimizations; with {@code reference} its QDQ
   * fusions off, so each DQ, float op and Q runs as ONNX defines them) and compares its last
   * quantized output with {@code got}: the largest difference in steps and the count of differing
   * elements.
   */
  private static long[] compareWithOrt(
    Path file,
    String input,
    Tensor x,
    Tensor got,
    ElementType activations,
    boolean reference
  ) throws OrtException {
    float[] data = new float[Math.toIntExact(x.size())];
    for (int i = 0; i < data.length; i++) {
      data[i] = (float) x.getDouble(i);
    }
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
      if (reference) {
        options.addConfigEntry("session.disable_quant_qdq", "1");
      }
      try (
        OrtSession session = env.createSession(file.toString(), options);
        OnnxTensor feed = OnnxTensor.createTensor(env, FloatBuffer.wrap(data), x.shape().sizes());
        OrtSession.Result result = session.run(Map.of(input, feed))
      ) {
        OnnxTensor ort = (OnnxTensor) result.get(QdqModels.QUANTIZED_OUTPUT).orElseThrow();
        ByteBuffer bytes = ort.getByteBuffer();
        Tensor.Builder b = new Tensor.Builder(got.type());
        for (int i = 0; i < b.size(); i++) {
          byte v = bytes.get(i);
          b.setLong(i, activations == ElementType.U8 ? Byte.toUnsignedLong(v) : v);
        }
        return steps(got, b.build());
      }
    }
  }

  /** The largest difference in quantization steps, and how many elements differ. */
  private static long[] steps(Tensor a, Tensor b) {
    assertEquals(a.type(), b.type());
    long max = 0;
    long count = 0;
    for (long i = 0; i < a.size(); i++) {
      long d = Math.abs(a.getLong(i) - b.getLong(i));
      max = Math.max(max, d);
      count += d != 0 ? 1 : 0;
    }
    return new long[] { max, count };
  }
}
