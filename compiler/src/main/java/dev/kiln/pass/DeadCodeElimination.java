package dev.kiln.pass;

import dev.kiln.ir.Block;
import dev.kiln.ir.Func;
import dev.kiln.ir.Module;
import dev.kiln.ir.Node;
import dev.kiln.ir.OpResult;
import dev.kiln.ir.Region;
import dev.kiln.ir.Rewriter;
import dev.kiln.ir.Value;
import dev.kiln.ir.op.Return;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;

/**
 * {@code dce}: erases nodes none of whose results is used, transitively, in function bodies and
 * nested regions. Every core op is free of side effects, so only terminators are kept for their
 * own sake; function arguments stay (they are the ABI).
 *
 * <pre>
 * %0 = nn.exp(%x)            ==>   return %x
 * return %x
 * </pre>
 */
public final class DeadCodeElimination implements Pass {

  @Override
  public String name() {
    return "dce";
  }

  @Override
  public void run(Module module, PassContext ctx) {
    Rewriter rw = ctx.rewriter();
    rw.setPattern("EraseUnusedNode");
    for (Func f : module.funcs()) {
      Deque<Node> work = new ArrayDeque<>();
      collect(f.entry(), work);
      while (!work.isEmpty()) {
        Node n = work.pollFirst();
        if (n.parent() == null || n.op() instanceof Return || isUsed(n)) {
          continue;
        }
        List<Value> operands = n.operands();
        List<Node> producers = operands
          .stream()
          .map(Value::definingNode)
          .filter(p -> p != null)
          .toList();
        rw.erase(n);
        rw.applied();
        work.addAll(producers);
      }
    }
  }

  private static boolean isUsed(Node n) {
    for (OpResult r : n.results()) {
      if (r.hasUses()) {
        return true;
      }
    }
    return false;
  }

  private static void collect(Block b, Deque<Node> work) {
    for (int i = b.nodes().size() - 1; i >= 0; i--) {
      Node n = b.nodes().get(i);
      work.addLast(n);
      for (Region r : n.regions()) {
        collect(r.block(), work);
      }
    }
  }
}
