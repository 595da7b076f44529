package dev.kiln.ir.op;

import dev.kiln.ir.ElementType;
import dev.kiln.ir.Tensor;
import dev.kiln.ir.TensorType;
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
