package dev.kiln.pass;

import dev.kiln.interp.Interpreter;
import dev.kiln.ir.Block;
import dev.kiln.ir.Builder;
import dev.kiln.ir.DiagnosticException;
import dev.kiln.ir.Module;
import dev.kiln.ir.Node;
import dev.kiln.ir.OpResult;
import dev.kiln.ir.Region;
import dev.kiln.ir.Rewriter;
import dev.kiln.ir.Tensor;
import dev.kiln.ir.Value;
import dev.kiln.ir.op.Constant;
import dev.kiln.ir.op.Return;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code constant-fold}: a node whose operands are all constants (and, for a node with regions,
 * whose regions use no non-constant value from outside) is evaluated with its op's reference
 * semantics, the interpreter's, and replaced by constants. Folding goes node by node, so whole
 * subgraphs fed only by constants collapse. A budget keeps the module and the compile time bounded:
 * no folded tensor (nor any tensor computed on the way) over {@link #MAX_FOLDED_BYTES}, no more
 * than {@link #MAX_REGION_RUNS} region runs (loop iterations) per node. Nodes over the budget, ops
 * without reference semantics and evaluations that fail (an integer division by zero) stay as they
 * are, with the reason in {@code --rewrite-stats}.
 *
 * <pre>
 * %a = nn.constant {value = dense&lt;[1.0, 2.0]&gt; : tensor&lt;2xf32&gt;}   ==>   %c = nn.constant {value = dense&lt;[2.0, 4.0]&gt; : tensor&lt;2xf32&gt;}
 * %c = nn.add(%a, %a)                                              %y = nn.mul(%x, %c)
 * %y = nn.mul(%x, %c)
 * </pre>
 */
public final class ConstantFold implements Pass {

  /** The largest tensor folding creates or computes: 64 MiB. */
  public static final long MAX_FOLDED_BYTES = 64L << 20;

  /** The most region runs (loop iterations, branches) evaluating one node may take. */
  public static final long MAX_REGION_RUNS = 1_000_000;

  /** Upper bound on folds per function; each fold removes a node, so this is never reached. */
  static final long MAX_REWRITES = 100_000_000;

  @Override
  public String name() {
    return "constant-fold";
  }

  @Override
  public void run(Module module, PassContext ctx) {
    new PatternDriver(List.of(new FoldConstantNode()), MAX_REWRITES).run(module, ctx.rewriter());
  }

  /**
   * Evaluates a node fed only by constants.
   *
   * <pre>
   * %s = nn.constant {value = dense&lt;[2, 3]&gt; : tensor&lt;2xi64&gt;}   ==>   %p = nn.constant {value = dense&lt;6&gt; : tensor&lt;i64&gt;}
   * %p = nn.reduce_prod(%s)
   * </pre>
   */
  static final class FoldConstantNode implements Pattern {

    private static final Interpreter.Budget BUDGET = new Interpreter.Budget(
      MAX_FOLDED_BYTES,
      MAX_REGION_RUNS
    );

    @Override
    public boolean matchAndRewrite(Node n, Rewriter rw) {
      if (n.op() instanceof Constant || n.op() instanceof Return) {
        return false;
      }
      Map<Value, Tensor> env = new IdentityHashMap<>();
      for (Value v : n.operands()) {
        Tensor t = Rewrites.constantValue(v);
        if (t == null) {
          return false;
        }
        env.put(v, t);
      }
      for (Region r : n.regions()) {
        if (!captures(r.block(), n, env)) {
          return rw.fail(n, "a region uses a value that is not constant");
        }
      }
      List<Tensor> values;
      try {
        values = Interpreter.evaluate(n, env, BUDGET);
      } catch (Interpreter.BudgetExceededException e) {
        return rw.fail(n, "over the folding budget");
      } catch (UnsupportedOperationException e) {
        return rw.fail(n, "no reference semantics");
      } catch (DiagnosticException e) {
        return rw.fail(n, "evaluation fails");
      }
      Builder b = Builder.before(n);
      List<Value> constants = new ArrayList<>();
      for (int i = 0; i < values.size(); i++) {
        OpResult c = b.value(new Constant(values.get(i)), List.of(), n.location());
        c.setNameHint(n.result(i).nameHint());
        constants.add(c);
      }
      rw.replaceNode(n, constants);
      Rewrites.eraseDeadProducers(new ArrayList<>(env.keySet()), rw);
      return true;
    }

    /**
     * Adds to {@code env} the constants that {@code b} (nested in {@code owner}) uses from outside
     * {@code owner}; false when one of those values is not a constant.
     */
    private static boolean captures(Block b, Node owner, Map<Value, Tensor> env) {
      for (Node inner : b.nodes()) {
        for (Value v : inner.operands()) {
          if (!env.containsKey(v) && !isInside(v, owner)) {
            Tensor t = Rewrites.constantValue(v);
            if (t == null) {
              return false;
            }
            env.put(v, t);
          }
        }
        for (Region r : inner.regions()) {
          if (!captures(r.block(), owner, env)) {
            return false;
          }
        }
      }
      return true;
    }

    private static boolean isInside(Value v, Node owner) {
      for (Node p = v.parentBlock().parentNode(); p != null; p = p.parent().parentNode()) {
        if (p == owner) {
          return true;
        }
      }
      return false;
    }
  }
}
