package dev.kiln.ir;

import dev.kiln.ir.op.Op;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * One operation in a block: an {@link Op} (the attributes), operands, results, nested regions
 * (the bodies of {@code nn.if}, {@code nn.loop}) and a location. The op record says what is
 * computed; the node says on what and where it sits. Created by {@link Builder}, changed only by
 * {@link Rewriter}.
 */
public final class Node {

  private Op op;
  private final List<Value> operands = new ArrayList<>();
  private final List<OpResult> results = new ArrayList<>();
  private final List<Region> regions = new ArrayList<>();
  private Location location;
  private Block parent;

  Node(Op op, Location location) {
    this.op = op;
    this.location = location;
  }

  public Op op() {
    return op;
  }

  void setOp(Op op) {
    this.op = op;
  }

  public List<Value> operands() {
    return Collections.unmodifiableList(operands);
  }

  public Value operand(int i) {
    return operands.get(i);
  }

  public int numOperands() {
    return operands.size();
  }

  public List<OpResult> results() {
    return Collections.unmodifiableList(results);
  }

  public OpResult result(int i) {
    return results.get(i);
  }

  /** The single result of a one-result node. */
  public OpResult result() {
    if (results.size() != 1) {
      throw new IllegalStateException(op.name() + " has " + results.size() + " results");
    }
    return results.getFirst();
  }

  public List<Region> regions() {
    return Collections.unmodifiableList(regions);
  }

  public Location location() {
    return location;
  }

  void setLocation(Location location) {
    this.location = location;
  }

  /** The block holding this node, or null once erased. */
  public Block parent() {
    return parent;
  }

  void setParent(Block parent) {
    this.parent = parent;
  }

  void appendOperand(Value v) {
    int index = operands.size();
    operands.add(v);
    v.addUse(new Use(this, index));
  }

  void setOperand(int index, Value v) {
    Value old = operands.get(index);
    old.removeUse(this, index);
    operands.set(index, v);
    v.addUse(new Use(this, index));
  }

  void dropOperands() {
    for (int i = 0; i < operands.size(); i++) {
      operands.get(i).removeUse(this, i);
    }
    operands.clear();
  }

  OpResult addResult(TensorType type, String nameHint) {
    OpResult r = new OpResult(this, results.size(), type, nameHint);
    results.add(r);
    return r;
  }

  void addRegion(Region r) {
    r.setParent(this);
    regions.add(r);
  }

  /** The nearest ancestor node of this node's block, or null at function level. */
  public Node parentNode() {
    return parent == null ? null : parent.parentNode();
  }

  @Override
  public String toString() {
    return op.name() + " at " + location;
  }
}
