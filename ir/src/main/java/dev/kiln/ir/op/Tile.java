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

/** Repeats {@code x} {@code repeats[d]} times along each axis: output extent {@code n * r}. ONNX {@code Tile}. */
public record Tile(List<Long> repeats) implements Op {
  public static final OpSpec SPEC = OpSpec.of("nn.tile", List.of("x"), List.of("y"));

  public Tile {
    repeats = List.copyOf(repeats);
  }

  @Override
  public List<TensorType> inferTypes(InferContext ctx) {
    TensorType x = ctx.operand(0);
    OpError.check(repeats.size() == x.rank(), "repeats %s needs %d entries", repeats, x.rank());
    List<Dim> out = new ArrayList<>();
    for (int d = 0; d < x.rank(); d++) {
      long r = repeats.get(d);
      OpError.check(r >= 0, "repeats %s has a negative entry", repeats);
      out.add(Shapes.map(x.shape().dim(d), n -> Math.multiplyExact(n, r)));
    }
    return List.of(x.withShape(new Shape(out)));
  }

  @Override
  public List<Tensor> evaluate(EvalContext ctx, List<Tensor> operands) {
    Tensor x = operands.getFirst();
    long[] sx = x.shape().sizes();
    long[] so = new long[sx.length];
    for (int d = 0; d < sx.length; d++) {
      so[d] = sx[d] * repeats.get(d);
    }
    long[] strides = Strides.of(sx);
    int w = x.elementType().byteSize();
    byte[] src = x.bytes();
    long count = Strides.product(so, 0, so.length);
    byte[] dst = new byte[Math.toIntExact(count * w)];
    long[] idx = new long[so.length];
    for (long i = 0; i < count; i++) {
      long off = 0;
      for (int d = 0; d < so.length; d++) {
        off += (idx[d] % sx[d]) * strides[d];
      }
      System.arraycopy(src, (int) (off * w), dst, (int) (i * w), w);
      Broadcast.increment(idx, so);
    }
    return List.of(Tensor.wrap(x.type().withShape(Shape.of(so)), dst));
  }

  @Override
  public void lower(LowerContext ctx) {
    long[] in = ctx.operandDims(0);
    MoveLowering.gather(ctx, idx -> {
      List<Expr> src = new ArrayList<>();
      for (int d = 0; d < in.length; d++) {
        src.add(
          in[d] == 1
            ? Ex.i64(0)
            : repeats.get(d) == 1 ? idx.get(d) : Ex.rem(idx.get(d), Ex.i64(in[d]))
        );
      }
      return src;
    });
  }
}
