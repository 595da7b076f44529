package dev.kiln.ir.op;

import java.util.List;

/**
 * Trait of ops that work along one axis, {@code axis} (softmax, concatenation): layout-sensitive,
 * on permuted operands the same op works along the axis the permutation moved {@code axis} to, and
 * the result keeps the operands' permutation.
 */
public interface AlongAxis extends LayoutAware {
  /** The axis the op works along; negative counts from the end. */
  long axis();

  /** The same op along {@code axis}. */
  Op withAxis(long axis);

  @Override
  default Kind layoutKind() {
    return Kind.SENSITIVE;
  }

  @Override
  default Permuted permuted(List<Long> perm) {
    return new Permuted(withAxis(LayoutAware.permuteAxis(axis(), perm)), perm);
  }
}
