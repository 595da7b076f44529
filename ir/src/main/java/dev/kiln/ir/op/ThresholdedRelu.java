package dev.kiln.ir.op;

import dev.kiln.ir.loop.Ex;
import dev.kiln.ir.loop.Expr;

/** {@code y = x} for {@code x > alpha}, else 0. Output shape equals the input shape. ONNX {@code ThresholdedRelu}. */
public record ThresholdedRelu(double alpha) implements UnaryOp {
  public static final OpSpec SPEC = UnaryOp.spec("nn.thresholded_relu").withDefaults(
    java.util.Map.of("alpha", 1.0)
  );

  @Override
  public double apply(double x) {
    return x > alpha ? x : 0;
  }

  @Override
  public Expr lowerScalar(Expr x) {
    return Ex.select(Ex.gt(x, Ex.like(x, alpha)), x, Ex.zero(x));
  }
}
