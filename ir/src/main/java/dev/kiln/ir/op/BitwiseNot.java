package dev.kiln.ir.op;

import dev.kiln.ir.TensorType;
import dev.kiln.ir.loop.Ex;
import dev.kiln.ir.loop.Expr;
import java.util.List;

/** Bitwise complement {@code y = ~x} of an integer tensor. ONNX {@code BitwiseNot}. */
public record BitwiseNot() implements UnaryOp {
  public static final OpSpec SPEC = UnaryOp.spec("nn.bitwise_not");

  @Override
  public List<TensorType> inferTypes(InferContext ctx) {
    TensorType x = ctx.operand(0);
    OpError.check(x.elementType().isInteger(), "bitwise_not needs integers, got %s", x);
    return List.of(x);
  }

  @Override
  public double apply(double x) {
    return ~(long) x;
  }

  @Override
  public long applyInt(long x) {
    return ~x;
  }

  @Override
  public boolean acceptsIntegers() {
    return true;
  }

  @Override
  public Expr lowerScalar(Expr x) {
    return Ex.not(x);
  }
}
