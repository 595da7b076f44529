package dev.kiln.ir.op;

import dev.kiln.ir.Tensor;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.loop.Expr;
import dev.kiln.ir.loop.LowerContext;
import java.util.List;

/**
 * The elementwise unary family: {@code y[i] = f(x[i])}, output type equal to the input type. Each
 * member gives its scalar semantics in {@link #apply(double)}, which the interpreter and folding
 * use directly.
 */
public sealed interface UnaryOp
  extends Op, Elementwise
  permits
    BitwiseNot,
    Abs,
    Neg,
    Exp,
    Log,
    Sqrt,
    Relu,
    Sigmoid,
    Tanh,
    Acos,
    Acosh,
    Asin,
    Asinh,
    Atan,
    Atanh,
    Cos,
    Cosh,
    Sin,
    Sinh,
    Tan,
    Erf,
    Reciprocal,
    Floor,
    Ceil,
    Round,
    Sign,
    Softplus,
    Softsign,
    Mish,
    Gelu,
    LeakyRelu,
    Elu,
    Selu,
    Celu,
    HardSigmoid,
    HardSwish,
    ThresholdedRelu,
    Shrink,
    Clip {
  /** The scalar function, evaluated in double precision. */
  double apply(double x);

  /** The function on integers, exact; by default the double function truncated. */
  default long applyInt(long x) {
    return (long) apply((double) x);
  }

  /** Whether the op is defined on integer element types as well as floats. */
  default boolean acceptsIntegers() {
    return false;
  }

  /**
   * The element as a Loop IR expression of the operand element, in the compute type; ops
   * without a lowering say so with {@link UnsupportedOperationException}.
   */
  default Expr lowerScalar(Expr x) {
    throw new UnsupportedOperationException("no lowering");
  }

  @Override
  default Expr lowerElement(LowerContext ctx, List<Expr> xs) {
    return lowerScalar(xs.getFirst());
  }

  @Override
  default List<TensorType> inferTypes(InferContext ctx) {
    TensorType x = ctx.operand(0);
    OpError.check(
      x.elementType().isFloat() || (acceptsIntegers() && x.elementType().isInteger()),
      "%s is not defined on element type %s",
      name(),
      x.elementType()
    );
    return List.of(x);
  }

  @Override
  default List<Tensor> evaluate(EvalContext ctx, List<Tensor> operands) {
    Tensor x = operands.getFirst();
    Tensor.Builder b = new Tensor.Builder(x.type());
    boolean integer = !x.elementType().isFloat();
    for (long i = 0; i < x.size(); i++) {
      if (integer) {
        b.setLong(i, applyInt(x.getLong(i)));
      } else {
        b.setDouble(i, apply(x.getDouble(i)));
      }
    }
    return List.of(b.build());
  }

  /** The spec every unary op shares: {@code y = name(x)}. */
  static OpSpec spec(String name) {
    return OpSpec.of(name, List.of("x"), List.of("y"));
  }
}
