package dev.kiln.nativecode;

import static dev.kiln.testing.OnnxModels.bytes;
import static dev.kiln.testing.OnnxModels.floats;
import static dev.kiln.testing.OnnxModels.input;
import static dev.kiln.testing.OnnxModels.int4s;
import static dev.kiln.testing.OnnxModels.model;
import static dev.kiln.testing.OnnxModels.node;
import static dev.kiln.testing.OnnxModels.output;
import static dev.kiln.testing.OnnxModels.withInt;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.kiln.backend.llvm.Targets;
import dev.kiln.emit.NativeCompiler;
import dev.kiln.emit.NativeEngine;
import dev.kiln.emit.Toolchain;
import dev.kiln.frontend.ImportOptions;
import dev.kiln.frontend.ImportedModel;
import dev.kiln.interp.Interpreter;
import dev.kiln.ir.ElementType;
import dev.kiln.ir.Tensor;
import dev.kiln.ir.TensorType;
import dev.kiln.onnx.OnnxImporter;
import dev.kiln.onnx.proto.OnnxProto.GraphProto;
import dev.kiln.onnx.proto.OnnxProto.ModelProto;
import dev.kiln.onnx.proto.OnnxProto.TensorProto;
import dev.kiln.pass.PassManager;
import dev.kiln.pass.Pipelines;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Models with low-precision tensors compiled to native code give the interpreter's results bit for
 * bit (the values are chosen so that every product and sum is exact in {@code f32}): int4 weights
 * (a packed initializer) through {@code DequantizeLinear} (opset 21, per output column) into
 * {@code MatMul}, and a float8 QDQ pair ({@code QuantizeLinear} to {@code f8e4m3fn} with a zero
 * point, {@code DequantizeLinear}) before a {@code MatMul}; on x86-64 and aarch64 (qemu).
 */
class LowPrecisionModelsTest {

  static final int K = 16;
  static final int N = 4;

  static ModelProto int4Weights() {
    SplittableRandom r = new SplittableRandom(4);
    int[] w = new int[K * N];
    for (int i = 0; i < w.length; i++) {
      w[i] = r.nextInt(-8, 8);
    }
    GraphProto.Builder g = GraphProto.newBuilder()
      .addInput(input("x", 2, K))
      .addInitializer(int4s("w", new long[] { K, N }, w))
      .addInitializer(floats("scale", new long[] { N }, 0.5f, 0.25f, 1f, 2f))
      .addInitializer(int4s("zero", new long[] { N }, 1, -2, 0, 7))
      .addNode(
        withInt(
          node("DequantizeLinear", "dq", List.of("w", "scale", "zero"), List.of("wf")),
          "axis",
          1
        )
      )
      .addNode(node("MatMul", "mm", List.of("x", "wf"), List.of("y")))
      .addOutput(output("y"));
    return model(g, 21);
  }

  static ModelProto float8Qdq() {
    float[] w = new float[K * N];
    for (int i = 0; i < w.length; i++) {
      w[i] = (i % 7) - 3;
    }
    GraphProto.Builder g = GraphProto.newBuilder()
      .addInput(input("x", 2, K))
      .addInitializer(floats("scale", new long[] {}, 0.125f))
      .addInitializer(
        bytes("zero", TensorProto.DataType.FLOAT8E4M3FN_VALUE, new long[] {}, (byte) 0x38)
      )
      .addInitializer(floats("w", new long[] { K, N }, w))
      .addNode(node("QuantizeLinear", "q", List.of("x", "scale", "zero"), List.of("xq")))
      .addNode(node("DequantizeLinear", "dq", List.of("xq", "scale", "zero"), List.of("xf")))
      .addNode(node("MatMul", "mm", List.of("xf", "w"), List.of("y")))
      .addOutput(output("y"));
    return model(g, 21);
  }

  @ParameterizedTest(name = "{0} on {1}")
  @CsvSource(
    {
      "int4, x86_64-linux-gnu",
      "int4, aarch64-linux-gnu",
      "float8, x86_64-linux-gnu",
      "float8, aarch64-linux-gnu",
    }
  )
  void native_code_matches_the_interpreter_exactly(String kind, String target, @TempDir Path tmp)
    throws IOException {
    Targets.Resolved t = NativeCompiler.resolve(target, null);
    assumeTrue(Toolchain.available(t), "skipped: no toolchain (or qemu) for " + target);
    Path file = tmp.resolve(kind + ".onnx");
    Files.write(file, (kind.equals("int4") ? int4Weights() : float8Qdq()).toByteArray());
    SplittableRandom r = new SplittableRandom(9);
    double[] x = new double[2 * K];
    for (int i = 0; i < x.length; i++) {
      x[i] = r.nextInt(-64, 65) / 32.0;
    }
    Tensor in = Tensor.ofDoubles(TensorType.of(ElementType.F32, 2, K), x);
    ImportedModel m = OnnxImporter.importFile(file, ImportOptions.defaults());
    Tensor want = Interpreter.run(m.module().funcs().getFirst(), List.of(in)).getFirst();
    Pipelines.manager(Pipelines.DEFAULT_LEVEL, List.of(), PassManager.Options.defaults()).run(
      m.module(),
      System.err
    );
    Tensor got = new NativeEngine(t, 600).run(m, List.of(in)).getFirst();
    assertArrayEquals(want.bytes(), got.bytes(), kind + " on " + target);
  }
}
