package dev.kiln.ir.op;

import dev.kiln.ir.loop.Ex;
import dev.kiln.ir.loop.Expr;

/** {@code z = a ^ b} on bool tensors, broadcasting. ONNX {@code Xor}. */
public record Xor() implements LogicOp {
  public static final OpSpec SPEC = LogicOp.spec("nn.xor");

  @Override
  public boolean apply(boolean a, boolean b) {
    return a ^ b;
  }

  @Override
  public Expr lowerScalar(Expr a, Expr b) {
    return Ex.ne(a, b);
  }
}
