package dev.kiln.ir.op;

import dev.kiln.ir.Dim;
import dev.kiln.ir.Shape;
import dev.kiln.ir.Tensor;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.loop.Ex;
import dev.kiln.ir.loop.Expr;
import dev.kiln.ir.loop.LowerContext;
import dev.kiln.ir.loop.Scalar;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * One-hot encoding: a new axis of extent {@code depth} is inserted at {@code axis} of the output;
 * {@code y[..., c, ...] = values[1]} where {@code indices[...] == c} (negative indices count from
 * the end, {@code i + depth}) and {@code values[0]} elsewhere, so out-of-range indices give an
 * all-off row. {@code values} holds {@code [off, on]}; output shape {@code indices.shape[:axis] +
 * [depth] + indices.shape[axis:]} with {@code values}' element type. ONNX {@code OneHot} with a
 * constant depth.
 */
public record OneHot(long axis, long depth) implements Op {
  public static final OpSpec SPEC = OpSpec.of(
    "nn.one_hot",
    List.of("indices", "values"),
    List.of("y")
  ).withDefaults(Map.of("axis", -1L));

  @Override
  public List<TensorType> inferTypes(InferContext ctx) {
    TensorType idx = ctx.operand(0);
    TensorType values = ctx.operand(1);
    OpError.check(!idx.elementType().isBool(), "indices must be numeric, got %s", idx);
    OpError.check(depth > 0, "depth must be positive, got %d", depth);
    OpError.check(
      values
        .shape()
        .numElements()
        .map(n -> n == 2)
        .orElse(true),
      "values must hold [off, on], got %s",
      values
    );
    int a = Shapes.axis(axis, idx.rank() + 1);
    List<Dim> out = new ArrayList<>(idx.shape().dims());
    out.add(a, Dim.of(depth));
    return List.of(new TensorType(values.elementType(), new Shape(out)));
  }

  @Override
  public List<Tensor> evaluate(EvalContext ctx, List<Tensor> operands) {
    Tensor indices = operands.get(0);
    Tensor values = operands.get(1);
    TensorType outType = inferTypes(
      new InferContext(List.of(indices.type(), values.type()), List.of())
    ).getFirst();
    long[] so = outType.shape().sizes();
    int a = Shapes.axis(axis, so.length);
    long[] sis = Strides.of(indices.shape().sizes());
    boolean isFloat = values.elementType().isFloat();
    Tensor.Builder b = new Tensor.Builder(outType);
    long[] idx = new long[so.length];
    for (long i = 0; i < b.size(); i++) {
      long pos = 0;
      int k = 0;
      for (int d = 0; d < so.length; d++) {
        if (d != a) {
          pos += idx[d] * sis[k++];
        }
      }
      long v = indices.getLong(pos);
      long c = v < 0 ? v + depth : v;
      int which = c == idx[a] ? 1 : 0;
      if (isFloat) {
        b.setDouble(i, values.getDouble(which));
      } else {
        b.setLong(i, values.getLong(which));
      }
      Broadcast.increment(idx, so);
    }
    return List.of(b.build());
  }

  /** Per output element: the index read as i64, wrapped once when negative, compared to its position. */
  @Override
  public void lower(LowerContext ctx) {
    long[] dims = ctx.resultDims(0);
    int a = Shapes.axis(axis, dims.length);
    Expr.Var off = ctx.let("off", ctx.loadLinear(1, Ex.i64(0)));
    Expr.Var on = ctx.let("on", ctx.loadLinear(1, Ex.i64(1)));
    ctx.forEach(dims, idx -> {
      Expr v = Ex.cast(Scalar.I64, ctx.load(0, AxisLowering.without(idx, a)));
      Expr.Var c = ctx.let("c", v);
      Expr wrapped = Ex.select(Ex.lt(c, Ex.i64(0)), Ex.add(c, Ex.i64(depth)), c);
      ctx.store(0, idx, Ex.select(Ex.eq(wrapped, idx.get(a)), on, off));
    });
  }
}
