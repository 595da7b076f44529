package dev.kiln.ir;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * A straight-line list of nodes with arguments, ending in a {@code return} terminator. Function
 * bodies and the bodies of control-flow regions are blocks.
 */
public final class Block {

  private final List<BlockArgument> arguments = new ArrayList<>();
  private final List<Node> nodes = new ArrayList<>();
  private Region parent;

  public List<BlockArgument> arguments() {
    return Collections.unmodifiableList(arguments);
  }

  public BlockArgument argument(int i) {
    return arguments.get(i);
  }

  /** The nodes in order. The list is a read-only view; use {@link Rewriter} to change it. */
  public List<Node> nodes() {
    return Collections.unmodifiableList(nodes);
  }

  public BlockArgument addArgument(TensorType type, String nameHint) {
    BlockArgument a = new BlockArgument(this, arguments.size(), type, nameHint);
    arguments.add(a);
    return a;
  }

  /** The last node, which a verified block has as its {@code return}. */
  public Node terminator() {
    return nodes.isEmpty() ? null : nodes.getLast();
  }

  public Region parent() {
    return parent;
  }

  void setParent(Region parent) {
    this.parent = parent;
  }

  /** The node owning the region of this block, or null for a function body. */
  public Node parentNode() {
    return parent == null ? null : parent.parentNode();
  }

  List<Node> mutableNodes() {
    return nodes;
  }

  int indexOf(Node n) {
    for (int i = 0; i < nodes.size(); i++) {
      if (nodes.get(i) == n) {
        return i;
      }
    }
    return -1;
  }
}
