package dev.kiln.ir.op;

import dev.kiln.ir.loop.Ex;
import dev.kiln.ir.loop.Expr;
import dev.kiln.ir.loop.Scalar;
import dev.kiln.ir.loop.UnaryOp;
import java.util.List;

/**
 * Loop IR for the {@link Activation} epilogue of {@link Conv}, {@link Gemm} and {@link MatMul}:
 * the activation of one element as an expression, and the {@code kiln_epilogue_t} fields of the
 * runtime-c micro-kernels for the activations those kernels apply themselves.
 */
final class ActivationLowering {

  private ActivationLowering() {}

  /**
   * {@code a(x)} with parameters {@code alpha}, {@code beta}, for a float {@code x} of a compute
   * type; the same formulas as {@link Activation#function}.
   */
  static Expr apply(Activation a, double alpha, double beta, Expr x) {
    return switch (a) {
      case NONE -> x;
      case RELU -> Ex.max(x, Ex.zero(x));
      case CLIP -> Ex.min(Ex.max(x, Ex.like(x, alpha)), Ex.like(x, beta));
      case LEAKY_RELU -> Ex.select(Ex.ge(x, Ex.zero(x)), x, Ex.mul(Ex.like(x, alpha), x));
      case LEAKY_RELU_MAX -> Ex.max(apply(Activation.LEAKY_RELU, alpha, 0, x), Ex.like(x, beta));
      case HARD_SIGMOID -> unitClamp(Ex.add(Ex.mul(Ex.like(x, alpha), x), Ex.like(x, beta)));
      case HARD_SWISH -> Ex.mul(x, unitClamp(Ex.add(Ex.div(x, Ex.like(x, 6)), Ex.like(x, 0.5))));
      case SIGMOID -> sigmoid(x);
      case SILU -> Ex.mul(x, sigmoid(x));
      case GELU -> Ex.mul(
        Ex.mul(Ex.like(x, 0.5), x),
        Ex.add(Ex.one(x), Ex.un(UnaryOp.ERF, Ex.div(x, Ex.like(x, Math.sqrt(2)))))
      );
      case GELU_TANH -> {
        Expr cube = Ex.mul(Ex.mul(Ex.mul(Ex.like(x, 0.044715), x), x), x);
        Expr inner = Ex.mul(Ex.like(x, Math.sqrt(2 / Math.PI)), Ex.add(x, cube));
        yield Ex.mul(Ex.mul(Ex.like(x, 0.5), x), Ex.add(Ex.one(x), Ex.tanh(inner)));
      }
      case TANH -> Ex.tanh(x);
    };
  }

  private static Expr unitClamp(Expr v) {
    return Ex.max(Ex.zero(v), Ex.min(Ex.one(v), v));
  }

  private static Expr sigmoid(Expr x) {
    return Ex.div(Ex.one(x), Ex.add(Ex.one(x), Ex.exp(Ex.neg(x))));
  }

  /**
   * Whether the micro-kernels apply {@code a} themselves (none, relu, clip, leaky_relu,
   * leaky_relu_max, hard_swish).
   */
  static boolean inKernel(Activation a) {
    return (
      a == Activation.NONE ||
      a == Activation.RELU ||
      a == Activation.CLIP ||
      a == Activation.LEAKY_RELU ||
      a == Activation.LEAKY_RELU_MAX ||
      a == Activation.HARD_SWISH
    );
  }

  /**
   * The five fields of a {@code kiln_epilogue_t} (activation code, residual after activation,
   * alpha, min, max) applying {@code a}, which must be one {@link #inKernel} accepts; the residual
   * is added before the activation, as the ops define it.
   */
  static List<Expr> kernelEpilogue(Activation a, double alpha, double beta) {
    int code = switch (a) {
      case NONE -> 0;
      case RELU -> 1;
      case CLIP -> 2;
      case LEAKY_RELU -> 3;
      case LEAKY_RELU_MAX -> 4;
      case HARD_SWISH -> 5;
      default -> throw new IllegalArgumentException(
        "activation " + a + " is not a kernel epilogue"
      );
    };
    return List.of(
      Ex.ci(Scalar.I32, code),
      Ex.ci(Scalar.I32, 0),
      Ex.c(Scalar.F32, a == Activation.LEAKY_RELU || a == Activation.LEAKY_RELU_MAX ? alpha : 0),
      Ex.c(Scalar.F32, a == Activation.CLIP ? alpha : a == Activation.LEAKY_RELU_MAX ? beta : 0),
      Ex.c(Scalar.F32, a == Activation.CLIP ? beta : 0)
    );
  }
}
