package dev.kiln.ir.op;

import java.util.List;

/**
 * Trait of ops that compute each output element from the operand elements at the same
 * (broadcast) index; chains of them fuse into one loop nest. They are layout-agnostic: on operands
 * transposed alike, the same op computes the result transposed alike.
 */
public interface Elementwise extends LayoutAware {
  @Override
  default Kind layoutKind() {
    return Kind.AGNOSTIC;
  }

  @Override
  default Permuted permuted(List<Long> perm) {
    return new Permuted((Op) this, perm);
  }
}
