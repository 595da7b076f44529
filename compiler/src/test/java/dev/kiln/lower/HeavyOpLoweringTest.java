package dev.kiln.lower;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.interp.Interpreter;
import dev.kiln.ir.BlockArgument;
import dev.kiln.ir.Func;
import dev.kiln.ir.Tensor;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.loop.LoopFunc;
import dev.kiln.ir.loop.LoopInterpreter;
import dev.kiln.ir.loop.LoopPrinter;
import dev.kiln.ir.text.ModuleParser;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The Loop IR of convolution, pooling and matrix products: run by {@link LoopInterpreter} on random
 * inputs it gives the reference interpreter's results (padding, strides, dilations, groups, ceil
 * mode, broadcasting and every epilogue), and with micro-kernels available it calls them with the
 * parameter structs runtime-c expects.
 */
class HeavyOpLoweringTest {

  /** The kernel-printing tests lower for x86-64 AVX2 (6x16 GEMM blocks). */
  static final dev.kiln.ir.loop.TargetInfo KERNEL_TARGET = dev.kiln.backend.llvm.Targets.info(
    dev.kiln.backend.llvm.Targets.resolve("x86_64-linux-gnu", "x86-64-v3")
  );

  private static Func parse(String text) {
    return ModuleParser.parse(text, "heavy.kir").funcs().getFirst();
  }

  /** Random inputs for {@code f}'s arguments: floats in [-2, 2), integers in [-9, 9]. */
  private static List<Tensor> inputs(Func f, long seed) {
    Random r = new Random(seed);
    List<Tensor> in = new ArrayList<>();
    for (BlockArgument a : f.arguments()) {
      TensorType t = a.type();
      int n = Math.toIntExact(t.shape().sizes().length == 0 ? 1 : product(t.shape().sizes()));
      if (t.elementType().isFloat()) {
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
          v[i] = r.nextDouble() * 4 - 2;
        }
        in.add(Tensor.ofDoubles(t, v));
      } else {
        long[] v = new long[n];
        for (int i = 0; i < n; i++) {
          v[i] = r.nextInt(19) - 9;
        }
        in.add(Tensor.ofLongs(t, v));
      }
    }
    return in;
  }

  private static long product(long[] dims) {
    long p = 1;
    for (long d : dims) {
      p *= d;
    }
    return p;
  }

  /** Lowers the single-op function {@code body} and compares both interpreters. */
  private static void check(String signature, String body, double tolerance) {
    Func f = parse("func @main(" + signature + " {\n" + body + "\n}\n");
    LoopFunc lf = Lowering.lower(f, "t", List.of(), List.of(), null);
    List<Tensor> in = inputs(f, 7);
    Tensor want = Interpreter.run(f, in).getFirst();
    Tensor got = LoopInterpreter.run(lf, in).getFirst();
    assertEquals(want.type(), got.type());
    double[] w = want.toDoubles();
    double[] g = got.toDoubles();
    for (int i = 0; i < w.length; i++) {
      double tol = tolerance * (1 + Math.abs(w[i]));
      assertTrue(
        Math.abs(w[i] - g[i]) <= tol || (Double.isNaN(w[i]) && Double.isNaN(g[i])),
        "element " + i + ": want " + w[i] + ", got " + g[i] + "\n" + LoopPrinter.print(lf)
      );
    }
  }

  private static void check(String signature, String body) {
    check(signature, body, 1e-5);
  }

  @Test
  void conv2dWithGroupsPadsDilationsAndEpilogue() {
    check(
      "%x: tensor<1x4x7x6xf32>, %w: tensor<6x2x3x2xf32>, %b: tensor<6xf32>, %r: tensor<1x6x1x5xf32>) -> (tensor<1x6x4x5xf32>)",
      """
        %y = nn.conv(%x, %w, %b, %r) {activation = gelu, dilations = [1, 2], group = 2, pads = [1, 0, 2, 1], strides = [2, 1]} : tensor<1x6x4x5xf32>
        return %y : tensor<1x6x4x5xf32>
      """
    );
  }

  @Test
  void conv1dAndConv3d() {
    check(
      "%x: tensor<2x3x9xf32>, %w: tensor<4x3x3xf32>) -> (tensor<2x4x4xf32>)",
      """
        %y = nn.conv(%x, %w) {activation = leaky_relu, activationAlpha = 0.2, pads = [2, 2], strides = [3]} : tensor<2x4x4xf32>
        return %y : tensor<2x4x4xf32>
      """
    );
    check(
      "%x: tensor<1x2x4x4x3xf32>, %w: tensor<2x2x2x2x2xf32>) -> (tensor<1x2x4x5x3xf32>)",
      """
        %y = nn.conv(%x, %w) {pads = [1, 1, 0, 0, 1, 1]} : tensor<1x2x4x5x3xf32>
        return %y : tensor<1x2x4x5x3xf32>
      """
    );
  }

  @Test
  void depthwiseConvInHalfPrecision() {
    check(
      "%x: tensor<1x3x5x5xf16>, %w: tensor<6x1x3x3xf16>) -> (tensor<1x6x5x5xf16>)",
      """
        %y = nn.conv(%x, %w) {activation = clip, activationBeta = 0.5, group = 3, pads = [1, 1, 1, 1]} : tensor<1x6x5x5xf16>
        return %y : tensor<1x6x5x5xf16>
      """,
      2e-3
    );
  }

  @Test
  void convTranspose() {
    check(
      "%x: tensor<1x2x3x4xf32>, %w: tensor<2x3x3x3xf32>) -> (tensor<1x3x7x11xf32>)",
      """
        %y = nn.conv_transpose(%x, %w) {outputPadding = [1, 0], pads = [1, 0, 0, 1], strides = [2, 3]} : tensor<1x3x7x11xf32>
        return %y : tensor<1x3x7x11xf32>
      """
    );
    check(
      "%x: tensor<1x4x3x3xf32>, %w: tensor<4x1x2x2xf32>, %b: tensor<2xf32>) -> (tensor<1x2x5x5xf32>)",
      """
        %y = nn.conv_transpose(%x, %w, %b) {dilations = [2, 2], group = 2} : tensor<1x2x5x5xf32>
        return %y : tensor<1x2x5x5xf32>
      """
    );
  }

  @Test
  void deformableConvolutionSamplesBilinearly() {
    check(
      "%x: tensor<1x4x4x4xf32>, %w: tensor<2x2x2x2xf32>, %o: tensor<1x16x5x5xf32>, %b: tensor<2xf32>, %m: tensor<1x8x5x5xf32>) -> (tensor<1x2x5x5xf32>)",
      """
        %y = nn.deform_conv(%x, %w, %o, %b, %m) {group = 2, offsetGroup = 2, pads = [1, 1, 1, 1]} : tensor<1x2x5x5xf32>
        return %y : tensor<1x2x5x5xf32>
      """
    );
  }

  @ParameterizedTest
  @ValueSource(
    strings = {
      "nn.max_pool(%x) {ceilMode = true, kernel = [3, 3], pads = [1, 1, 1, 1], strides = [2, 2]} : tensor<1x2x4x4xf32>",
      "nn.average_pool(%x) {ceilMode = true, kernel = [3, 3], pads = [1, 1, 1, 1], strides = [2, 2]} : tensor<1x2x4x4xf32>",
      "nn.average_pool(%x) {ceilMode = true, countIncludePad = true, kernel = [3, 3], pads = [1, 1, 1, 1], strides = [2, 2]} : tensor<1x2x4x4xf32>",
      "nn.max_pool(%x) {ceilMode = true, dilations = [2, 1], kernel = [3, 3], pads = [1, 1, 1, 1], strides = [2, 2]} : tensor<1x2x3x4xf32>",
      "nn.max_pool_indices(%x) {ceilMode = true, kernel = [3, 3], pads = [1, 1, 1, 1], strides = [2, 2]} : tensor<1x2x4x4xi64>",
      "nn.max_pool_indices(%x) {columnMajor = true, kernel = [2, 3], pads = [0, 1, 1, 0]} : tensor<1x2x7x6xi64>",
    }
  )
  void pooling(String op) {
    String type = op.substring(op.lastIndexOf(": ") + 2);
    check("%x: tensor<1x2x7x7xf32>) -> (" + type + ")", "  %y = " + op + "\n  return %y : " + type);
  }

  @Test
  void integerMaxPoolAndGlobalAverage() {
    check(
      "%x: tensor<1x1x5x5xi32>) -> (tensor<1x1x6x6xi32>)",
      """
        %y = nn.max_pool(%x) {kernel = [2, 2], pads = [1, 1, 1, 1]} : tensor<1x1x6x6xi32>
        return %y : tensor<1x1x6x6xi32>
      """
    );
    check(
      "%x: tensor<2x3x4x5xf32>) -> (tensor<2x3x1x1xf32>)",
      """
        %y = nn.global_average_pool(%x) : tensor<2x3x1x1xf32>
        return %y : tensor<2x3x1x1xf32>
      """
    );
  }

  @ParameterizedTest
  @ValueSource(
    strings = {
      "%a: tensor<2x1x3x4xf32>, %b: tensor<5x4x2xf32>, %c: tensor<2xf32>) -> (tensor<2x5x3x2xf32>)|nn.matmul(%a, %b, %c) {activation = sigmoid} : tensor<2x5x3x2xf32>",
      "%a: tensor<4xf32>, %b: tensor<3x4x5xf32>) -> (tensor<3x5xf32>)|nn.matmul(%a, %b) : tensor<3x5xf32>",
      "%a: tensor<2x3x4xf32>, %b: tensor<4xf32>) -> (tensor<2x3xf32>)|nn.matmul(%a, %b) : tensor<2x3xf32>",
      "%a: tensor<4xf32>, %b: tensor<4xf32>) -> (tensor<f32>)|nn.matmul(%a, %b) : tensor<f32>",
      "%a: tensor<2x3xi32>, %b: tensor<3x2xi32>) -> (tensor<2x2xi32>)|nn.matmul(%a, %b) : tensor<2x2xi32>",
      "%a: tensor<4x3xf32>, %b: tensor<5x4xf32>, %c: tensor<3x1xf32>) -> (tensor<3x5xf32>)|nn.gemm(%a, %b, %c) {activation = hard_swish, alpha = 0.5, beta = 2.0, transA = true, transB = true} : tensor<3x5xf32>",
      "%a: tensor<3x4xf32>, %b: tensor<4x5xf32>, %c: tensor<5xf32>) -> (tensor<3x5xf32>)|nn.gemm(%a, %b, %c) {activation = tanh} : tensor<3x5xf32>",
    }
  )
  void products(String testCase) {
    String[] parts = testCase.split("\\|");
    String type = parts[1].substring(parts[1].lastIndexOf(": ") + 2);
    check(parts[0], "  %y = " + parts[1] + "\n  return %y : " + type);
  }

  private static String kernelIr(String signature, String body) {
    Func f = parse("func @main(" + signature + " {\n" + body + "\n}\n");
    return LoopPrinter.print(Lowering.lower(f, "t", List.of(), List.of(), KERNEL_TARGET));
  }

  private static void assertContains(String ir, String... lines) {
    for (String l : lines) {
      assertTrue(ir.contains(l), "missing " + l + " in\n" + ir);
    }
  }

  @Test
  void convolutionCallsItsKernelWithTheFusedEpilogue() {
    String ir = kernelIr(
      "%x: tensor<1x4x7x6xf32>, %w: tensor<6x2x3x3xf32>, %b: tensor<6xf32>, %r: tensor<1x6x4x3xf32>) -> (tensor<1x6x4x3xf32>)",
      """
        %y = nn.conv(%x, %w, %b, %r) {activation = relu, group = 2, pads = [1, 0, 2, 1], strides = [2, 2]} : tensor<1x6x4x3xf32>
        return %y : tensor<1x6x4x3xf32>
      """
    );
    assertContains(
      ir,
      "call kiln_conv2d_f32({1:i32, 4:i32, 7:i32, 6:i32, 6:i32, 4:i32, 3:i32, 3:i32, 3:i32, " +
      "2:i32, 2:i32, 1:i32, 0:i32, 1:i32, 1:i32, 2:i32, 0:i32, 6:i32, 16:i32, 18:i32, 1:i32, 0:i32, " +
      "0.0:f32, 0.0:f32, 0.0:f32}, &%in0[0], &%in1[0], &%in2[0], &%in3[0], &%out0[0], exec)"
    );
    assertFalse(ir.contains("for "), ir);
  }

  @Test
  void depthwiseConvolutionAppliesSigmoidAfterTheKernel() {
    String ir = kernelIr(
      "%x: tensor<1x3x5x5xf32>, %w: tensor<6x1x3x3xf32>) -> (tensor<1x6x5x5xf32>)",
      """
        %y = nn.conv(%x, %w) {activation = sigmoid, group = 3, pads = [1, 1, 1, 1]} : tensor<1x6x5x5xf32>
        return %y : tensor<1x6x5x5xf32>
      """
    );
    assertContains(
      ir,
      "call kiln_depthwise_conv2d_f32({1:i32, 3:i32, 5:i32, 5:i32, 2:i32, 5:i32, 5:i32, 3:i32, " +
      "3:i32, 1:i32, 1:i32, 1:i32, 1:i32, 1:i32, 1:i32, 0:i32, 0:i32, 0.0:f32, 0.0:f32, 0.0:f32}, " +
      "&%in0[0], &%in1[0], null, null, &%out0[0], exec)",
      "exp(neg(%out0["
    );
  }

  @Test
  void poolingCallsItsKernel() {
    String ir = kernelIr(
      "%x: tensor<1x2x7x7xf32>) -> (tensor<1x2x4x4xf32>)",
      """
        %y = nn.average_pool(%x) {ceilMode = true, countIncludePad = true, kernel = [3, 3], pads = [1, 1, 1, 1], strides = [2, 2]} : tensor<1x2x4x4xf32>
        return %y : tensor<1x2x4x4xf32>
      """
    );
    assertContains(
      ir,
      "call kiln_avgpool2d_f32({1:i32, 2:i32, 7:i32, 7:i32, 4:i32, 4:i32, 3:i32, 3:i32, 2:i32, " +
      "2:i32, 1:i32, 1:i32, 1:i32, 1:i32, 1:i32, 1:i32, 1:i32, 0:i32, 0:i32, 0.0:f32, 0.0:f32, " +
      "0.0:f32}, &%in0[0], null, null, &%out0[0], exec)"
    );
  }

  @Test
  void batchedMatMulCallsGemmPerMatrix() {
    String ir = kernelIr(
      "%a: tensor<2x3x4xf32>, %b: tensor<4x5xf32>, %c: tensor<5xf32>) -> (tensor<2x3x5xf32>)",
      """
        %y = nn.matmul(%a, %b, %c) {activation = leaky_relu, activationAlpha = 0.25} : tensor<2x3x5xf32>
        return %y : tensor<2x3x5xf32>
      """
    );
    assertContains(
      ir,
      "for %b0 = 0 to 2 {",
      "call kiln_gemm_f32({3:i32, 5:i32, 4:i32, 0:i32, 0:i32, 4:i32, 5:i32, 5:i32, 5:i32, 0:i32, " +
      "1:i32, 1.0:f32, 1.0:f32, 0:i32, 6:i32, 16:i32, 4:i32, 3:i32, 0:i32, 0.25:f32, 0.0:f32, " +
      "0.0:f32}, &%in0[mul(%b0, 12)], &%in1[0], &%in2[0], null, &%out0[mul(%b0, 15)], exec)"
    );
  }

  @Test
  void gemmPassesTransposesAndBiasStrides() {
    String ir = kernelIr(
      "%a: tensor<4x3xf32>, %b: tensor<5x4xf32>, %c: tensor<3x1xf32>) -> (tensor<3x5xf32>)",
      """
        %y = nn.gemm(%a, %b, %c) {activation = tanh, alpha = 0.5, beta = 2.0, transA = true, transB = true} : tensor<3x5xf32>
        return %y : tensor<3x5xf32>
      """
    );
    assertContains(
      ir,
      "call kiln_gemm_f32({3:i32, 5:i32, 4:i32, 1:i32, 1:i32, 3:i32, 4:i32, 5:i32, 5:i32, 1:i32, " +
      "0:i32, 0.5:f32, 2.0:f32, 0:i32, 6:i32, 16:i32, 4:i32, 0:i32, 0:i32, 0.0:f32, 0.0:f32, " +
      "0.0:f32}, &%in0[0], &%in1[0], &%in2[0], null, &%out0[0], exec)",
      "= tanh(%out0["
    );
  }
}
