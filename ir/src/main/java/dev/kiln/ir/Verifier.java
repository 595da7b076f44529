package dev.kiln.ir;

import dev.kiln.ir.op.Op;
import dev.kiln.ir.op.OpError;
import dev.kiln.ir.op.Return;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;

/**
 * Checks the invariants every pass must keep: each block ends in its one {@code return}; operands
 * are defined before use (in the same block or an enclosing one); use lists match operands; result
 * types agree with what inference gives for the operands; each op's own {@code verify} holds; a
 * function returns its declared types.
 */
public final class Verifier {

  private final List<Diagnostic> errors = new ArrayList<>();

  private Verifier() {}

  /** All violations in {@code module}; empty when it is well formed. */
  public static List<Diagnostic> verify(Module module) {
    Verifier v = new Verifier();
    for (Func f : module.funcs()) {
      v.func(f);
    }
    return v.errors;
  }

  /** Throws a {@link DiagnosticException} listing the violations, if any. */
  public static void check(Module module) {
    List<Diagnostic> errors = verify(module);
    if (!errors.isEmpty()) {
      throw new DiagnosticException(errors);
    }
  }

  private void func(Func f) {
    Set<Value> visible = Collections.newSetFromMap(new IdentityHashMap<>());
    block(f.entry(), visible, f.location());
    Node ret = f.entry().terminator();
    if (ret != null && ret.op() instanceof Return) {
      List<TensorType> got = ret.operands().stream().map(Value::type).toList();
      if (got.size() != f.resultTypes().size()) {
        error(
          ret.location(),
          "@" +
          f.name() +
          " declares " +
          f.resultTypes().size() +
          " results, return gives " +
          got.size()
        );
      } else {
        for (int i = 0; i < got.size(); i++) {
          if (!got.get(i).isCompatibleWith(f.resultTypes().get(i))) {
            error(
              ret.location(),
              "@" +
              f.name() +
              " result " +
              i +
              " is declared " +
              f.resultTypes().get(i) +
              " but return gives " +
              got.get(i)
            );
          }
        }
      }
    }
  }

  private void block(Block b, Set<Value> outer, Location where) {
    Set<Value> visible = Collections.newSetFromMap(new IdentityHashMap<>());
    visible.addAll(outer);
    for (BlockArgument a : b.arguments()) {
      if (a.owner() != b) {
        error(where, "block argument " + a.index() + " belongs to another block");
      }
      visible.add(a);
      uses(a);
    }
    Node last = b.terminator();
    if (last == null || !(last.op() instanceof Return)) {
      error(last == null ? where : last.location(), "block does not end in return");
    }
    for (Node n : b.nodes()) {
      node(n, b, visible);
    }
  }

  private void node(Node n, Block b, Set<Value> visible) {
    Op op = n.op();
    if (n.parent() != b) {
      error(n.location(), op.name() + " is listed in a block it does not name as parent");
    }
    for (int i = 0; i < n.numOperands(); i++) {
      Value v = n.operand(i);
      if (!visible.contains(v)) {
        error(n.location(), op.name() + ": operand " + i + " is used before it is defined");
      }
      if (!v.uses().contains(new Use(n, i))) {
        error(n.location(), op.name() + ": operand " + i + " is missing from its value's use list");
      }
    }
    for (Region r : n.regions()) {
      if (r.parentNode() != n) {
        error(n.location(), op.name() + ": region does not name its node as parent");
      }
      block(r.block(), visible, n.location());
    }
    String arity = Builder.arityError(op, n.numOperands(), n.regions().size());
    if (arity != null) {
      error(n.location(), arity);
    }
    List<TensorType> in = n.operands().stream().map(Value::type).toList();
    try {
      if (arity != null) {
        throw new OpError(arity);
      }
      List<TensorType> inferred = op.inferTypes(new Op.InferContext(in, n.regions()));
      if (inferred.size() != n.results().size()) {
        error(
          n.location(),
          op.name() + ": has " + n.results().size() + " results, inference gives " + inferred.size()
        );
      } else {
        for (int i = 0; i < inferred.size(); i++) {
          if (!inferred.get(i).isCompatibleWith(n.result(i).type())) {
            error(
              n.location(),
              op.name() +
              ": result " +
              i +
              " is " +
              n.result(i).type() +
              " but inference gives " +
              inferred.get(i)
            );
          }
        }
      }
      op.verify(n);
    } catch (OpError | ArithmeticException e) {
      if (arity == null) {
        error(n.location(), op.name() + ": " + e.getMessage());
      }
    }
    for (OpResult r : n.results()) {
      if (r.owner() != n) {
        error(n.location(), op.name() + ": result " + r.index() + " names another node");
      }
      uses(r);
      visible.add(r);
    }
  }

  private void uses(Value v) {
    for (Use u : v.uses()) {
      Node user = u.user();
      if (user.parent() == null) {
        error(Location.UNKNOWN, "a value is used by an erased " + user.op().name());
      } else if (u.index() >= user.numOperands() || user.operand(u.index()) != v) {
        error(
          user.location(),
          user.op().name() + ": use list names operand " + u.index() + " wrongly"
        );
      }
    }
  }

  private void error(Location loc, String message) {
    errors.add(Diagnostic.error(loc, message));
  }
}
