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
 * Joins tensors along {@code axis}: all inputs share rank and element type and agree on every other
 * dimension; the output extent along {@code axis} is the sum of the inputs'. ONNX {@code Concat}.
 */
public record Concat(long axis) implements Op, AlongAxis {
  public static final OpSpec SPEC = OpSpec.of("nn.concat", List.of("inputs..."), List.of("y"));

  @Override
  public Concat withAxis(long a) {
    return new Concat(a);
  }

  @Override
  public List<TensorType> inferTypes(InferContext ctx) {
    List<TensorType> in = ctx.operands();
    OpError.check(!in.isEmpty(), "concat needs at least one input");
    TensorType first = in.getFirst();
    Shapes.sameElementType(in);
    int rank = first.rank();
    OpError.check(rank >= 1, "inputs must have rank >= 1, got %s", first);
    int a = Shapes.axis(axis, rank);
    List<Dim> out = new ArrayList<>(first.shape().dims());
    long sum = 0;
    boolean known = true;
    for (TensorType t : in) {
      OpError.check(t.rank() == rank, "inputs must share rank %d, got %s", rank, t);
      for (int d = 0; d < rank; d++) {
        if (d == a) {
          continue;
        }
        Dim x = out.get(d);
        Dim y = t.shape().dim(d);
        OpError.check(
          !x.isKnown() || !y.isKnown() || x.size() == y.size(),
          "inputs differ in dimension %d (%s vs %s) off the concat axis %d",
          d,
          x,
          y,
          a
        );
        if (!x.isKnown() && y.isKnown()) {
          out.set(d, y);
        }
      }
      Dim ad = t.shape().dim(a);
      if (ad.isKnown()) {
        sum = Math.addExact(sum, ad.size());
      } else {
        known = false;
      }
    }
    out.set(a, known ? Dim.of(sum) : Dim.UNKNOWN);
    return List.of(first.withShape(new Shape(out)));
  }

  @Override
  public List<Tensor> evaluate(EvalContext ctx, List<Tensor> operands) {
    TensorType outType = inferTypes(
      new InferContext(operands.stream().map(Tensor::type).toList(), List.of())
    ).getFirst();
    long[] out = outType.shape().sizes();
    int a = Shapes.axis(axis, out.length);
    int w = outType.elementType().byteSize();
    long outer = Strides.product(out, 0, a);
    byte[] dst = new byte[Math.toIntExact(
      Math.multiplyExact(outType.shape().numElements().orElseThrow(), w)
    )];
    int pos = 0;
    List<byte[]> srcs = operands.stream().map(Tensor::bytes).toList();
    for (long o = 0; o < outer; o++) {
      for (int k = 0; k < operands.size(); k++) {
        long[] s = operands.get(k).shape().sizes();
        int chunk = Math.toIntExact(Strides.product(s, a, s.length) * w);
        System.arraycopy(srcs.get(k), (int) (o * chunk), dst, pos, chunk);
        pos += chunk;
      }
    }
    return List.of(Tensor.wrap(outType, dst));
  }

  @Override
  public void lower(LowerContext ctx) {
    int a = Shapes.axis(axis, ctx.resultDims(0).length);
    long offset = 0;
    for (int k = 0; k < ctx.numOperands(); k++) {
      int operand = k;
      Expr shift = Ex.i64(offset);
      ctx.forEach(ctx.operandDims(k), idx ->
        ctx.store(0, MoveLowering.with(idx, a, Ex.add(idx.get(a), shift)), ctx.load(operand, idx))
      );
      offset += ctx.operandDims(k)[a];
    }
  }
}
