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
 */
public record MatMul() implements Op {
  public static final OpSpec SPEC = OpSpec.of("nn.matmul", List.of("a", "b"), List.of("y"));

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
    return List.of(new TensorType(a.elementType(), new Shape(out)));
  }

  @Override
  public List<dev.kiln.ir.Tensor> evaluate(EvalContext ctx, List<dev.kiln.ir.Tensor> operands) {
    dev.kiln.ir.Tensor a = operands.get(0);
    dev.kiln.ir.Tensor b = operands.get(1);
    TensorType outType = inferTypes(
      new InferContext(List.of(a.type(), b.type()), List.of())
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
            out.setDouble((t * m + i) * n + j, acc);
          }
        }
      }
      Broadcast.increment(idx, batch);
    }
    return List.of(out.build());
  }
}
