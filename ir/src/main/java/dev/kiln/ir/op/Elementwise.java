package dev.kiln.ir.op;

import dev.kiln.ir.loop.Expr;
import dev.kiln.ir.loop.LowerContext;
import java.util.List;

/**
 * Trait of ops that compute each output element from the operand elements at the same
 * (broadcast) index; chains of them fuse into one loop nest. They are layout-agnostic: on operands
 * transposed alike, the same op computes the result transposed alike.
 */
public interface Elementwise extends LayoutAware {
  /**
   * The Loop IR expression of one result element from the operand elements at its (broadcast)
   * index, given in the operands' compute types ({@link LowerContext#operandScalar}); the result
   * is in {@link LowerContext#resultScalar}{@code (0)}. Lowering materializes or fuses it.
   */
  default Expr lowerElement(LowerContext ctx, List<Expr> operands) {
    throw new UnsupportedOperationException("no lowering");
  }

  @Override
  default Kind layoutKind() {
    return Kind.AGNOSTIC;
  }

  @Override
  default Permuted permuted(List<Long> perm) {
    return new Permuted((Op) this, perm);
  }
}
