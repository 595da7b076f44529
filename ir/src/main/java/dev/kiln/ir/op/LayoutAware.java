package dev.kiln.ir.op;

import java.util.List;

/**
 * Trait of ops that can compute on operands whose axes arrive permuted, which is what layout passes
 * need to move transposes through them. An op is one of:
 *
 * <ul>
 *   <li>{@link Kind#AGNOSTIC}: indifferent to the order of axes; with every layout operand
 *       transposed by {@code perm}, the same op computes the result transposed by {@code perm}
 *       (every {@link Elementwise} op);
 *   <li>{@link Kind#SENSITIVE}: attributes name axes or a layout, so reading permuted operands
 *       takes another op (a convolution switching to NHWC, a concatenation along another axis);
 *   <li>{@link Kind#BARRIER}: every op without this trait (reshapes, matrix products, gathers):
 *       transposes stay on their side of it.
 * </ul>
 *
 * <p>The contract of {@link #permuted}: when each layout operand of a node of this op is {@code
 * transpose(x_i, perm)}, the op {@code p.op()} applied to the {@code x_i} (other operands
 * unchanged) gives {@code r}, and {@code transpose(r, p.resultPerm())} equals this op's result.
 */
public interface LayoutAware {
  /** How an op relates to the layout of its operands. */
  enum Kind {
    AGNOSTIC,
    SENSITIVE,
    BARRIER,
  }

  /** The op that reads un-transposed operands, and how its result must be transposed. */
  record Permuted(Op op, List<Long> resultPerm) {
    public Permuted {
      resultPerm = List.copyOf(resultPerm);
    }
  }

  /** {@link Kind#AGNOSTIC} or {@link Kind#SENSITIVE}. */
  Kind layoutKind();

  /**
   * True when operand {@code index} is laid out like the result (a convolution's input and
   * residual), false for operands that are not (weights, per-channel vectors).
   */
  default boolean carriesLayout(int index) {
    return true;
  }

  /**
   * This op rewritten for layout operands that are {@code transpose(x, perm)}, or null when no op
   * computes that (the layout operands must then stay transposed).
   */
  Permuted permuted(List<Long> perm);

  /** The kind of {@code op}: its own, or {@link Kind#BARRIER} without this trait. */
  static Kind kindOf(Op op) {
    return op instanceof LayoutAware a ? a.layoutKind() : Kind.BARRIER;
  }

  /** {@code axis} of a permuted operand's rank-{@code perm.size()} reader as an axis of {@code x}. */
  static long permuteAxis(long axis, List<Long> perm) {
    int a = Shapes.axis(axis, perm.size());
    return perm.get(a);
  }
}
