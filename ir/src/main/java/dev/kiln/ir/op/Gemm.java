package dev.kiln.ir.op;

import dev.kiln.ir.Dim;
import dev.kiln.ir.Shape;
import dev.kiln.ir.TensorType;
import java.util.List;
import java.util.Map;

/**
 * General matrix multiply: {@code y = alpha * op(a) * op(b) + beta * c}, where {@code op}
 * transposes when {@code transA}/{@code transB} is set. {@code op(a): [M, K]}, {@code op(b): [K,
 * N]}, optional {@code c} broadcastable to {@code [M, N]}; output {@code [M, N]}. ONNX {@code Gemm}.
 */
public record Gemm(double alpha, double beta, boolean transA, boolean transB) implements Op {
  public static final OpSpec SPEC = OpSpec.of(
    "nn.gemm",
    List.of("a", "b", "c?"),
    List.of("y")
  ).withDefaults(Map.of("alpha", 1.0, "beta", 1.0, "transA", false, "transB", false));

  @Override
  public List<TensorType> inferTypes(InferContext ctx) {
    TensorType a = ctx.operand(0);
    TensorType b = ctx.operand(1);
    OpError.check(a.rank() == 2 && b.rank() == 2, "operands must be 2-D, got %s and %s", a, b);
    OpError.check(a.elementType() == b.elementType(), "operand types differ: %s vs %s", a, b);
    Dim m = a.shape().dim(transA ? 1 : 0);
    Dim ka = a.shape().dim(transA ? 0 : 1);
    Dim kb = b.shape().dim(transB ? 1 : 0);
    Dim n = b.shape().dim(transB ? 0 : 1);
    OpError.check(
      !ka.isKnown() || !kb.isKnown() || ka.size() == kb.size(),
      "inner dimensions differ: op(a) has K = %s, op(b) has K = %s",
      ka,
      kb
    );
    Shape out = new Shape(List.of(m, n));
    if (ctx.operands().size() > 2) {
      TensorType c = ctx.operand(2);
      OpError.check(c.elementType() == a.elementType(), "c type %s differs from %s", c, a);
      Shape bc = Shapes.broadcast(out, c.shape());
      OpError.check(
        bc.rank() == 2 && bc.dim(0).equals(m) && bc.dim(1).equals(n),
        "c %s does not broadcast to [M, N] = %s",
        c,
        Shapes.dims(out)
      );
    }
    return List.of(new TensorType(a.elementType(), out));
  }

  @Override
  public List<dev.kiln.ir.Tensor> evaluate(EvalContext ctx, List<dev.kiln.ir.Tensor> operands) {
    dev.kiln.ir.Tensor a = operands.get(0);
    dev.kiln.ir.Tensor b = operands.get(1);
    long[] sa = a.shape().sizes();
    long[] sb = b.shape().sizes();
    long m = transA ? sa[1] : sa[0];
    long k = transA ? sa[0] : sa[1];
    long n = transB ? sb[0] : sb[1];
    double[] av = a.toDoubles();
    double[] bv = b.toDoubles();
    TensorType outType = TensorType.of(a.elementType(), m, n);
    dev.kiln.ir.Tensor.Builder out = new dev.kiln.ir.Tensor.Builder(outType);
    dev.kiln.ir.Tensor c = operands.size() > 2 ? operands.get(2) : null;
    long[] sc = c == null ? null : c.shape().sizes();
    long[] so = { m, n };
    long[] idx = new long[2];
    for (long i = 0; i < m; i++) {
      for (long j = 0; j < n; j++) {
        double acc = 0;
        for (long p = 0; p < k; p++) {
          double x = av[(int) (transA ? p * m + i : i * k + p)];
          double y = bv[(int) (transB ? j * k + p : p * n + j)];
          acc += x * y;
        }
        double v = alpha * acc;
        if (c != null) {
          idx[0] = i;
          idx[1] = j;
          v += beta * c.getDouble(Broadcast.flatIndex(idx, so, sc));
        }
        out.setDouble(i * n + j, v);
      }
    }
    return List.of(out.build());
  }
}
