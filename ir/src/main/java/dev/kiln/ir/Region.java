package dev.kiln.ir;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * A nested body owned by a node (the branches of {@code nn.if}, the body of {@code nn.loop}) or by
 * a function. Kiln's regions hold exactly one block; values of enclosing blocks are visible inside.
 */
public final class Region {

  private final List<Block> blocks = new ArrayList<>();
  private Node parentNode;
  private Func parentFunc;

  public Region() {
    Block b = new Block();
    b.setParent(this);
    blocks.add(b);
  }

  public List<Block> blocks() {
    return Collections.unmodifiableList(blocks);
  }

  /** The single block of this region. */
  public Block block() {
    return blocks.getFirst();
  }

  public Node parentNode() {
    return parentNode;
  }

  void setParent(Node n) {
    this.parentNode = n;
  }

  public Func parentFunc() {
    return parentFunc;
  }

  void setParentFunc(Func f) {
    this.parentFunc = f;
  }

  /** Result types of the region: the operand types of its terminator. */
  public List<TensorType> resultTypes() {
    Node t = block().terminator();
    if (t == null) {
      return List.of();
    }
    return t.operands().stream().map(Value::type).toList();
  }
}
