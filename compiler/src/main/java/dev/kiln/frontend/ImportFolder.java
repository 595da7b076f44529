package dev.kiln.frontend;

import dev.kiln.ir.Builder;
import dev.kiln.ir.Location;
import dev.kiln.ir.Node;
import dev.kiln.ir.Rewriter;
import dev.kiln.ir.Tensor;
import dev.kiln.ir.Value;
import dev.kiln.ir.op.Constant;
import dev.kiln.ir.op.Op;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.ToLongFunction;

/**
 * Import-time folding, shared by the frontends: tracks which values are known constants and
 * evaluates a freshly emitted node on the spot when all its operands are constants and its results
 * are small, replacing it by constants. This is what turns the shape arithmetic of exported models
 * ({@code Shape -> Gather -> Concat -> Reshape}) into constants once input shapes are bound, while a
 * {@code Tile}/{@code Expand} bomb stays a node. Nodes with regions are never folded here.
 */
public final class ImportFolder {

  /** The folding budget: results with at most this many elements in all are folded. */
  public static final long FOLD_LIMIT = 1 << 16;

  private final Map<Value, Tensor> constants = new IdentityHashMap<>();
  private final ToLongFunction<Op> limit;

  /** Folds every op within {@link #FOLD_LIMIT}. */
  public ImportFolder() {
    this(op -> FOLD_LIMIT);
  }

  /**
   * Folds an op whose results have at most {@code limit.applyAsLong(op)} elements; a negative limit
   * means the op is never folded at import.
   */
  public ImportFolder(ToLongFunction<Op> limit) {
    this.limit = limit;
  }

  /** Emits the constant {@code t} named {@code name} (its location and name hint). */
  public Value namedConstant(Builder b, Tensor t, String name) {
    Node n = b.create(new Constant(t), List.of(), Location.named(name));
    n.result().setNameHint(name);
    constants.put(n.result(), t);
    return n.result();
  }

  /** The value of {@code v} when it is a known constant. */
  public Optional<Tensor> valueOf(Value v) {
    return Optional.ofNullable(constants.get(v));
  }

  /**
   * {@code n}'s results, after folding {@code n} into constants emitted with {@code b} at {@code
   * loc} when it can be: a constant node is recorded; a node whose operands are all constants, that
   * has no regions, whose results have static shapes within the limit and whose op can evaluate is
   * replaced.
   */
  public List<Value> fold(Builder b, Node n, Location loc) {
    if (n.op() instanceof Constant c) {
      constants.put(n.result(), c.value());
      return List.copyOf(n.results());
    }
    List<Tensor> in = operands(n);
    if (in == null || !withinLimit(n)) {
      return List.copyOf(n.results());
    }
    List<Tensor> out;
    try {
      out = n.op().evaluate(Op.EvalContext.NO_REGIONS, in);
    } catch (UnsupportedOperationException e) {
      return List.copyOf(n.results());
    }
    List<Value> folded = new ArrayList<>();
    for (int i = 0; i < out.size(); i++) {
      Tensor t = out.get(i);
      if (!t.type().isCompatibleWith(n.result(i).type())) {
        throw new IllegalStateException(
          n.op().name() + " evaluated to " + t.type() + " but infers " + n.result(i).type()
        );
      }
      Node c = b.create(new Constant(t), List.of(), loc);
      constants.put(c.result(), t);
      folded.add(c.result());
    }
    Rewriter rw = new Rewriter();
    for (int i = 0; i < folded.size(); i++) {
      rw.replaceAllUsesWith(n.result(i), folded.get(i));
    }
    rw.erase(n);
    return folded;
  }

  private List<Tensor> operands(Node n) {
    if (!n.regions().isEmpty()) {
      return null;
    }
    List<Tensor> in = new ArrayList<>();
    for (Value v : n.operands()) {
      Tensor t = constants.get(v);
      if (t == null) {
        return null;
      }
      in.add(t);
    }
    return in;
  }

  private boolean withinLimit(Node n) {
    long total = 0;
    for (Value r : n.results()) {
      Optional<Long> count = r.type().shape().numElements();
      if (count.isEmpty()) {
        return false;
      }
      total += count.get();
    }
    return total <= limit.applyAsLong(n.op());
  }
}
