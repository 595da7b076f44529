package dev.kiln.ir.op;

import dev.kiln.ir.ElementType;
import dev.kiln.ir.Tensor;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.loop.Ex;
import dev.kiln.ir.loop.Expr;
import dev.kiln.ir.loop.LowerContext;
import java.util.List;

/** Elementwise boolean connectives with NumPy broadcasting on bool tensors. */
public sealed interface LogicOp extends Op, Elementwise permits And, Or, Xor {
  boolean apply(boolean a, boolean b);

  /** The connective as a Loop IR expression of two {@code BOOL} operands. */
  Expr lowerScalar(Expr a, Expr b);

  @Override
  default Expr lowerElement(LowerContext ctx, List<Expr> xs) {
    return lowerScalar(xs.get(0), xs.get(1));
  }

  @Override
  default List<TensorType> inferTypes(InferContext ctx) {
    TensorType a = ctx.operand(0);
    TensorType b = ctx.operand(1);
    OpError.check(
      a.elementType() == ElementType.BOOL && b.elementType() == ElementType.BOOL,
      "operands must be bool, got %s and %s",
      a.elementType(),
      b.elementType()
    );
    return List.of(new TensorType(ElementType.BOOL, Shapes.broadcast(a.shape(), b.shape())));
  }

  @Override
  default List<Tensor> evaluate(EvalContext ctx, List<Tensor> operands) {
    Tensor a = operands.get(0);
    Tensor b = operands.get(1);
    return List.of(
      Broadcast.map2(a, b, ElementType.BOOL, (r, i, ia, ib) ->
        r.setLong(i, apply(a.getLong(ia) != 0, b.getLong(ib) != 0) ? 1 : 0)
      )
    );
  }

  static OpSpec spec(String name) {
    return OpSpec.of(name, List.of("a", "b"), List.of("z"));
  }
}
