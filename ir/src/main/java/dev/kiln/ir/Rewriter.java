package dev.kiln.ir;

import dev.kiln.ir.op.Op;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The only way to change existing IR: replace uses, erase nodes, swap a node's op. Passes also call
 * {@link #fail} to record why a rewrite did not apply; those reasons, and how often each pattern
 * applied, are reported by {@code --rewrite-stats}.
 */
public final class Rewriter {

  private final Map<String, Integer> applied = new LinkedHashMap<>();
  private final Map<String, Integer> failures = new LinkedHashMap<>();
  private String pattern = "";
  private boolean changed;

  /** Names the pattern whose work the following calls belong to. */
  public void setPattern(String name) {
    this.pattern = name;
  }

  /** True when anything changed since the last {@link #resetChanged()}. */
  public boolean changed() {
    return changed;
  }

  public void resetChanged() {
    changed = false;
  }

  /** Records that the current pattern applied once. */
  public void applied() {
    applied.merge(pattern, 1, Integer::sum);
  }

  /** Records that the current pattern did not apply to {@code node}, and why. Returns false. */
  public boolean fail(Node node, String reason) {
    failures.merge(pattern + ": " + reason, 1, Integer::sum);
    return false;
  }

  public Map<String, Integer> appliedCounts() {
    return applied;
  }

  public Map<String, Integer> failureCounts() {
    return failures;
  }

  /** Makes every use of {@code from} use {@code to}. Types must be compatible. */
  public void replaceAllUsesWith(Value from, Value to) {
    if (from == to) {
      return;
    }
    if (!from.type().isCompatibleWith(to.type())) {
      throw new IllegalStateException(
        "replacing " + from.type() + " with incompatible " + to.type()
      );
    }
    for (Use u : new ArrayList<>(from.uses())) {
      u.user().setOperand(u.index(), to);
    }
    changed = true;
  }

  /** Replaces the results of {@code node} with {@code values}, then erases the node. */
  public void replaceNode(Node node, List<? extends Value> values) {
    if (values.size() != node.results().size()) {
      throw new IllegalStateException(
        node.op().name() + " has " + node.results().size() + " results, got " + values.size()
      );
    }
    for (int i = 0; i < values.size(); i++) {
      replaceAllUsesWith(node.result(i), values.get(i));
    }
    erase(node);
  }

  /** Removes a node whose results are unused, with everything nested in its regions. */
  public void erase(Node node) {
    for (OpResult r : node.results()) {
      if (r.hasUses()) {
        throw new IllegalStateException(
          "erasing " + node + " whose result " + r.index() + " is used"
        );
      }
    }
    for (Region r : node.regions()) {
      detach(r.block());
    }
    node.dropOperands();
    Block b = node.parent();
    if (b != null) {
      b.mutableNodes().remove(b.indexOf(node));
      node.setParent(null);
    }
    changed = true;
  }

  /** Drops every operand inside {@code b} and its nested regions, innermost last node first. */
  private static void detach(Block b) {
    List<Node> nested = b.mutableNodes();
    for (int i = nested.size() - 1; i >= 0; i--) {
      Node inner = nested.get(i);
      for (Region r : inner.regions()) {
        detach(r.block());
      }
      inner.dropOperands();
      inner.setParent(null);
    }
    nested.clear();
  }

  /** Sets operand {@code index} of {@code node}. */
  public void setOperand(Node node, int index, Value v) {
    node.setOperand(index, v);
    changed = true;
  }

  /** Replaces the op of {@code node} by one whose inferred result types are unchanged. */
  public void setOp(Node node, Op op) {
    List<TensorType> in = node.operands().stream().map(Value::type).toList();
    List<TensorType> types = op.inferTypes(new Op.InferContext(in, node.regions()));
    for (int i = 0; i < types.size(); i++) {
      if (!types.get(i).isCompatibleWith(node.result(i).type())) {
        throw new IllegalStateException(
          op.name() + " would change result " + i + " of " + node + " to " + types.get(i)
        );
      }
    }
    node.setOp(op);
    changed = true;
  }

  /** Sets the location of {@code node} (for example to a fusion of the merged nodes). */
  public void setLocation(Node node, Location loc) {
    node.setLocation(loc);
  }

  /** Refines the type of a value to a compatible, more precise one. */
  public void refineType(Value v, TensorType t) {
    if (!v.type().isCompatibleWith(t)) {
      throw new IllegalStateException("cannot refine " + v.type() + " to " + t);
    }
    v.setType(t);
    changed = true;
  }
}
