package dev.kiln.ir.op;

import static dev.kiln.ir.loop.UnaryOp.IS_NAN;

import dev.kiln.ir.loop.Ex;
import dev.kiln.ir.loop.Expr;
import java.util.List;

/** True where {@code x} is NaN. ONNX {@code IsNan}. */
public record IsNan() implements FloatPredicate {
  public static final OpSpec SPEC = OpSpec.of("nn.is_nan", List.of("x"), List.of("y"));

  @Override
  public boolean test(double x) {
    return Double.isNaN(x);
  }

  @Override
  public Expr lowerScalar(Expr x) {
    return Ex.un(IS_NAN, x);
  }
}
