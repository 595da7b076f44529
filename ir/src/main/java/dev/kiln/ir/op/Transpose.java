package dev.kiln.ir.op;

import dev.kiln.ir.Dim;
import dev.kiln.ir.Shape;
import dev.kiln.ir.Tensor;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.loop.Expr;
import dev.kiln.ir.loop.LowerContext;
import java.util.ArrayList;
import java.util.List;

/**
 * Permutes axes: output dimension {@code i} is input dimension {@code perm[i]}. {@code perm} is a
 * permutation of {@code 0..rank-1}. ONNX {@code Transpose} (the frontend fills in the reversing
 * default).
 */
public record Transpose(List<Long> perm) implements Op {
  public static final OpSpec SPEC = OpSpec.of("nn.transpose", List.of("x"), List.of("y"));

  public Transpose {
    perm = List.copyOf(perm);
  }

  @Override
  public List<TensorType> inferTypes(InferContext ctx) {
    TensorType x = ctx.operand(0);
    OpError.check(perm.size() == x.rank(), "perm %s must have %d entries", perm, x.rank());
    boolean[] seen = new boolean[x.rank()];
    List<Dim> out = new ArrayList<>();
    for (long p : perm) {
      OpError.check(p >= 0 && p < x.rank() && !seen[(int) p], "perm %s is not a permutation", perm);
      seen[(int) p] = true;
      out.add(x.shape().dim((int) p));
    }
    return List.of(x.withShape(new Shape(out)));
  }

  @Override
  public List<Tensor> evaluate(EvalContext ctx, List<Tensor> operands) {
    Tensor x = operands.getFirst();
    long[] in = x.shape().sizes();
    long[] inStrides = Strides.of(in);
    long[] out = new long[in.length];
    long[] step = new long[in.length];
    for (int i = 0; i < in.length; i++) {
      out[i] = in[perm.get(i).intValue()];
      step[i] = inStrides[perm.get(i).intValue()];
    }
    int w = x.elementType().byteSize();
    byte[] src = x.bytes();
    byte[] dst = new byte[src.length];
    long[] idx = new long[out.length];
    long count = x.size();
    for (long o = 0; o < count; o++) {
      long off = 0;
      for (int d = 0; d < out.length; d++) {
        off += idx[d] * step[d];
      }
      System.arraycopy(src, (int) (off * w), dst, (int) (o * w), w);
      Broadcast.increment(idx, out);
    }
    return List.of(Tensor.wrap(x.type().withShape(dev.kiln.ir.Shape.of(out)), dst));
  }

  @Override
  public void lower(LowerContext ctx) {
    MoveLowering.gather(ctx, idx -> {
      Expr[] in = new Expr[idx.size()];
      for (int i = 0; i < in.length; i++) {
        in[perm.get(i).intValue()] = idx.get(i);
      }
      return List.of(in);
    });
  }
}
