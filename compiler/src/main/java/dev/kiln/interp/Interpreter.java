package dev.kiln.interp;

import dev.kiln.ir.Block;
import dev.kiln.ir.BlockArgument;
import dev.kiln.ir.DiagnosticException;
import dev.kiln.ir.Func;
import dev.kiln.ir.Node;
import dev.kiln.ir.Region;
import dev.kiln.ir.Tensor;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Value;
import dev.kiln.ir.op.Op;
import dev.kiln.ir.op.OpError;
import dev.kiln.ir.op.Return;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * The reference interpreter: runs a function node by node on concrete tensors using each op's
 * {@link Op#evaluate}, obviously correct before fast. It is the oracle for passes and backends and
 * the engine of {@code kiln run --backend interp}. Every result is checked against the type the IR
 * declared for it. Constant folding runs single nodes through it under a {@link Budget}.
 */
public final class Interpreter {

  /** Largest tensor the interpreter materializes: the largest Java byte array. */
  public static final long MAX_TENSOR_BYTES = Integer.MAX_VALUE - 8;

  /**
   * Limits for one evaluation: the bytes of any tensor it produces (region results included) and
   * the number of times it runs a region (one loop iteration or branch each).
   */
  public record Budget(long maxTensorBytes, long maxRegionRuns) {
    /** What {@link #run} allows: the interpreter's own limit, any number of region runs. */
    public static final Budget UNLIMITED = new Budget(MAX_TENSOR_BYTES, Long.MAX_VALUE);
  }

  /** Thrown when an evaluation would go beyond its {@link Budget}; nothing is half-done. */
  public static final class BudgetExceededException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    BudgetExceededException(String message) {
      super(message, null, false, false);
    }
  }

  private final Budget budget;
  private long regionRuns;

  private Interpreter(Budget budget) {
    this.budget = budget;
  }

  /** Runs {@code f} on {@code inputs} (one per argument, in order) and returns its results. */
  public static List<Tensor> run(Func f, List<Tensor> inputs) {
    Block entry = f.entry();
    if (inputs.size() != entry.arguments().size()) {
      throw new IllegalArgumentException(
        "@" + f.name() + " takes " + entry.arguments().size() + " inputs, got " + inputs.size()
      );
    }
    return new Interpreter(Budget.UNLIMITED).block(entry, inputs, new IdentityHashMap<>());
  }

  /**
   * Evaluates the single node {@code n}; {@code env} holds the values of its operands and of every
   * value its regions use from outside. Throws {@link BudgetExceededException} when a result would
   * exceed {@code budget.maxTensorBytes()} or regions would run more than {@code
   * budget.maxRegionRuns()} times.
   */
  public static List<Tensor> evaluate(Node n, Map<Value, Tensor> env, Budget budget) {
    List<Tensor> operands = new ArrayList<>(n.numOperands());
    for (Value v : n.operands()) {
      Tensor t = env.get(v);
      if (t == null) {
        throw new IllegalStateException("no value for an operand of " + n);
      }
      operands.add(t);
    }
    Interpreter in = new Interpreter(budget);
    List<Tensor> results = in.evaluate(n, operands, new IdentityHashMap<>(env));
    in.checkResults(n, results);
    return results;
  }

  private List<Tensor> block(Block b, List<Tensor> args, Map<Value, Tensor> outer) {
    Map<Value, Tensor> env = new IdentityHashMap<>(outer);
    for (int i = 0; i < args.size(); i++) {
      BlockArgument a = b.argument(i);
      Tensor t = args.get(i);
      check(a.type(), t, "argument " + i);
      env.put(a, t);
    }
    for (Node n : b.nodes()) {
      List<Tensor> operands = new ArrayList<>(n.numOperands());
      for (Value v : n.operands()) {
        Tensor t = env.get(v);
        if (t == null) {
          throw new IllegalStateException("value used before definition in " + n);
        }
        operands.add(t);
      }
      if (n.op() instanceof Return) {
        return operands;
      }
      List<Tensor> results = evaluate(n, operands, env);
      checkResults(n, results);
      for (int i = 0; i < results.size(); i++) {
        env.put(n.result(i), results.get(i));
      }
    }
    throw new IllegalStateException("block ended without return");
  }

  private void checkResults(Node n, List<Tensor> results) {
    if (results.size() != n.results().size()) {
      throw new IllegalStateException(
        n.op().name() + " produced " + results.size() + " results for " + n.results().size()
      );
    }
    for (int i = 0; i < results.size(); i++) {
      Tensor t = results.get(i);
      check(n.result(i).type(), t, n.op().name() + " result " + i);
      long bytes = t.size() * t.elementType().byteSize();
      if (bytes > budget.maxTensorBytes()) {
        throw new BudgetExceededException(
          n.op().name() + " result " + i + " holds " + bytes + " bytes, over the budget"
        );
      }
    }
  }

  private List<Tensor> evaluate(Node n, List<Tensor> operands, Map<Value, Tensor> env) {
    List<Region> regions = n.regions();
    Op.EvalContext ctx = new Op.EvalContext() {
      @Override
      public int numRegions() {
        return regions.size();
      }

      @Override
      public List<Tensor> runRegion(int index, List<Tensor> arguments) {
        if (++regionRuns > budget.maxRegionRuns()) {
          throw new BudgetExceededException(
            n.op().name() + " runs its regions more than " + budget.maxRegionRuns() + " times"
          );
        }
        return block(regions.get(index).block(), arguments, env);
      }

      @Override
      public List<TensorType> regionResultTypes(int index) {
        return regions.get(index).resultTypes();
      }
    };
    for (var r : n.results()) {
      TensorType t = r.type();
      if (t.isStatic()) {
        long count = t.shape().numElements().orElseThrow();
        if (count > MAX_TENSOR_BYTES / t.elementType().byteSize()) {
          throw DiagnosticException.error(
            n.location(),
            n.op().name() +
            ": result " +
            t +
            " holds " +
            count +
            " elements; the interpreter holds at most " +
            MAX_TENSOR_BYTES +
            " bytes per tensor"
          );
        }
        if (count > budget.maxTensorBytes() / t.elementType().byteSize()) {
          throw new BudgetExceededException(
            n.op().name() + ": result " + t + " holds " + count + " elements, over the budget"
          );
        }
      }
    }
    try {
      return n.op().evaluate(ctx, operands);
    } catch (OpError | ArithmeticException e) {
      throw DiagnosticException.error(n.location(), n.op().name() + ": " + e.getMessage());
    }
  }

  private static void check(TensorType declared, Tensor t, String what) {
    if (!declared.isCompatibleWith(t.type())) {
      throw new IllegalStateException(
        what + " is " + t.type() + " but the IR declares " + declared
      );
    }
  }
}
