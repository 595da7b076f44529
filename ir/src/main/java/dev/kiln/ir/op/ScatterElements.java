package dev.kiln.ir.op;

import dev.kiln.ir.Dim;
import dev.kiln.ir.Tensor;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.loop.Ex;
import dev.kiln.ir.loop.Expr;
import dev.kiln.ir.loop.LowerContext;
import java.util.List;
import java.util.Map;

/**
 * Element-wise scatter along {@code axis}: a copy of {@code x} where each {@code updates[i_0, ...,
 * i_r]} is combined by {@code reduction} into {@code x[i_0, ..., indices[i_0, ..., i_r], ...,
 * i_r]} (the index replaces coordinate {@code axis}; negative indices count from the end), in
 * row-major order of {@code indices}. {@code indices} and {@code updates} share a shape of the
 * rank of {@code x}; output shape {@code x.shape}. ONNX {@code ScatterElements} and the older
 * {@code Scatter}.
 */
public record ScatterElements(long axis, ScatterReduction reduction) implements Op {
  public static final OpSpec SPEC = OpSpec.of(
    "nn.scatter_elements",
    List.of("x", "indices", "updates"),
    List.of("y")
  ).withDefaults(Map.of("axis", 0L, "reduction", ScatterReduction.NONE));

  @Override
  public List<TensorType> inferTypes(InferContext ctx) {
    TensorType x = ctx.operand(0);
    TensorType idx = ctx.operand(1);
    TensorType upd = ctx.operand(2);
    Indexing.requireIndices(idx);
    OpError.check(
      upd.elementType() == x.elementType(),
      "updates element type %s must equal data element type %s",
      upd.elementType(),
      x.elementType()
    );
    OpError.check(
      x.rank() == idx.rank() && upd.rank() == idx.rank(),
      "data, indices and updates need equal ranks, got %d, %d, %d",
      x.rank(),
      idx.rank(),
      upd.rank()
    );
    int a = Shapes.axis(axis, x.rank());
    for (int d = 0; d < x.rank(); d++) {
      Dim n = x.shape().dim(d);
      Dim m = idx.shape().dim(d);
      Dim u = upd.shape().dim(d);
      OpError.check(
        !m.isKnown() || !u.isKnown() || m.equals(u),
        "updates extent %s must equal indices extent %s on axis %d",
        u,
        m,
        d
      );
      OpError.check(
        d == a || !n.isKnown() || !m.isKnown() || m.size() <= n.size(),
        "indices extent %s exceeds data extent %s on axis %d",
        m,
        n,
        d
      );
    }
    return List.of(x);
  }

  @Override
  public List<Tensor> evaluate(EvalContext ctx, List<Tensor> operands) {
    Tensor x = operands.get(0);
    Tensor indices = operands.get(1);
    Tensor updates = operands.get(2);
    inferTypes(new InferContext(List.of(x.type(), indices.type(), updates.type()), List.of()));
    long[] sx = x.shape().sizes();
    long[] si = indices.shape().sizes();
    int a = Shapes.axis(axis, sx.length);
    long[] strides = Strides.of(sx);
    Indexing.Values out = new Indexing.Values(x);
    long[] idx = new long[si.length];
    for (long k = 0; k < indices.size(); k++) {
      long off = 0;
      for (int d = 0; d < si.length; d++) {
        long j = d == a ? Indexing.resolve(indices.getLong(k), sx[a]) : idx[d];
        off += j * strides[d];
      }
      out.combine(off, updates, k, reduction);
      Broadcast.increment(idx, si);
    }
    return List.of(out.build());
  }

  @Override
  public void lower(LowerContext ctx) {
    long[] out = ctx.operandDims(0);
    long[] si = ctx.operandDims(1);
    int a = Shapes.axis(axis, out.length);
    MoveLowering.copy(ctx, 0);
    MoveLowering.requireNonEmpty(out[a], MoveLowering.count(si), "scatter_elements");
    ctx.forEach(si, idx -> {
      List<Expr> target = MoveLowering.with(idx, a, MoveLowering.resolve(ctx.load(1, idx), out[a]));
      MoveLowering.combine(ctx, Ex.linear(out, target), ctx.load(2, idx), reduction);
    });
  }
}
