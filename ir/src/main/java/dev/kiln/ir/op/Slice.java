package dev.kiln.ir.op;

import dev.kiln.ir.Dim;
import dev.kiln.ir.Shape;
import dev.kiln.ir.Tensor;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.loop.Ex;
import dev.kiln.ir.loop.Expr;
import dev.kiln.ir.loop.LowerContext;
import java.util.ArrayList;
import java.util.List;

/**
 * Strided slice along {@code axes}: on axis {@code a} of extent {@code n}, take {@code start, start
 * + step, ...} before {@code end}, with ONNX's rules: negative starts/ends count from the end, then
 * both clamp to {@code [0, n]} ({@code [-1, n-1]} for negative steps). Output extent {@code
 * max(0, ceil((end - start) / step))}. ONNX {@code Slice} with constant starts/ends/axes/steps.
 */
public record Slice(
  List<Long> axes,
  List<Long> starts,
  List<Long> ends,
  List<Long> steps
) implements Op {
  public static final OpSpec SPEC = OpSpec.of("nn.slice", List.of("x"), List.of("y"));

  public Slice {
    axes = List.copyOf(axes);
    starts = List.copyOf(starts);
    ends = List.copyOf(ends);
    steps = List.copyOf(steps);
  }

  /** Effective start, step and count on one axis of extent {@code n}. */
  record Range(long start, long step, long count) {}

  static Range range(long n, long start, long end, long step) {
    OpError.check(step != 0, "slice step must not be 0");
    long s = start < 0 ? start + n : start;
    long e = end < 0 ? end + n : end;
    if (step > 0) {
      s = Math.clamp(s, 0, n);
      e = Math.clamp(e, 0, n);
      return new Range(s, step, Math.max(0, Math.ceilDiv(e - s, step)));
    }
    s = Math.clamp(s, -1, n - 1);
    e = Math.clamp(e, -1, n - 1);
    return new Range(s, step, Math.max(0, Math.ceilDiv(s - e, -step)));
  }

  private Range[] ranges(long[] shape) {
    Range[] r = new Range[shape.length];
    for (int d = 0; d < shape.length; d++) {
      r[d] = new Range(0, 1, shape[d]);
    }
    for (int i = 0; i < axes.size(); i++) {
      int a = Shapes.axis(axes.get(i), shape.length);
      r[a] = range(shape[a], starts.get(i), ends.get(i), steps.get(i));
    }
    return r;
  }

  @Override
  public List<TensorType> inferTypes(InferContext ctx) {
    TensorType x = ctx.operand(0);
    OpError.check(
      starts.size() == axes.size() && ends.size() == axes.size() && steps.size() == axes.size(),
      "axes, starts, ends and steps need equal lengths, got %d, %d, %d, %d",
      axes.size(),
      starts.size(),
      ends.size(),
      steps.size()
    );
    List<Dim> out = new ArrayList<>(x.shape().dims());
    for (int i = 0; i < axes.size(); i++) {
      int a = Shapes.axis(axes.get(i), x.rank());
      Dim d = x.shape().dim(a);
      out.set(
        a,
        d.isKnown()
          ? Dim.of(range(d.size(), starts.get(i), ends.get(i), steps.get(i)).count())
          : Dim.UNKNOWN
      );
    }
    return List.of(x.withShape(new Shape(out)));
  }

  @Override
  public List<Tensor> evaluate(EvalContext ctx, List<Tensor> operands) {
    Tensor x = operands.getFirst();
    long[] in = x.shape().sizes();
    Range[] r = ranges(in);
    long[] out = new long[in.length];
    for (int d = 0; d < in.length; d++) {
      out[d] = r[d].count();
    }
    long[] strides = Strides.of(in);
    int w = x.elementType().byteSize();
    byte[] src = x.bytes();
    long count = Strides.product(out, 0, out.length);
    byte[] dst = new byte[Math.toIntExact(count * w)];
    long[] idx = new long[out.length];
    for (long o = 0; o < count; o++) {
      long off = 0;
      for (int d = 0; d < out.length; d++) {
        off += (r[d].start() + idx[d] * r[d].step()) * strides[d];
      }
      System.arraycopy(src, (int) (off * w), dst, (int) (o * w), w);
      Broadcast.increment(idx, out);
    }
    return List.of(Tensor.wrap(x.type().withShape(Shape.of(out)), dst));
  }

  @Override
  public void lower(LowerContext ctx) {
    Range[] r = ranges(ctx.operandDims(0));
    MoveLowering.gather(ctx, idx -> {
      List<Expr> in = new ArrayList<>();
      for (int d = 0; d < r.length; d++) {
        in.add(Ex.add(Ex.i64(r[d].start()), Ex.mul(idx.get(d), Ex.i64(r[d].step()))));
      }
      return in;
    });
  }
}
