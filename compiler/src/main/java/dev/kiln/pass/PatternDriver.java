package dev.kiln.pass;

import dev.kiln.ir.Block;
import dev.kiln.ir.Func;
import dev.kiln.ir.Module;
import dev.kiln.ir.Node;
import dev.kiln.ir.OpResult;
import dev.kiln.ir.Region;
import dev.kiln.ir.Rewriter;
import dev.kiln.ir.Use;
import dev.kiln.ir.Value;
import java.util.ArrayDeque;
import java.util.Collections;
import java.util.Deque;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;

/**
 * Applies patterns greedily until none applies: every node starts on a worklist; when a pattern
 * rewrites a node, the producers of its operands and the users of its results are revisited. A
 * bound on the number of rewrites turns a pattern set that never converges into an error instead
 * of a hang.
 */
public final class PatternDriver {

  private final List<Pattern> patterns;
  private final long maxRewrites;

  public PatternDriver(List<Pattern> patterns, long maxRewrites) {
    this.patterns = List.copyOf(patterns);
    this.maxRewrites = maxRewrites;
  }

  /** Runs to a fixed point on every function of {@code module}. */
  public void run(Module module, Rewriter rewriter) {
    for (Func f : module.funcs()) {
      run(f, rewriter);
    }
  }

  private void run(Func f, Rewriter rewriter) {
    Deque<Node> work = new ArrayDeque<>();
    Set<Node> queued = Collections.newSetFromMap(new IdentityHashMap<>());
    collect(f.entry(), work, queued);
    long rewrites = 0;
    while (!work.isEmpty()) {
      Node n = work.pollFirst();
      queued.remove(n);
      if (n.parent() == null) {
        continue;
      }
      List<Node> neighbours = neighbours(n);
      for (Pattern p : patterns) {
        rewriter.setPattern(p.name());
        if (p.matchAndRewrite(n, rewriter)) {
          rewriter.applied();
          if (++rewrites > maxRewrites) {
            throw new IllegalStateException(
              "patterns did not converge on @" + f.name() + " after " + maxRewrites + " rewrites"
            );
          }
          for (Node m : neighbours) {
            if (m.parent() != null && queued.add(m)) {
              work.addLast(m);
            }
          }
          if (n.parent() != null && queued.add(n)) {
            work.addLast(n);
          }
          break;
        }
      }
    }
  }

  private static List<Node> neighbours(Node n) {
    java.util.ArrayList<Node> out = new java.util.ArrayList<>();
    for (Value v : n.operands()) {
      if (v.definingNode() != null) {
        out.add(v.definingNode());
      }
    }
    for (OpResult r : n.results()) {
      for (Use u : r.uses()) {
        out.add(u.user());
      }
    }
    return out;
  }

  private static void collect(Block b, Deque<Node> work, Set<Node> queued) {
    for (Node n : b.nodes()) {
      for (Region r : n.regions()) {
        collect(r.block(), work, queued);
      }
      if (queued.add(n)) {
        work.addLast(n);
      }
    }
  }
}
