package dev.kiln.nativecode;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.kiln.backend.llvm.Targets;
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
import dev.kiln.onnx.OnnxImporter;
import dev.kiln.onnx.proto.OnnxProto.GraphProto;
import dev.kiln.onnx.proto.OnnxProto.ModelProto;
import dev.kiln.onnx.proto.OnnxProto.NodeProto;
import dev.kiln.pass.PassManager;
import dev.kiln.pass.Pipelines;
import dev.kiln.testing.OnnxModels;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Convolutions and matrix products whose weights are constants, so the compiler packs them into
 * the GEMM's panel layout: compiled for the host's baseline and for its own CPU, on one and on
 * three threads, against the interpreter (rtol 1e-4, atol 1e-5), and the thread counts bit for
 * bit against each other. The 3x3 stride-1 convolutions with 32 or more channels take the Winograd
 * kernel, whose transforms cost about ten times the rounding error of a direct sum (errors of 2e-5
 * on outputs near 0.02 with 288 terms of |x * w| up to 0.5): atol 1e-4 there.
 */
class PackedKernelsNativeTest {

  private static final double RTOL = 1e-4;
  private static final double ATOL = 1e-5;
  private static final double WINOGRAD_ATOL = 1e-4;

  static Stream<Arguments> cases() {
    return Stream.of(
      Arguments.of(
        "conv 3x3 pad 1, bias, relu (Winograd)",
        conv(32, 64, 28, 28, 3, 1, 1, 1, 1, true)
      ),
      Arguments.of(
        "conv 3x3 pad 0, odd size (Winograd)",
        conv(40, 33, 23, 29, 3, 1, 0, 1, 1, false)
      ),
      Arguments.of(
        "conv 3x3 stride 2 groups 2 dilation 2",
        conv(6, 8, 13, 11, 3, 2, 2, 2, 2, true)
      ),
      Arguments.of("conv 1x1", conv(48, 40, 9, 7, 1, 1, 0, 1, 1, false)),
      Arguments.of("conv 5x5 on one channel", conv(1, 7, 17, 19, 5, 1, 2, 1, 1, true)),
      Arguments.of("conv with 4 output positions", conv(16, 40, 4, 4, 3, 1, 0, 1, 1, true)),
      Arguments.of("1-D conv with 5 output positions", conv1d(1, 64, 1280, 512, 160)),
      Arguments.of("conv with hard swish in the kernel", convHardSwish(8, 24, 9, 11)),
      Arguments.of("matmul vector x matrix", matmul(new long[] { 1, 37 }, 45)),
      Arguments.of("matmul 64 x 256 x 96", matmul(new long[] { 64, 256 }, 96)),
      Arguments.of("batched matmul", matmul(new long[] { 2, 19, 23 }, 41)),
      Arguments.of("gemm transB with bias", gemm(5, 17, 30))
    );
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void packedWeightsMatchTheInterpreterOnEveryThreadCount(String name, ModelProto model)
    throws Exception {
    assumeTrue(Toolchain.find("cc").isPresent(), "skipped: no C compiler (cc) to link native code");
    ImportedModel m = OnnxImporter.importModel(
      model,
      Path.of(name + ".onnx"),
      ImportOptions.defaults()
    );
    Pipelines.manager(Pipelines.DEFAULT_LEVEL, List.of(), PassManager.Options.defaults()).run(
      m.module(),
      System.err
    );
    List<Tensor> args = new ArrayList<>();
    SplittableRandom r = new SplittableRandom(11);
    for (var a : m.module().funcs().getFirst().arguments()) {
      double[] v = new double[Math.toIntExact(
        a.type().shape().sizes().length == 0 ? 1 : product(a.type().shape().sizes())
      )];
      for (int i = 0; i < v.length; i++) {
        v[i] = r.nextDouble(-1, 1);
      }
      args.add(Tensor.ofDoubles(new TensorType(ElementType.F32, a.type().shape()), v));
    }
    double[] want = Interpreter.run(m.module().funcs().getFirst(), args).getFirst().toDoubles();
    for (String cpu : List.of(Targets.host().defaultCpu().name(), Targets.NATIVE)) {
      Targets.Resolved t = NativeCompiler.resolve(null, cpu);
      double[] one = new NativeEngine(t, 600, 1).run(m, args).getFirst().toDoubles();
      double[] three = new NativeEngine(t, 600, 3).run(m, args).getFirst().toDoubles();
      assertArrayEquals(one, three, name + " on " + cpu + ": 3 threads differ from 1");
      for (int i = 0; i < want.length; i++) {
        double tol = (name.contains("Winograd") ? WINOGRAD_ATOL : ATOL) + RTOL * Math.abs(want[i]);
        int at = i;
        assertTrue(
          Math.abs(one[i] - want[i]) <= tol,
          () -> name + " on " + cpu + ": element " + at + " is " + one[at] + ", want " + want[at]
        );
      }
    }
  }

  private static long product(long[] dims) {
    long p = 1;
    for (long d : dims) {
      p *= d;
    }
    return p;
  }

  private static float[] weights(long n, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    float[] w = new float[Math.toIntExact(n)];
    for (int i = 0; i < w.length; i++) {
      w[i] = (float) r.nextDouble(-0.5, 0.5);
    }
    return w;
  }

  private static ModelProto conv(
    long c,
    long oc,
    long h,
    long w,
    long k,
    long stride,
    long pad,
    long dilation,
    long groups,
    boolean biasRelu
  ) {
    long[] wd = { oc, c / groups, k, k };
    NodeProto conv = OnnxModels.node(
      "Conv",
      "conv",
      biasRelu ? List.of("x", "w", "b") : List.of("x", "w"),
      List.of(biasRelu ? "c" : "y")
    );
    conv = OnnxModels.withInts(conv, "strides", stride, stride);
    conv = OnnxModels.withInts(conv, "pads", pad, pad, pad, pad);
    conv = OnnxModels.withInts(conv, "dilations", dilation, dilation);
    if (groups > 1) {
      conv = conv
        .toBuilder()
        .addAttribute(
          dev.kiln.onnx.proto.OnnxProto.AttributeProto.newBuilder()
            .setName("group")
            .setType(dev.kiln.onnx.proto.OnnxProto.AttributeProto.AttributeType.INT)
            .setI(groups)
        )
        .build();
    }
    GraphProto.Builder g = GraphProto.newBuilder()
      .addInput(OnnxModels.input("x", 1, c, h, w))
      .addInitializer(OnnxModels.floats("w", wd, weights(product(wd), 1)))
      .addNode(conv)
      .addOutput(OnnxModels.output("y"));
    if (biasRelu) {
      g.addInitializer(OnnxModels.floats("b", new long[] { oc }, weights(oc, 2)));
      g.addNode(OnnxModels.node("Relu", "relu", List.of("c"), List.of("y")));
    }
    return OnnxModels.model(g);
  }

  private static ModelProto convHardSwish(long c, long oc, long h, long w) {
    long[] wd = { oc, c, 3, 3 };
    NodeProto conv = OnnxModels.withInts(
      OnnxModels.node("Conv", "conv", List.of("x", "w", "b"), List.of("c")),
      "pads",
      1,
      1,
      1,
      1
    );
    return OnnxModels.model(
      GraphProto.newBuilder()
        .addInput(OnnxModels.input("x", 1, c, h, w))
        .addInitializer(OnnxModels.floats("w", wd, weights(product(wd), 7)))
        .addInitializer(OnnxModels.floats("b", new long[] { oc }, weights(oc, 8)))
        .addNode(conv)
        .addNode(OnnxModels.node("HardSwish", "hs", List.of("c"), List.of("y")))
        .addOutput(OnnxModels.output("y")),
      14
    );
  }

  private static ModelProto conv1d(long c, long oc, long w, long k, long stride) {
    long[] wd = { oc, c, k };
    NodeProto conv = OnnxModels.withInts(
      OnnxModels.node("Conv", "conv", List.of("x", "w"), List.of("y")),
      "strides",
      stride
    );
    return OnnxModels.model(
      GraphProto.newBuilder()
        .addInput(OnnxModels.input("x", 1, c, w))
        .addInitializer(OnnxModels.floats("w", wd, weights(product(wd), 6)))
        .addNode(conv)
        .addOutput(OnnxModels.output("y"))
    );
  }

  private static ModelProto matmul(long[] a, long n) {
    long k = a[a.length - 1];
    return OnnxModels.model(
      GraphProto.newBuilder()
        .addInput(OnnxModels.input("a", a))
        .addInitializer(OnnxModels.floats("b", new long[] { k, n }, weights(k * n, 3)))
        .addNode(OnnxModels.node("MatMul", "mm", List.of("a", "b"), List.of("y")))
        .addOutput(OnnxModels.output("y"))
    );
  }

  private static ModelProto gemm(long m, long k, long n) {
    NodeProto gemm = OnnxModels.node("Gemm", "gemm", List.of("a", "b", "c"), List.of("y"))
      .toBuilder()
      .addAttribute(
        dev.kiln.onnx.proto.OnnxProto.AttributeProto.newBuilder()
          .setName("transB")
          .setType(dev.kiln.onnx.proto.OnnxProto.AttributeProto.AttributeType.INT)
          .setI(1)
      )
      .build();
    return OnnxModels.model(
      GraphProto.newBuilder()
        .addInput(OnnxModels.input("a", m, k))
        .addInitializer(OnnxModels.floats("b", new long[] { n, k }, weights(n * k, 4)))
        .addInitializer(OnnxModels.floats("c", new long[] { n }, weights(n, 5)))
        .addNode(gemm)
        .addOutput(OnnxModels.output("y"))
    );
  }
}
