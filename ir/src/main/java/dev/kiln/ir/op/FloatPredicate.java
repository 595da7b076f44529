package dev.kiln.ir.op;

import dev.kiln.ir.ElementType;
import dev.kiln.ir.Tensor;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.loop.Ex;
import dev.kiln.ir.loop.Expr;
import dev.kiln.ir.loop.LowerContext;
import java.util.List;

/** Elementwise tests of floating-point values giving bool tensors of the same shape. */
public sealed interface FloatPredicate extends Op, Elementwise permits IsNan, IsInf {
  boolean test(double x);

  /** The test as a Loop IR expression of a float operand ({@code BOOL} result). */
  Expr lowerScalar(Expr x);

  @Override
  default Expr lowerElement(LowerContext ctx, List<Expr> xs) {
    return lowerScalar(xs.getFirst());
  }

  @Override
  default List<TensorType> inferTypes(InferContext ctx) {
    TensorType x = ctx.operand(0);
    Shapes.requireFloat(x, name() + " input");
    return List.of(x.withElementType(ElementType.BOOL));
  }

  @Override
  default List<Tensor> evaluate(EvalContext ctx, List<Tensor> operands) {
    Tensor x = operands.getFirst();
    Tensor.Builder b = new Tensor.Builder(x.type().withElementType(ElementType.BOOL));
    for (long i = 0; i < x.size(); i++) {
      b.setLong(i, test(x.getDouble(i)) ? 1 : 0);
    }
    return List.of(b.build());
  }
}
