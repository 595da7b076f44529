package dev.kiln.ir.op;

import static dev.kiln.ir.loop.UnaryOp.IS_INF;
import static dev.kiln.ir.loop.UnaryOp.IS_NEG_INF;
import static dev.kiln.ir.loop.UnaryOp.IS_POS_INF;

import dev.kiln.ir.loop.Ex;
import dev.kiln.ir.loop.Expr;
import java.util.List;
import java.util.Map;

/**
 * True where {@code x} is an infinity of a selected sign ({@code detectNegative}, {@code
 * detectPositive}). ONNX {@code IsInf}.
 */
public record IsInf(boolean detectNegative, boolean detectPositive) implements FloatPredicate {
  public static final OpSpec SPEC = OpSpec.of("nn.is_inf", List.of("x"), List.of("y")).withDefaults(
    Map.of("detectNegative", true, "detectPositive", true)
  );

  @Override
  public boolean test(double x) {
    return (
      (detectPositive && x == Double.POSITIVE_INFINITY) ||
      (detectNegative && x == Double.NEGATIVE_INFINITY)
    );
  }

  @Override
  public Expr lowerScalar(Expr x) {
    if (detectNegative && detectPositive) {
      return Ex.un(IS_INF, x);
    }
    if (detectNegative || detectPositive) {
      return Ex.un(detectNegative ? IS_NEG_INF : IS_POS_INF, x);
    }
    return Ex.bool(false);
  }
}
