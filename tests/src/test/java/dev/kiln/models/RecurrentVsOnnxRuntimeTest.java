package dev.kiln.models;

import static dev.kiln.testing.OnnxModels.floats;
import static dev.kiln.testing.OnnxModels.input;
import static dev.kiln.testing.OnnxModels.model;
import static dev.kiln.testing.OnnxModels.node;
import static dev.kiln.testing.OnnxModels.output;
import static dev.kiln.testing.OnnxModels.withInt;
import static dev.kiln.testing.OnnxModels.withString;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.kiln.backend.llvm.Targets;
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
import dev.kiln.ir.loop.LoopPrinter;
import dev.kiln.lower.Lowering;
import dev.kiln.onnx.OnnxImporter;
import dev.kiln.onnx.proto.OnnxProto.GraphProto;
import dev.kiln.onnx.proto.OnnxProto.ModelProto;
import dev.kiln.onnx.proto.OnnxProto.NodeProto;
import dev.kiln.pass.PassManager;
import dev.kiln.pass.Pipelines;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Small ONNX LSTM and GRU models (seeded weights, sequence length 50) compiled to native code for
 * x86-64 and for aarch64 (under qemu) match ONNX Runtime within rtol 1e-3, atol 1e-4; their Loop IR
 * computes the input projection of all steps in one GEMM kernel call and the recurrent product in
 * one call per step inside the step loop (GRU: two, its candidate gate multiplies the reset state).
 */
class RecurrentVsOnnxRuntimeTest {

  static final long SEQ = 50;
  static final long BATCH = 2;
  static final long INPUT = 8;
  static final long HIDDEN = 16;

  /** {@code kind} over {@code x[SEQ, BATCH, INPUT]} with seeded weights and biases. */
  static ModelProto recurrent(String kind, String direction) {
    int gates = kind.equals("LSTM") ? 4 : 3;
    int dirs = direction.equals("bidirectional") ? 2 : 1;
    SplittableRandom r = new SplittableRandom(kind.hashCode() + direction.hashCode());
    NodeProto n = withString(
      withInt(
        node(
          kind,
          kind.toLowerCase(java.util.Locale.ROOT),
          List.of("x", "w", "r", "b"),
          kind.equals("LSTM") ? List.of("y", "y_h", "y_c") : List.of("y", "y_h")
        ),
        "hidden_size",
        HIDDEN
      ),
      "direction",
      direction
    );
    GraphProto.Builder g = GraphProto.newBuilder()
      .addInput(input("x", SEQ, BATCH, INPUT))
      .addInitializer(
        floats(
          "w",
          new long[] { dirs, gates * HIDDEN, INPUT },
          random(r, dirs * gates * HIDDEN * INPUT)
        )
      )
      .addInitializer(
        floats(
          "r",
          new long[] { dirs, gates * HIDDEN, HIDDEN },
          random(r, dirs * gates * HIDDEN * HIDDEN)
        )
      )
      .addInitializer(
        floats("b", new long[] { dirs, 2 * gates * HIDDEN }, random(r, dirs * 2 * gates * HIDDEN))
      )
      .addNode(n)
      .addOutput(output("y"))
      .addOutput(output("y_h"));
    if (kind.equals("LSTM")) {
      g.addOutput(output("y_c"));
    }
    return model(g, 14);
  }

  private static float[] random(SplittableRandom r, long n) {
    float[] v = new float[Math.toIntExact(n)];
    for (int i = 0; i < v.length; i++) {
      v[i] = (float) r.nextDouble(-0.5, 0.5);
    }
    return v;
  }

  private static ImportedModel load(Path file) {
    ImportedModel m = OnnxImporter.importFile(file, ImportOptions.defaults());
    Pipelines.manager(Pipelines.DEFAULT_LEVEL, List.of(), PassManager.Options.defaults()).run(
      m.module(),
      System.err
    );
    return m;
  }

  @ParameterizedTest(name = "{0} {1} on {2}")
  @CsvSource(
    {
      "LSTM, forward, x86_64-linux-gnu",
      "LSTM, forward, aarch64-linux-gnu",
      "GRU, bidirectional, x86_64-linux-gnu",
      "GRU, bidirectional, aarch64-linux-gnu",
    }
  )
  void native_code_matches_onnx_runtime(
    String kind,
    String direction,
    String target,
    @TempDir Path tmp
  ) throws IOException, OrtException {
    Targets.Resolved t = NativeCompiler.resolve(target, null);
    assumeTrue(Toolchain.available(t), "skipped: no toolchain (or qemu) for " + target);
    Path file = tmp.resolve("rnn.onnx");
    Files.write(file, recurrent(kind, direction).toByteArray());
    Tensor x = ModelsVsOnnxRuntimeTest.random(
      new TensorType(ElementType.F32, Shape.of(SEQ, BATCH, INPUT)),
      7
    );
    List<Tensor> got = new NativeEngine(t, 600).run(load(file), List.of(x));
    try (
      OrtEnvironment env = OrtEnvironment.getEnvironment();
      OrtSession session = env.createSession(file.toString(), new OrtSession.SessionOptions());
      OnnxTensor feed = OnnxTensor.createTensor(
        env,
        FloatBuffer.wrap(ModelsVsOnnxRuntimeTest.floats(x)),
        new long[] { SEQ, BATCH, INPUT }
      );
      OrtSession.Result result = session.run(Map.of("x", feed))
    ) {
      ModelsVsOnnxRuntimeTest.assertMatches(session, result, got, kind + " on " + target);
    }
  }

  @ParameterizedTest(name = "{0} {1}")
  @CsvSource({ "LSTM, forward, 1", "GRU, bidirectional, 2" })
  void products_go_through_the_gemm_kernel_once_per_step(
    String kind,
    String direction,
    int perStep,
    @TempDir Path tmp
  ) throws IOException {
    Path file = tmp.resolve("rnn.onnx");
    Files.write(file, recurrent(kind, direction).toByteArray());
    ImportedModel m = load(file);
    Targets.Resolved host = NativeCompiler.resolve("x86_64-linux-gnu", null);
    LoopFunc f = Lowering.lower(
      m.module().funcs().getFirst(),
      "rnn",
      m.inputNames(),
      m.outputNames(),
      Targets.info(host)
    );
    String text = LoopPrinter.print(f);
    int dirs = direction.equals("bidirectional") ? 2 : 1;
    int outside = 0;
    int inside = 0;
    int depth = 0;
    int stepDepth = -1;
    for (String line : text.lines().toList()) {
      String s = line.strip();
      if (s.startsWith("for %step")) {
        stepDepth = depth;
      }
      if (s.startsWith("call kiln_gemm_f32(")) {
        if (stepDepth >= 0) {
          inside++;
        } else {
          outside++;
        }
      }
      depth += count(s, "{") - count(s, "}");
      if (stepDepth >= 0 && depth <= stepDepth) {
        stepDepth = -1;
      }
    }
    assertEquals(dirs, outside, "input projections (one GEMM per direction)\n" + text);
    assertEquals(dirs * perStep, inside, "recurrent products inside the step loop\n" + text);
    assertTrue(text.contains("for %step"), text);
  }

  private static int count(String s, String what) {
    Matcher m = Pattern.compile(Pattern.quote(what)).matcher(s);
    int n = 0;
    while (m.find()) {
      n++;
    }
    return n;
  }
}
