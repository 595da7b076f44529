package dev.kiln.pass;

import dev.kiln.ir.Dim;
import dev.kiln.ir.Node;
import dev.kiln.ir.OpResult;
import dev.kiln.ir.Rewriter;
import dev.kiln.ir.Shape;
import dev.kiln.ir.Tensor;
import dev.kiln.ir.Value;
import dev.kiln.ir.op.Constant;
import dev.kiln.ir.op.Return;
import java.util.ArrayList;
import java.util.List;

/** Small queries and clean-ups that patterns share. */
final class Rewrites {

  private Rewrites() {}

  /** The value of {@code v} when a constant with data defines it, else null. */
  static Tensor constantValue(Value v) {
    if (v.definingNode() instanceof Node n && n.op() instanceof Constant(Tensor t) && t.hasData()) {
      return t;
    }
    return null;
  }

  /** True when {@code t} holds at least one element and every element equals {@code value}. */
  static boolean isSplatOf(Tensor t, double value) {
    return t != null && t.size() > 0 && t.isSplat() && t.getDouble(0) == value;
  }

  /**
   * True when broadcasting a tensor of shape {@code small} against {@code big} gives {@code big}
   * whatever the unknown dimensions of {@code big} turn out to be: {@code small} has no more axes,
   * and each of its dimensions is 1 or equals the known dimension it lines up with.
   */
  static boolean broadcastsInto(Shape small, Shape big) {
    if (small.rank() > big.rank()) {
      return false;
    }
    int offset = big.rank() - small.rank();
    for (int i = 0; i < small.rank(); i++) {
      Dim s = small.dim(i);
      Dim b = big.dim(offset + i);
      boolean one = s.isKnown() && s.size() == 1;
      boolean equal = s.isKnown() && b.isKnown() && s.size() == b.size();
      if (!one && !equal) {
        return false;
      }
    }
    return true;
  }

  /** Replaces {@code n}'s only result by {@code v}, erases {@code n}, then its dead producers. */
  static void replaceBy(Node n, Value v, Rewriter rw) {
    List<Value> operands = new ArrayList<>(n.operands());
    rw.replaceNode(n, List.of(v));
    eraseDeadProducers(operands, rw);
  }

  /** Erases the producers of {@code values} whose results are all unused, transitively. */
  static void eraseDeadProducers(List<Value> values, Rewriter rw) {
    List<Value> work = new ArrayList<>(values);
    while (!work.isEmpty()) {
      Value v = work.removeLast();
      Node p = v.definingNode();
      if (p == null || p.parent() == null || p.op() instanceof Return || isUsed(p)) {
        continue;
      }
      work.addAll(p.operands());
      rw.erase(p);
    }
  }

  private static boolean isUsed(Node n) {
    for (OpResult r : n.results()) {
      if (r.hasUses()) {
        return true;
      }
    }
    return false;
  }
}
