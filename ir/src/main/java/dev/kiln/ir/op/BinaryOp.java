package dev.kiln.ir.op;

import dev.kiln.ir.Shape;
import dev.kiln.ir.Tensor;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.loop.Expr;
import dev.kiln.ir.loop.LowerContext;
import java.util.List;

/**
 * The elementwise binary family with NumPy broadcasting: {@code z[i] = f(a[i'], b[i''])}. Both
 * operands share an element type; the output shape is {@link Shapes#broadcast} of the two.
 */
public sealed interface BinaryOp
  extends Op, Elementwise
  permits
    Add, Sub, Mul, Div, Pow, Max, Min, Mod, PRelu, BitShift, BitwiseAnd, BitwiseOr, BitwiseXor {
  /** The scalar function, evaluated in double precision. */
  double apply(double a, double b);

  /** The function on integers, exact; by default the double function truncated. */
  default long applyInt(long a, long b) {
    return (long) apply((double) a, (double) b);
  }

  /**
   * The element as a Loop IR expression of the operand elements, in the compute type; ops
   * without a lowering say so with {@link UnsupportedOperationException}.
   */
  default Expr lowerScalar(Expr a, Expr b) {
    throw new UnsupportedOperationException("no lowering");
  }

  @Override
  default Expr lowerElement(LowerContext ctx, List<Expr> xs) {
    return lowerScalar(xs.get(0), xs.get(1));
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
    OpError.check(!a.elementType().isBool(), "%s is not defined on bool", name());
    return List.of(new TensorType(a.elementType(), Shapes.broadcast(a.shape(), b.shape())));
  }

  @Override
  default List<Tensor> evaluate(EvalContext ctx, List<Tensor> operands) {
    Tensor a = operands.get(0);
    Tensor b = operands.get(1);
    Shape out = Shapes.broadcast(a.shape(), b.shape());
    TensorType type = new TensorType(a.elementType(), out);
    Tensor.Builder r = new Tensor.Builder(type);
    long[] sa = a.shape().sizes();
    long[] sb = b.shape().sizes();
    long[] so = out.sizes();
    long[] idx = new long[so.length];
    boolean integer = !a.elementType().isFloat();
    for (long i = 0; i < r.size(); i++) {
      long ia = Broadcast.flatIndex(idx, so, sa);
      long ib = Broadcast.flatIndex(idx, so, sb);
      if (integer) {
        r.setLong(i, applyInt(a.getLong(ia), b.getLong(ib)));
      } else {
        r.setDouble(i, apply(a.getDouble(ia), b.getDouble(ib)));
      }
      Broadcast.increment(idx, so);
    }
    return List.of(r.build());
  }

  /** The spec every binary op shares: {@code z = name(a, b)}. */
  static OpSpec spec(String name) {
    return OpSpec.of(name, List.of("a", "b"), List.of("z"));
  }
}
