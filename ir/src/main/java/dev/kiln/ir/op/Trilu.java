package dev.kiln.ir.op;

import dev.kiln.ir.Tensor;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.loop.Ex;
import dev.kiln.ir.loop.Expr;
import dev.kiln.ir.loop.LowerContext;
import java.util.List;
import java.util.Map;

/**
 * Keeps the upper ({@code upper}) or lower triangle of each matrix in the last two axes and zeroes
 * the rest: element {@code (i, j)} is kept when {@code j - i >= k} (upper) or {@code j - i <= k}
 * (lower). Output shape {@code x.shape}. ONNX {@code Trilu} with a constant {@code k}.
 */
public record Trilu(boolean upper, long k) implements Op {
  public static final OpSpec SPEC = OpSpec.of("nn.trilu", List.of("x"), List.of("y")).withDefaults(
    Map.of("upper", true, "k", 0L)
  );

  @Override
  public List<TensorType> inferTypes(InferContext ctx) {
    TensorType x = ctx.operand(0);
    OpError.check(x.rank() >= 2, "trilu needs rank >= 2, got %s", x);
    return List.of(x);
  }

  @Override
  public List<Tensor> evaluate(EvalContext ctx, List<Tensor> operands) {
    Tensor x = operands.getFirst();
    inferTypes(new InferContext(List.of(x.type()), List.of()));
    long[] s = x.shape().sizes();
    long rows = s[s.length - 2];
    long cols = s[s.length - 1];
    int w = x.elementType().byteSize();
    byte[] src = x.bytes();
    byte[] dst = new byte[src.length];
    for (long e = 0; e < x.size(); e++) {
      long j = e % cols;
      long i = (e / cols) % rows;
      if (upper ? j - i >= k : j - i <= k) {
        System.arraycopy(src, (int) (e * w), dst, (int) (e * w), w);
      }
    }
    return List.of(Tensor.wrap(x.type(), dst));
  }

  @Override
  public void lower(LowerContext ctx) {
    long[] dims = ctx.operandDims(0);
    int rank = dims.length;
    ctx.forEach(dims, idx -> {
      Expr diff = Ex.sub(idx.get(rank - 1), idx.get(rank - 2));
      Expr keep = upper ? Ex.ge(diff, Ex.i64(k)) : Ex.le(diff, Ex.i64(k));
      Expr x = ctx.load(0, idx);
      ctx.store(0, idx, Ex.select(keep, x, Ex.zero(x)));
    });
  }
}
