package dev.kiln.ir.op;

import static dev.kiln.ir.op.IndexingOpsTest.eval;
import static dev.kiln.ir.op.IndexingOpsTest.f32;
import static dev.kiln.ir.op.IndexingOpsTest.infer;
import static dev.kiln.ir.op.IndexingOpsTest.s;
import static dev.kiln.ir.op.TypeInferenceTest.t;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import dev.kiln.ir.Module;
import dev.kiln.ir.Tensor;
import dev.kiln.ir.text.ModuleParser;
import dev.kiln.ir.text.Printer;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The epilogue of {@code nn.conv}, {@code nn.gemm} and {@code nn.matmul} (activation, bias,
 * residual): each activation equals its standalone op, the fused evaluation equals the unfused
 * sequence, type inference checks the addends, and the attributes round-trip through text.
 */
class EpilogueTest {

  static final double[] SAMPLES = { -7, -3, -1.5, -0.5, -0.0, 0, 0.25, 1, 2.5, 3, 6.5, 40 };

  static Stream<Arguments> activations() {
    return Stream.of(
      arguments(Activation.RELU, 0.0, 0.0, new Relu()),
      arguments(Activation.CLIP, 0.0, 6.0, new Clip(0, 6)),
      arguments(
        Activation.CLIP,
        Double.NEGATIVE_INFINITY,
        1.0,
        new Clip(Double.NEGATIVE_INFINITY, 1)
      ),
      arguments(Activation.LEAKY_RELU, 0.1, 0.0, new LeakyRelu(0.1)),
      arguments(Activation.HARD_SIGMOID, 0.2, 0.5, new HardSigmoid(0.2, 0.5)),
      arguments(Activation.HARD_SWISH, 0.0, 0.0, new HardSwish()),
      arguments(Activation.SIGMOID, 0.0, 0.0, new Sigmoid()),
      arguments(Activation.GELU, 0.0, 0.0, new Gelu(false)),
      arguments(Activation.GELU_TANH, 0.0, 0.0, new Gelu(true)),
      arguments(Activation.TANH, 0.0, 0.0, new Tanh())
    );
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("activations")
  void activation_equals_its_standalone_op(Activation a, double alpha, double beta, UnaryOp op) {
    for (double x : SAMPLES) {
      assertEquals(op.apply(x), a.apply(x, alpha, beta), "x = " + x);
    }
  }

  @Test
  void silu_is_x_times_sigmoid() {
    for (double x : SAMPLES) {
      assertEquals(x * new Sigmoid().apply(x), Activation.SILU.apply(x, 0, 0));
      assertEquals(x, Activation.NONE.apply(x, 0, 0));
    }
  }

  @Test
  void conv_epilogue_adds_bias_and_residual_then_activates() {
    Tensor x = f32(s(1, 1, 2, 2), 1, -2, 3, -4);
    Tensor w = f32(s(2, 1, 1, 1), 1, -1);
    Tensor b = f32(s(2), 0.5, 1);
    Tensor r = f32(s(2, 1, 1), -1, 2);
    Conv plain = new Conv(List.of(), List.of(), List.of(), 1);
    Tensor y = eval(plain, x, w, b);
    Tensor fused = eval(plain.withActivation(Activation.RELU, 0, 0), x, w, b, r);
    double[] want = new double[8];
    for (int i = 0; i < 8; i++) {
      want[i] = Math.max(0, y.getDouble(i) + (i < 4 ? -1 : 2));
    }
    assertArrayEquals(want, fused.toDoubles());
    assertArrayEquals(new double[] { 0.5, 0, 2.5, 0, 2, 5, 0, 7 }, fused.toDoubles());
  }

  @Test
  void gemm_activation_applies_after_alpha_and_beta() {
    Tensor a = f32(s(1, 2), 1, 2);
    Tensor b = f32(s(2, 2), 1, -1, 1, -1);
    Tensor c = f32(s(2), 1, 1);
    Gemm g = new Gemm(2.0, 0.5, false, false).withActivation(Activation.CLIP, -4, 5);
    assertArrayEquals(new double[] { 5, -4 }, eval(g, a, b, c).toDoubles());
  }

  @Test
  void matmul_bias_broadcasts_then_activates() {
    Tensor a = f32(s(2, 1, 2), 1, 2, -1, -2);
    Tensor b = f32(s(2, 2), 1, 0, 0, 1);
    Tensor bias = f32(s(2), 0.5, -0.5);
    MatMul m = new MatMul().withActivation(Activation.LEAKY_RELU, 0.5, 0);
    assertArrayEquals(new double[] { 1.5, 1.5, -0.25, -1.25 }, eval(m, a, b, bias).toDoubles());
  }

  @Test
  void addends_must_keep_the_result_shape() {
    Conv conv = new Conv(List.of(), List.of(), List.of(), 1);
    assertEquals(t("1x2x3x3xf32"), infer(conv, "1x1x3x3xf32", "2x1x1x1xf32", "2xf32", "2x1x1xf32"));
    OpError e = assertThrows(OpError.class, () ->
      infer(conv, "1x1x3x3xf32", "2x1x1x1xf32", "2xf32", "4x2x3x3xf32")
    );
    assertTrue(e.getMessage().contains("does not broadcast to the result shape"), e.getMessage());
    assertEquals(t("4x2x5xf32"), infer(new MatMul(), "4x2x3xf32", "3x5xf32", "5xf32"));
    assertThrows(OpError.class, () -> infer(new MatMul(), "2x3xf32", "3x5xf32", "4x2x5xf32"));
    assertThrows(OpError.class, () -> infer(new MatMul(), "2x3xi32", "3x5xi32", "5xi32"));
    OpError act = assertThrows(OpError.class, () ->
      infer(new MatMul().withActivation(Activation.RELU, 0, 0), "2x3xi32", "3x5xi32")
    );
    assertEquals(
      "activation relu needs a floating-point result, got tensor<2x5xi32>",
      act.getMessage()
    );
  }

  @Test
  void epilogue_attributes_round_trip() {
    String text = """
      func @main(%x: tensor<1x1x2x2xf32>, %w: tensor<2x1x1x1xf32>, %b: tensor<2xf32>, %r: tensor<1x2x2x2xf32>) -> (tensor<1x2x2x2xf32>) {
        %0 = nn.conv(%x, %w, %b, %r) {activation = clip, activationAlpha = -inf, activationBeta = 6.0} : tensor<1x2x2x2xf32>
        return %0 : tensor<1x2x2x2xf32>
      }
      """;
    Module m = ModuleParser.parse(text, "t.kir");
    String once = Printer.print(m);
    assertTrue(once.contains("activation = clip"), once);
    assertEquals(once, Printer.print(ModuleParser.parse(once, "t.kir")));
    String plain = Printer.print(
      ModuleParser.parse(
        text.replace(" {activation = clip, activationAlpha = -inf, activationBeta = 6.0}", ""),
        "t.kir"
      )
    );
    assertTrue(!plain.contains("activation"), plain);
  }
}
