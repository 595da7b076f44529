package dev.kiln.pass;

import dev.kiln.ir.Node;
import dev.kiln.ir.Rewriter;

/**
 * A local rewrite tried on one node at a time by {@link PatternDriver}. Named verb-first ({@code
 * FoldBatchNormIntoConv}); when it does not apply to a node that looked like a candidate it returns
 * {@code rewriter.fail(node, reason)} so {@code --rewrite-stats} can say why.
 */
public interface Pattern {
  /** Name shown in rewrite statistics. */
  default String name() {
    return getClass().getSimpleName();
  }

  /** Rewrites around {@code node} and returns true, or returns false and changes nothing. */
  boolean matchAndRewrite(Node node, Rewriter rewriter);
}
