package dev.kiln.ir.op;

import dev.kiln.ir.ElementType;
import dev.kiln.ir.Shape;
import dev.kiln.ir.Tensor;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.loop.Ex;
import dev.kiln.ir.loop.Expr;
import dev.kiln.ir.loop.LowerContext;
import java.util.List;

/**
 * {@code z[i] = cond[i] ? x[i] : y[i]} with the three operands broadcast together (NumPy rules).
 * ONNX {@code Where}.
 */
public record Where() implements Op, Elementwise {
  public static final OpSpec SPEC = OpSpec.of("nn.where", List.of("cond", "x", "y"), List.of("z"));

  @Override
  public List<TensorType> inferTypes(InferContext ctx) {
    TensorType c = ctx.operand(0);
    TensorType x = ctx.operand(1);
    TensorType y = ctx.operand(2);
    OpError.check(c.elementType() == ElementType.BOOL, "cond must be bool, got %s", c);
    OpError.check(x.elementType() == y.elementType(), "x and y differ: %s vs %s", x, y);
    Shape s = Shapes.broadcast(Shapes.broadcast(c.shape(), x.shape()), y.shape());
    return List.of(x.withShape(s));
  }

  @Override
  public List<Tensor> evaluate(EvalContext ctx, List<Tensor> operands) {
    Tensor c = operands.get(0);
    Tensor x = operands.get(1);
    Tensor y = operands.get(2);
    Shape out = Shapes.broadcast(Shapes.broadcast(c.shape(), x.shape()), y.shape());
    long[] so = out.sizes();
    long[] sc = c.shape().sizes();
    long[] sx = x.shape().sizes();
    long[] sy = y.shape().sizes();
    Tensor.Builder r = new Tensor.Builder(x.type().withShape(out));
    long[] idx = new long[so.length];
    boolean integer = !x.elementType().isFloat();
    for (long i = 0; i < r.size(); i++) {
      Tensor src = c.getLong(Broadcast.flatIndex(idx, so, sc)) != 0 ? x : y;
      long j = Broadcast.flatIndex(idx, so, src == x ? sx : sy);
      if (integer) {
        r.setLong(i, src.getLong(j));
      } else {
        r.setDouble(i, src.getDouble(j));
      }
      Broadcast.increment(idx, so);
    }
    return List.of(r.build());
  }

  @Override
  public Expr lowerElement(LowerContext ctx, List<Expr> xs) {
    return Ex.select(xs.get(0), xs.get(1), xs.get(2));
  }
}
