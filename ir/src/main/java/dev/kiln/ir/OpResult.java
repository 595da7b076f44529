package dev.kiln.ir;

/** Result {@link #index()} of a node. */
public final class OpResult extends Value {

  private final Node owner;
  private final int index;

  OpResult(Node owner, int index, TensorType type, String nameHint) {
    super(type, nameHint);
    this.owner = owner;
    this.index = index;
  }

  public Node owner() {
    return owner;
  }

  public int index() {
    return index;
  }

  @Override
  public Node definingNode() {
    return owner;
  }

  @Override
  public Block parentBlock() {
    return owner.parent();
  }

  @Override
  public String toString() {
    return "result " + index + " of " + owner.op().name() + " : " + type();
  }
}
