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
 *
 * <p>Epilogue (set by {@code fold-conv-bn} and {@code fuse-activation}, absent in imported IR):
 * {@code y = activation(alpha * op(a) * op(b) + beta * c)} with {@code activation}, {@code
 * activationAlpha}, {@code activationBeta} an {@link Activation}.
 */
public record Gemm(
  double alpha,
  double beta,
  boolean transA,
  boolean transB,
  Activation activation,
  double activationAlpha,
  double activationBeta
) implements Op {
  public static final OpSpec SPEC = OpSpec.of(
    "nn.gemm",
    List.of("a", "b", "c?"),
    List.of("y")
  ).withDefaults(
    Map.of(
      "alpha",
      1.0,
      "beta",
      1.0,
      "transA",
      false,
      "transB",
      false,
      "activation",
      Activation.NONE,
      "activationAlpha",
      0.0,
      "activationBeta",
      0.0
    )
  );

  /** A matrix multiply without epilogue. */
  public Gemm(double alpha, double beta, boolean transA, boolean transB) {
    this(alpha, beta, transA, transB, Activation.NONE, 0.0, 0.0);
  }

  /** This product with the activation {@code a} as its epilogue. */
  public Gemm withActivation(Activation a, double aAlpha, double aBeta) {
    return new Gemm(alpha, beta, transA, transB, a, aAlpha, aBeta);
  }

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
    TensorType y = new TensorType(a.elementType(), out);
    Epilogue.checkActivation(activation, y);
    return List.of(y);
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
    java.util.function.DoubleUnaryOperator act = activation.function(
      activationAlpha,
      activationBeta
    );
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
        out.setDouble(i * n + j, act.applyAsDouble(v));
      }
    }
    return List.of(out.build());
  }

  @Override
  public void lower(dev.kiln.ir.loop.LowerContext ctx) {
    MatMulLowering.gemm(ctx, this);
  }
}
