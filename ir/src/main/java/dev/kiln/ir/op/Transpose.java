package dev.kiln.ir.op;

import dev.kiln.ir.Dim;
import dev.kiln.ir.Shape;
import dev.kiln.ir.TensorType;
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
}
