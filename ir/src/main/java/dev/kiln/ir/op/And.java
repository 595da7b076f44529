package dev.kiln.ir.op;

import dev.kiln.ir.loop.Ex;
import dev.kiln.ir.loop.Expr;

/** {@code z = a && b} on bool tensors, broadcasting. ONNX {@code And}. */
public record And() implements LogicOp {
  public static final OpSpec SPEC = LogicOp.spec("nn.and");

  @Override
  public boolean apply(boolean a, boolean b) {
    return a && b;
  }

  @Override
  public Expr lowerScalar(Expr a, Expr b) {
    return Ex.and(a, b);
  }
}
