package dev.kiln.ir.op;

import dev.kiln.ir.Dim;
import dev.kiln.ir.Shape;
import dev.kiln.ir.Tensor;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.loop.Expr;
import dev.kiln.ir.loop.LowerContext;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Takes entries of {@code x} along {@code axis} at {@code indices} (negative indices count from
 * the end): output shape {@code x.shape[:axis] + indices.shape + x.shape[axis+1:]}. ONNX {@code
 * Gather}.
 */
public record Gather(long axis) implements Op {
  public static final OpSpec SPEC = OpSpec.of(
    "nn.gather",
    List.of("x", "indices"),
    List.of("y")
  ).withDefaults(Map.of("axis", 0L));

  @Override
  public List<TensorType> inferTypes(InferContext ctx) {
    TensorType x = ctx.operand(0);
    TensorType idx = ctx.operand(1);
    OpError.check(idx.elementType().isInteger(), "indices must be integers, got %s", idx);
    OpError.check(x.rank() >= 1, "gather needs rank >= 1, got %s", x);
    int a = Shapes.axis(axis, x.rank());
    List<Dim> out = new ArrayList<>(x.shape().dims().subList(0, a));
    out.addAll(idx.shape().dims());
    out.addAll(x.shape().dims().subList(a + 1, x.rank()));
    return List.of(x.withShape(new Shape(out)));
  }

  @Override
  public List<Tensor> evaluate(EvalContext ctx, List<Tensor> operands) {
    Tensor x = operands.get(0);
    Tensor idx = operands.get(1);
    long[] s = x.shape().sizes();
    int a = Shapes.axis(axis, s.length);
    long outer = Strides.product(s, 0, a);
    long n = s[a];
    int inner = Math.toIntExact(Strides.product(s, a + 1, s.length) * x.elementType().byteSize());
    TensorType outType = inferTypes(
      new InferContext(List.of(x.type(), idx.type()), List.of())
    ).getFirst();
    byte[] src = x.bytes();
    byte[] dst = new byte[Math.toIntExact(
      outType.shape().numElements().orElseThrow() * x.elementType().byteSize()
    )];
    int pos = 0;
    for (long o = 0; o < outer; o++) {
      for (long k = 0; k < idx.size(); k++) {
        long i = idx.getLong(k);
        OpError.check(i >= -n && i < n, "index %d is out of range for axis of %d", i, n);
        long j = i < 0 ? i + n : i;
        System.arraycopy(src, (int) ((o * n + j) * inner), dst, pos, inner);
        pos += inner;
      }
    }
    return List.of(Tensor.wrap(outType, dst));
  }

  @Override
  public void lower(LowerContext ctx) {
    long[] in = ctx.operandDims(0);
    int a = Shapes.axis(axis, in.length);
    int q = ctx.operandDims(1).length;
    MoveLowering.requireNonEmpty(in[a], MoveLowering.count(ctx.resultDims(0)), "gather");
    MoveLowering.gather(ctx, idx -> {
      Expr k = ctx.load(1, idx.subList(a, a + q));
      List<Expr> src = new ArrayList<>(idx.subList(0, a));
      src.add(MoveLowering.resolve(k, in[a]));
      src.addAll(idx.subList(a + q, idx.size()));
      return src;
    });
  }
}
