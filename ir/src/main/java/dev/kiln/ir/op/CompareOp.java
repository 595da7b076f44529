package dev.kiln.ir.op;

import dev.kiln.ir.ElementType;
import dev.kiln.ir.Tensor;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.loop.Ex;
import dev.kiln.ir.loop.Expr;
import dev.kiln.ir.loop.LowerContext;
import dev.kiln.ir.loop.Scalar;
import java.util.List;

/**
 * Elementwise comparisons with NumPy broadcasting: {@code z[i] = a[i'] OP b[i'']} as bool. Both
 * operands share an element type; integers compare exactly, NaN compares false (unequal).
 */
public sealed interface CompareOp
  extends Op, Elementwise
  permits Equal, Less, LessOrEqual, Greater, GreaterOrEqual {
  boolean test(double a, double b);

  boolean testInt(long a, long b);

  /** The comparison as a Loop IR expression of two operands of one type ({@code BOOL} result). */
  Expr lowerScalar(Expr a, Expr b);

  /** Compares the operand elements, {@code bool} ones as {@code u8} (false < true). */
  @Override
  default Expr lowerElement(LowerContext ctx, List<Expr> xs) {
    Expr a = xs.get(0);
    Expr b = xs.get(1);
    if (a.type() == Scalar.BOOL) {
      a = Ex.cast(Scalar.U8, a);
      b = Ex.cast(Scalar.U8, b);
    }
    return lowerScalar(a, b);
  }

  @Override
  default List<TensorType> inferTypes(InferContext ctx) {
    TensorType a = ctx.operand(0);
    TensorType b = ctx.operand(1);
    OpError.check(
      a.elementType() == b.elementType(),
      "operand element types differ: %s vs %s",
      a.elementType(),
      b.elementType()
    );
    return List.of(new TensorType(ElementType.BOOL, Shapes.broadcast(a.shape(), b.shape())));
  }

  @Override
  default List<Tensor> evaluate(EvalContext ctx, List<Tensor> operands) {
    Tensor a = operands.get(0);
    Tensor b = operands.get(1);
    boolean integer = !a.elementType().isFloat();
    return List.of(
      Broadcast.map2(a, b, ElementType.BOOL, (r, i, ia, ib) ->
        r.setLong(
          i,
          (integer ? testInt(a.getLong(ia), b.getLong(ib)) : test(a.getDouble(ia), b.getDouble(ib)))
            ? 1
            : 0
        )
      )
    );
  }

  static OpSpec spec(String name) {
    return OpSpec.of(name, List.of("a", "b"), List.of("z"));
  }
}
