package dev.kiln.ir;

import dev.kiln.ir.op.Op;
import dev.kiln.ir.op.OpError;
import dev.kiln.ir.op.OpSpec;
import java.util.ArrayList;
import java.util.List;

/**
 * Creates nodes at an insertion point and always runs type inference: a node whose operands break
 * its op's rules is never created; the caller gets a {@link DiagnosticException} at the node's
 * location instead.
 */
public final class Builder {

  private final Block block;
  private Node before;

  /** A builder appending at the end of {@code block}. */
  public Builder(Block block) {
    this.block = block;
  }

  /** A builder inserting right before {@code node}. */
  public static Builder before(Node node) {
    Builder b = new Builder(node.parent());
    b.before = node;
    return b;
  }

  public Block block() {
    return block;
  }

  /** Creates a node of {@code op} with inferred result types. */
  public Node create(Op op, List<? extends Value> operands, Location loc) {
    return create(op, operands, List.of(), null, loc);
  }

  /** Creates a one-result node and returns the result. */
  public OpResult value(Op op, List<? extends Value> operands, Location loc) {
    return create(op, operands, loc).result();
  }

  /**
   * Creates a node. {@code declared}, when not null, gives result types the caller knows; each must
   * be compatible with the inferred one and is kept where it is more precise.
   */
  public Node create(
    Op op,
    List<? extends Value> operands,
    List<Region> regions,
    List<TensorType> declared,
    Location loc
  ) {
    String arity = arityError(op, operands.size(), regions.size());
    if (arity != null) {
      throw DiagnosticException.error(loc, arity);
    }
    List<TensorType> in = operands.stream().map(Value::type).toList();
    List<TensorType> types;
    try {
      types = op.inferTypes(new Op.InferContext(in, regions));
    } catch (OpError | ArithmeticException e) {
      throw DiagnosticException.error(loc, op.name() + ": " + e.getMessage());
    }
    if (declared != null) {
      types = reconcile(op, types, declared, loc);
    }
    Node n = new Node(op, loc);
    for (Value v : operands) {
      n.appendOperand(v);
    }
    for (TensorType t : types) {
      n.addResult(t, null);
    }
    for (Region r : regions) {
      n.addRegion(r);
    }
    insert(n);
    try {
      op.verify(n);
    } catch (OpError e) {
      new Rewriter().erase(n);
      throw DiagnosticException.error(loc, op.name() + ": " + e.getMessage());
    }
    return n;
  }

  private static List<TensorType> reconcile(
    Op op,
    List<TensorType> inferred,
    List<TensorType> declared,
    Location loc
  ) {
    if (inferred.size() != declared.size()) {
      throw DiagnosticException.error(
        loc,
        op.name() + " produces " + inferred.size() + " results, " + declared.size() + " declared"
      );
    }
    List<TensorType> out = new ArrayList<>();
    for (int i = 0; i < inferred.size(); i++) {
      TensorType inf = inferred.get(i);
      TensorType dec = declared.get(i);
      if (!inf.isCompatibleWith(dec)) {
        throw DiagnosticException.error(
          loc,
          op.name() + ": declared result type " + dec + " does not match inferred type " + inf
        );
      }
      out.add(dec);
    }
    return out;
  }

  /** The message for a node of {@code op} with these counts, or null when the spec allows them. */
  static String arityError(Op op, int operands, int regions) {
    OpSpec spec = op.spec();
    if (operands < spec.minOperands() || operands > spec.maxOperands()) {
      return (
        op.name() +
        " takes " +
        arity(spec) +
        " operand" +
        (spec.maxOperands() == 1 ? "" : "s") +
        ", got " +
        operands
      );
    }
    if (regions != spec.regions()) {
      return op.name() + " takes " + spec.regions() + " regions, got " + regions;
    }
    return null;
  }

  private static String arity(OpSpec spec) {
    if (spec.maxOperands() == Integer.MAX_VALUE) {
      return "at least " + spec.minOperands();
    }
    if (spec.minOperands() == spec.maxOperands()) {
      return Integer.toString(spec.minOperands());
    }
    return spec.minOperands() + " to " + spec.maxOperands();
  }

  private void insert(Node n) {
    List<Node> nodes = block.mutableNodes();
    if (before == null) {
      nodes.add(n);
    } else {
      nodes.add(block.indexOf(before), n);
    }
    n.setParent(block);
  }
}
