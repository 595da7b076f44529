package dev.kiln.ir.op;

import dev.kiln.ir.loop.Ex;
import dev.kiln.ir.loop.Expr;
import dev.kiln.ir.loop.LowerContext;
import java.util.List;

/** {@code z = a^b}. Broadcasting; ONNX {@code Pow}. */
public record Pow() implements BinaryOp {
  public static final OpSpec SPEC = BinaryOp.spec("nn.pow");

  @Override
  public long applyInt(long a, long b) {
    return Ints.pow(a, b);
  }

  @Override
  public double apply(double a, double b) {
    return Math.pow(a, b);
  }

  @Override
  public Expr lowerElement(LowerContext ctx, List<Expr> xs) {
    Expr a = xs.get(0);
    Expr b = xs.get(1);
    return a.type().isFloat() ? Ex.pow(a, b) : ElementLowering.intPow(ctx, a, b);
  }
}
