package dev.kiln.ir;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * An SSA value: either the result of a node or an argument of a block. Every value has a tensor
 * type and knows its uses; the use list is kept in step with node operands by {@link Builder} and
 * {@link Rewriter}, the only code that changes operands.
 */
public abstract sealed class Value permits OpResult, BlockArgument {

  private TensorType type;
  private String nameHint;
  private final List<Use> uses = new ArrayList<>();

  Value(TensorType type, String nameHint) {
    this.type = type;
    this.nameHint = nameHint;
  }

  public TensorType type() {
    return type;
  }

  void setType(TensorType type) {
    this.type = type;
  }

  /** The name the printer prefers for this value ({@code %w}), or null for a numbered one. */
  public String nameHint() {
    return nameHint;
  }

  public void setNameHint(String nameHint) {
    this.nameHint = nameHint;
  }

  public List<Use> uses() {
    return Collections.unmodifiableList(uses);
  }

  public boolean hasUses() {
    return !uses.isEmpty();
  }

  void addUse(Use use) {
    uses.add(use);
  }

  void removeUse(Node user, int index) {
    for (int i = 0; i < uses.size(); i++) {
      Use u = uses.get(i);
      if (u.user() == user && u.index() == index) {
        uses.remove(i);
        return;
      }
    }
    throw new IllegalStateException("use list of " + this + " lacks operand " + index);
  }

  /** The node that defines this value, or null for a block argument. */
  public abstract Node definingNode();

  /** The block in which this value is defined. */
  public abstract Block parentBlock();
}
