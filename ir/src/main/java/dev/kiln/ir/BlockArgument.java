package dev.kiln.ir;

/** Argument {@link #index()} of a block: a function input or a region's iteration variable. */
public final class BlockArgument extends Value {

  private final Block owner;
  private final int index;

  BlockArgument(Block owner, int index, TensorType type, String nameHint) {
    super(type, nameHint);
    this.owner = owner;
    this.index = index;
  }

  public Block owner() {
    return owner;
  }

  public int index() {
    return index;
  }

  @Override
  public Node definingNode() {
    return null;
  }

  @Override
  public Block parentBlock() {
    return owner;
  }

  @Override
  public String toString() {
    return "block argument " + index + " : " + type();
  }
}
