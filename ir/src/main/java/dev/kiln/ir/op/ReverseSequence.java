package dev.kiln.ir.op;

import dev.kiln.ir.Dim;
import dev.kiln.ir.Tensor;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.loop.Ex;
import dev.kiln.ir.loop.Expr;
import dev.kiln.ir.loop.LowerContext;
import dev.kiln.ir.loop.Scalar;
import java.util.List;
import java.util.Map;

/**
 * Reverses the first {@code lengths[b]} entries along {@code timeAxis} of each batch entry {@code
 * b} (along {@code batchAxis}); later entries are copied unchanged. {@code batchAxis} and {@code
 * timeAxis} are 0 and 1 in either order; {@code lengths} has shape {@code [batch]}. Output shape
 * {@code x.shape}. ONNX {@code ReverseSequence}.
 */
public record ReverseSequence(long batchAxis, long timeAxis) implements Op {
  public static final OpSpec SPEC = OpSpec.of(
    "nn.reverse_sequence",
    List.of("x", "lengths"),
    List.of("y")
  ).withDefaults(Map.of("batchAxis", 1L, "timeAxis", 0L));

  @Override
  public List<TensorType> inferTypes(InferContext ctx) {
    TensorType x = ctx.operand(0);
    TensorType lengths = ctx.operand(1);
    OpError.check(x.rank() >= 2, "reverse_sequence needs rank >= 2, got %s", x);
    OpError.check(
      (batchAxis == 0 && timeAxis == 1) || (batchAxis == 1 && timeAxis == 0),
      "batch and time axes must be 0 and 1 in either order, got %d and %d",
      batchAxis,
      timeAxis
    );
    Indexing.requireIndices(lengths);
    OpError.check(lengths.rank() == 1, "lengths must have rank 1, got %s", lengths);
    Dim batch = x.shape().dim((int) batchAxis);
    Dim n = lengths.shape().dim(0);
    OpError.check(
      !batch.isKnown() || !n.isKnown() || batch.equals(n),
      "lengths extent %s must equal batch extent %s",
      n,
      batch
    );
    return List.of(x);
  }

  @Override
  public List<Tensor> evaluate(EvalContext ctx, List<Tensor> operands) {
    Tensor x = operands.get(0);
    Tensor lengths = operands.get(1);
    inferTypes(new InferContext(List.of(x.type(), lengths.type()), List.of()));
    long[] s = x.shape().sizes();
    long[] strides = Strides.of(s);
    int t = (int) timeAxis;
    int b = (int) batchAxis;
    int w = x.elementType().byteSize();
    byte[] src = x.bytes();
    byte[] dst = new byte[src.length];
    long[] idx = new long[s.length];
    for (long o = 0; o < x.size(); o++) {
      long len = lengths.getLong(idx[b]);
      OpError.check(len >= 0 && len <= s[t], "length %d is out of range [0, %d]", len, s[t]);
      long from = idx[t] < len ? len - 1 - idx[t] : idx[t];
      long off = o + (from - idx[t]) * strides[t];
      System.arraycopy(src, (int) (off * w), dst, (int) (o * w), w);
      Broadcast.increment(idx, s);
    }
    return List.of(Tensor.wrap(x.type(), dst));
  }

  @Override
  public void lower(LowerContext ctx) {
    long[] s = ctx.operandDims(0);
    int t = (int) timeAxis;
    int b = (int) batchAxis;
    MoveLowering.gather(ctx, idx -> {
      Expr len = MoveLowering.clamp(Ex.cast(Scalar.I64, ctx.load(1, List.of(idx.get(b)))), 0, s[t]);
      Expr i = idx.get(t);
      Expr from = Ex.select(Ex.lt(i, len), Ex.sub(Ex.sub(len, Ex.i64(1)), i), i);
      return MoveLowering.with(idx, t, from);
    });
  }
}
