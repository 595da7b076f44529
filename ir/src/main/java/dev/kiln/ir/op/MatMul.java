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
}
