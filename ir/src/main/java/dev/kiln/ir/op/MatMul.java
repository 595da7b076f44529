package dev.kiln.ir.op;

import dev.kiln.ir.Dim;
import dev.kiln.ir.Shape;
import dev.kiln.ir.TensorType;
import java.util.ArrayList;
import java.util.List;

/**
 * NumPy matrix product: {@code [..., M, K] x [..., K, N] -> [..., M, N]} with the batch dimensions
 * broadcast; a 1-D left operand is treated as {@code [1, K]} and a 1-D right operand as {@code [K,
 * 1]}, the added dimension removed from the result. ONNX {@code MatMul}.
 *
 * <p>Epilogue (set by {@code fold-conv-bn} and {@code fuse-activation}, absent in imported IR):
 * {@code y = activation(a x b + bias)}, where the optional {@code bias} broadcasts to the output
 * shape without changing it and {@code activation}, {@code activationAlpha}, {@code
 * activationBeta} is an {@link Activation}; both need a floating-point result.
 */
public record MatMul(
  Activation activation,
  double activationAlpha,
  double activationBeta
) implements Op {
  public static final OpSpec SPEC = OpSpec.of(
    "nn.matmul",
    List.of("a", "b", "bias?"),
    List.of("y")
  ).withDefaults(
    java.util.Map.of("activation", Activation.NONE, "activationAlpha", 0.0, "activationBeta", 0.0)
  );

  /** A matrix product without epilogue. */
  public MatMul() {
    this(Activation.NONE, 0.0, 0.0);
  }

  /** This product with the activation {@code a} as its epilogue. */
  public MatMul withActivation(Activation a, double alpha, double beta) {
    return new MatMul(a, alpha, beta);
  }

  @Override
  public List<TensorType> inferTypes(InferContext ctx) {
    TensorType a = ctx.operand(0);
    TensorType b = ctx.operand(1);
    OpError.check(a.elementType() == b.elementType(), "operand types differ: %s vs %s", a, b);
    OpError.check(
      a.rank() >= 1 && b.rank() >= 1,
      "operands must have rank >= 1, got %s and %s",
      a,
      b
    );
    List<Dim> da = new ArrayList<>(a.shape().dims());
    List<Dim> db = new ArrayList<>(b.shape().dims());
    boolean vecA = da.size() == 1;
    boolean vecB = db.size() == 1;
    if (vecA) {
      da.addFirst(Dim.of(1));
    }
    if (vecB) {
      db.add(Dim.of(1));
    }
    Dim ka = da.getLast();
    Dim kb = db.get(db.size() - 2);
    OpError.check(
      !ka.isKnown() || !kb.isKnown() || ka.size() == kb.size(),
      "inner dimensions differ: %s is %s, %s is %s",
      Shapes.dims(a.shape()),
      ka,
      Shapes.dims(b.shape()),
      kb
    );
    Shape batch = Shapes.broadcast(
      new Shape(da.subList(0, da.size() - 2)),
      new Shape(db.subList(0, db.size() - 2))
    );
    List<Dim> out = new ArrayList<>(batch.dims());
    if (!vecA) {
      out.add(da.get(da.size() - 2));
    }
    if (!vecB) {
      out.add(db.getLast());
    }
    TensorType y = new TensorType(a.elementType(), new Shape(out));
    if (ctx.operands().size() > 2) {
      Shapes.requireFloat(y, "matmul with bias: result");
      Epilogue.checkAddend(y, ctx.operand(2), "bias");
    }
    Epilogue.checkActivation(activation, y);
    return List.of(y);
  }

  @Override
  public List<dev.kiln.ir.Tensor> evaluate(EvalContext ctx, List<dev.kiln.ir.Tensor> operands) {
    dev.kiln.ir.Tensor a = operands.get(0);
    dev.kiln.ir.Tensor b = operands.get(1);
    TensorType outType = inferTypes(
      new InferContext(operands.stream().map(dev.kiln.ir.Tensor::type).toList(), List.of())
    ).getFirst();
    long[] sa = a.shape().sizes();
    long[] sb = b.shape().sizes();
    long[] a2 = sa.length == 1 ? new long[] { 1, sa[0] } : sa;
    long[] b2 = sb.length == 1 ? new long[] { sb[0], 1 } : sb;
    long m = a2[a2.length - 2];
    long k = a2[a2.length - 1];
    long n = b2[b2.length - 1];
    long[] ba = java.util.Arrays.copyOf(a2, a2.length - 2);
    long[] bb = java.util.Arrays.copyOf(b2, b2.length - 2);
    long[] batch = Shapes.broadcast(dev.kiln.ir.Shape.of(ba), dev.kiln.ir.Shape.of(bb)).sizes();
    long batches = Strides.product(batch, 0, batch.length);
    double[] av = a.toDoubles();
    double[] bv = b.toDoubles();
    dev.kiln.ir.Tensor.Builder out = new dev.kiln.ir.Tensor.Builder(outType);
    boolean integer = !a.elementType().isFloat();
    long[] ai = integer ? a.toLongs() : null;
    long[] bi = integer ? b.toLongs() : null;
    long[] idx = new long[batch.length];
    double[] bias = operands.size() > 2
      ? Epilogue.expand(operands.get(2), outType.shape().sizes())
      : null;
    java.util.function.DoubleUnaryOperator act = activation.function(
      activationAlpha,
      activationBeta
    );
    for (long t = 0; t < batches; t++) {
      long oa = Broadcast.flatIndex(idx, batch, ba) * m * k;
      long ob = Broadcast.flatIndex(idx, batch, bb) * k * n;
      for (long i = 0; i < m; i++) {
        for (long j = 0; j < n; j++) {
          if (integer) {
            long acc = 0;
            for (long p = 0; p < k; p++) {
              acc += ai[(int) (oa + i * k + p)] * bi[(int) (ob + p * n + j)];
            }
            out.setLong((t * m + i) * n + j, acc);
          } else {
            double acc = 0;
            for (long p = 0; p < k; p++) {
              acc += av[(int) (oa + i * k + p)] * bv[(int) (ob + p * n + j)];
            }
            long at = (t * m + i) * n + j;
            if (bias != null) {
              acc += bias[(int) at];
            }
            out.setDouble(at, act.applyAsDouble(acc));
          }
        }
      }
      Broadcast.increment(idx, batch);
    }
    return List.of(out.build());
  }

  @Override
  public void lower(dev.kiln.ir.loop.LowerContext ctx) {
    MatMulLowering.matmul(ctx, this);
  }
}
