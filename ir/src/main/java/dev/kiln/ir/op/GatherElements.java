package dev.kiln.ir.op;

import dev.kiln.ir.Dim;
import dev.kiln.ir.Tensor;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.loop.LowerContext;
import java.util.List;
import java.util.Map;

/**
 * Element-wise gather along {@code axis}: {@code y[i_0, ..., i_r] = x[i_0, ..., indices[i_0, ...,
 * i_r], ..., i_r]} with the index replacing coordinate {@code axis} (negative indices count from
 * the end). {@code x} and {@code indices} have equal rank; output shape {@code indices.shape}, with
 * every other extent of {@code indices} at most that of {@code x}. ONNX {@code GatherElements}.
 */
public record GatherElements(long axis) implements Op {
  public static final OpSpec SPEC = OpSpec.of(
    "nn.gather_elements",
    List.of("x", "indices"),
    List.of("y")
  ).withDefaults(Map.of("axis", 0L));

  @Override
  public List<TensorType> inferTypes(InferContext ctx) {
    TensorType x = ctx.operand(0);
    TensorType idx = ctx.operand(1);
    Indexing.requireIndices(idx);
    OpError.check(
      x.rank() == idx.rank(),
      "indices rank (%d) must equal data rank (%d)",
      idx.rank(),
      x.rank()
    );
    int a = Shapes.axis(axis, x.rank());
    for (int d = 0; d < x.rank(); d++) {
      Dim n = x.shape().dim(d);
      Dim m = idx.shape().dim(d);
      OpError.check(
        d == a || !n.isKnown() || !m.isKnown() || m.size() <= n.size(),
        "indices extent %s exceeds data extent %s on axis %d",
        m,
        n,
        d
      );
    }
    return List.of(x.withShape(idx.shape()));
  }

  @Override
  public List<Tensor> evaluate(EvalContext ctx, List<Tensor> operands) {
    Tensor x = operands.get(0);
    Tensor indices = operands.get(1);
    TensorType outType = inferTypes(
      new InferContext(List.of(x.type(), indices.type()), List.of())
    ).getFirst();
    long[] sx = x.shape().sizes();
    long[] si = indices.shape().sizes();
    int a = Shapes.axis(axis, sx.length);
    long[] strides = Strides.of(sx);
    int w = x.elementType().byteSize();
    byte[] src = x.bytes();
    byte[] dst = new byte[Math.toIntExact(indices.size() * w)];
    long[] idx = new long[si.length];
    for (long o = 0; o < indices.size(); o++) {
      long off = 0;
      for (int d = 0; d < si.length; d++) {
        long j = d == a ? Indexing.resolve(indices.getLong(o), sx[a]) : idx[d];
        off += j * strides[d];
      }
      System.arraycopy(src, (int) (off * w), dst, (int) (o * w), w);
      Broadcast.increment(idx, si);
    }
    return List.of(Tensor.wrap(outType, dst));
  }

  @Override
  public void lower(LowerContext ctx) {
    long[] in = ctx.operandDims(0);
    int a = Shapes.axis(axis, in.length);
    MoveLowering.requireNonEmpty(in[a], MoveLowering.count(ctx.resultDims(0)), "gather_elements");
    MoveLowering.gather(ctx, idx ->
      MoveLowering.with(idx, a, MoveLowering.resolve(ctx.load(1, idx), in[a]))
    );
  }
}
