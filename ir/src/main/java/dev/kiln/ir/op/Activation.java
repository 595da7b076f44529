package dev.kiln.ir.op;

import dev.kiln.ir.loop.Ex;
import dev.kiln.ir.loop.Expr;
import java.util.function.DoubleUnaryOperator;

/**
 * The activation a {@link Conv}, {@link Gemm} or {@link MatMul} applies to its result as an
 * epilogue, with its two parameters {@code alpha} and {@code beta} (attributes {@code
 * activationAlpha}, {@code activationBeta}). Each constant computes exactly what the standalone op
 * named in its comment computes.
 */
public enum Activation {
  /** The identity; the parameters are unused. */
  NONE,
  /** {@code nn.relu}. */
  RELU,
  /** {@code nn.clip} with {@code min = alpha}, {@code max = beta}. */
  CLIP,
  /** {@code nn.leaky_relu} with {@code alpha}. */
  LEAKY_RELU,
  /**
   * {@code nn.max(nn.leaky_relu(x) with alpha, beta)}: a floor after a leaky relu (with {@code
   * alpha} 0 a relu, with 1 the identity), as TensorFlow's {@code maximum(leaky_relu(x), c)}.
   */
  LEAKY_RELU_MAX,
  /** {@code nn.hard_sigmoid} with {@code alpha}, {@code beta}. */
  HARD_SIGMOID,
  /** {@code nn.hard_swish}. */
  HARD_SWISH,
  /** {@code nn.sigmoid}. */
  SIGMOID,
  /** {@code x * sigmoid(x)} (SiLU, Swish). */
  SILU,
  /** {@code nn.gelu} with the exact normal CDF. */
  GELU,
  /** {@code nn.gelu {tanh = true}}. */
  GELU_TANH,
  /** {@code nn.tanh}. */
  TANH;

  /** The activation of {@code x} with parameters {@code alpha} and {@code beta}. */
  public double apply(double x, double alpha, double beta) {
    return function(alpha, beta).applyAsDouble(x);
  }

  /** The activation with parameters {@code alpha} and {@code beta}, as a function. */
  public DoubleUnaryOperator function(double alpha, double beta) {
    return switch (this) {
      case NONE -> x -> x;
      case RELU -> new Relu()::apply;
      case CLIP -> new Clip(alpha, beta)::apply;
      case LEAKY_RELU -> new LeakyRelu(alpha)::apply;
      case LEAKY_RELU_MAX -> {
        LeakyRelu l = new LeakyRelu(alpha);
        Max m = new Max();
        yield x -> m.apply(l.apply(x), beta);
      }
      case HARD_SIGMOID -> new HardSigmoid(alpha, beta)::apply;
      case HARD_SWISH -> new HardSwish()::apply;
      case SIGMOID -> new Sigmoid()::apply;
      case SILU -> {
        Sigmoid s = new Sigmoid();
        yield x -> x * s.apply(x);
      }
      case GELU -> new Gelu(false)::apply;
      case GELU_TANH -> new Gelu(true)::apply;
      case TANH -> new Tanh()::apply;
    };
  }

  /**
   * The activation of {@code x} as a Loop IR expression with parameters {@code alpha} and {@code
   * beta}, in {@code x}'s (compute) type; the same expression the standalone op lowers to.
   */
  public Expr lower(Expr x, double alpha, double beta) {
    return switch (this) {
      case NONE -> x;
      case RELU -> new Relu().lowerScalar(x);
      case CLIP -> new Clip(alpha, beta).lowerScalar(x);
      case LEAKY_RELU -> new LeakyRelu(alpha).lowerScalar(x);
      case LEAKY_RELU_MAX -> Ex.max(new LeakyRelu(alpha).lowerScalar(x), Ex.like(x, beta));
      case HARD_SIGMOID -> new HardSigmoid(alpha, beta).lowerScalar(x);
      case HARD_SWISH -> new HardSwish().lowerScalar(x);
      case SIGMOID -> new Sigmoid().lowerScalar(x);
      case SILU -> Ex.mul(x, new Sigmoid().lowerScalar(x));
      case GELU -> new Gelu(false).lowerScalar(x);
      case GELU_TANH -> new Gelu(true).lowerScalar(x);
      case TANH -> new Tanh().lowerScalar(x);
    };
  }
}
