package dev.kiln.ir.op;

import dev.kiln.ir.Shape;
import dev.kiln.ir.Tensor;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.loop.Ex;
import dev.kiln.ir.loop.Expr;
import dev.kiln.ir.loop.LowerContext;
import java.util.ArrayList;
import java.util.List;

/**
 * Broadcasts {@code x} against {@code shape} (NumPy rules; either side may hold the 1s): output
 * shape {@code broadcast(x.shape, shape)}. ONNX {@code Expand} with a constant shape.
 */
public record Expand(List<Long> shape) implements Op {
  public static final OpSpec SPEC = OpSpec.of("nn.expand", List.of("x"), List.of("y"));

  public Expand {
    shape = List.copyOf(shape);
  }

  @Override
  public List<TensorType> inferTypes(InferContext ctx) {
    for (long d : shape) {
      OpError.check(d >= 0, "shape %s has a negative dimension", shape);
    }
    return List.of(
      ctx.operand(0).withShape(Shapes.broadcast(ctx.operand(0).shape(), Shape.of(shape)))
    );
  }

  @Override
  public List<Tensor> evaluate(EvalContext ctx, List<Tensor> operands) {
    Tensor x = operands.getFirst();
    Shape out = Shapes.broadcast(x.shape(), Shape.of(shape));
    long[] so = out.sizes();
    long[] sx = x.shape().sizes();
    int w = x.elementType().byteSize();
    byte[] src = x.bytes();
    long count = Strides.product(so, 0, so.length);
    byte[] dst = new byte[Math.toIntExact(count * w)];
    long[] idx = new long[so.length];
    for (long i = 0; i < count; i++) {
      System.arraycopy(src, (int) (Broadcast.flatIndex(idx, so, sx) * w), dst, (int) (i * w), w);
      Broadcast.increment(idx, so);
    }
    return List.of(Tensor.wrap(x.type().withShape(out), dst));
  }

  @Override
  public void lower(LowerContext ctx) {
    long[] in = ctx.operandDims(0);
    long[] out = ctx.resultDims(0);
    MoveLowering.gather(ctx, idx -> {
      List<Expr> src = new ArrayList<>();
      int shift = out.length - in.length;
      for (int d = 0; d < in.length; d++) {
        src.add(in[d] == 1 ? Ex.i64(0) : idx.get(d + shift));
      }
      return src;
    });
  }
}
