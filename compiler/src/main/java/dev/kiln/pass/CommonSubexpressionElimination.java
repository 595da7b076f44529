package dev.kiln.pass;

import dev.kiln.ir.Block;
import dev.kiln.ir.Func;
import dev.kiln.ir.Location;
import dev.kiln.ir.Module;
import dev.kiln.ir.Node;
import dev.kiln.ir.Region;
import dev.kiln.ir.Rewriter;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Value;
import dev.kiln.ir.op.Op;
import dev.kiln.ir.op.Return;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code cse}: a node equal to an earlier one that dominates it (same op and attributes, the same
 * operand values, the same result types, no regions) is replaced by that earlier node, whose
 * location becomes the fusion of both. Nodes in a region may reuse nodes of enclosing blocks; never
 * the other way round.
 *
 * <pre>
 * %0 = nn.exp(%x)                ==>   %0 = nn.exp(%x)
 * %1 = nn.exp(%x)                      %2 = nn.add(%0, %0)
 * %2 = nn.add(%0, %1)
 * </pre>
 */
public final class CommonSubexpressionElimination implements Pass {

  @Override
  public String name() {
    return "cse";
  }

  private record Key(Op op, List<Identity> operands, List<TensorType> types) {}

  /** Wraps a value so that keys compare operands by identity. */
  private record Identity(Value value) {
    @Override
    public boolean equals(Object o) {
      return o instanceof Identity i && i.value == value;
    }

    @Override
    public int hashCode() {
      return System.identityHashCode(value);
    }
  }

  @Override
  public void run(Module module, PassContext ctx) {
    Rewriter rw = ctx.rewriter();
    rw.setPattern("ReuseEqualNode");
    for (Func f : module.funcs()) {
      block(f.entry(), new ArrayList<>(), rw);
    }
  }

  private void block(Block b, List<Map<Key, Node>> scopes, Rewriter rw) {
    Map<Key, Node> local = new HashMap<>();
    scopes.add(local);
    for (Node n : new ArrayList<>(b.nodes())) {
      for (Region r : n.regions()) {
        block(r.block(), scopes, rw);
      }
      if (n.op() instanceof Return || !n.regions().isEmpty()) {
        continue;
      }
      Key key = new Key(
        n.op(),
        n.operands().stream().map(Identity::new).toList(),
        n.results().stream().map(Value::type).toList()
      );
      Node earlier = lookup(scopes, key);
      if (earlier == null) {
        local.put(key, n);
        continue;
      }
      rw.setLocation(earlier, Location.fuse(List.of(earlier.location(), n.location())));
      mergeHints(earlier, n);
      rw.replaceNode(n, earlier.results());
      rw.applied();
    }
    scopes.removeLast();
  }

  private static void mergeHints(Node kept, Node dropped) {
    for (int i = 0; i < kept.results().size(); i++) {
      if (kept.result(i).nameHint() == null) {
        kept.result(i).setNameHint(dropped.result(i).nameHint());
      }
    }
  }

  private static Node lookup(List<Map<Key, Node>> scopes, Key key) {
    for (int i = scopes.size() - 1; i >= 0; i--) {
      Node n = scopes.get(i).get(key);
      if (n != null) {
        return n;
      }
    }
    return null;
  }
}
