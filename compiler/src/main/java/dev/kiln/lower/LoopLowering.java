package dev.kiln.lower;

import dev.kiln.ir.Block;
import dev.kiln.ir.BlockArgument;
import dev.kiln.ir.Node;
import dev.kiln.ir.OpResult;
import dev.kiln.ir.Value;
import dev.kiln.ir.loop.Buffer;
import dev.kiln.ir.loop.Ex;
import dev.kiln.ir.loop.Expr;
import dev.kiln.ir.loop.Schedule;
import dev.kiln.ir.loop.Stmt;
import dev.kiln.ir.op.Constant;
import dev.kiln.ir.op.Scan;
import dev.kiln.ir.op.Shapes;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code nn.scan} and {@code nn.loop} as Loop IR loops around their lowered body.
 *
 * <p>The body's block arguments and values sit in the holder's planned region scratch, each at its
 * own offset ({@link dev.kiln.analysis.MemoryPlan}), so the values an iteration computes never
 * overwrite the arguments it reads: that is the double buffering of the loop-carried values. After
 * each iteration the returned states are copied into the argument buffers; a state the body
 * returns straight from another argument (a swap) is staged in the holder's result buffer first, so
 * no argument is overwritten before it is read. After the loop the arguments are copied into the
 * results.
 *
 * <p>{@code nn.scan} is a counted loop over the scan inputs' common extent {@code n}: step {@code
 * t} copies each scan input's slice at {@code t} (at {@code n-1-t} in reverse) into its argument
 * and writes each scan-output slice into its place in the result. {@code nn.loop} is a while loop
 * on an {@code i64} counter and a {@code bool} flag: it runs while {@code i < max_trip_count} and
 * the condition (the operand before the first iteration, the body's first result after each) holds;
 * the body's iteration argument receives {@code i}, its condition argument {@code true}. With a
 * constant trip count, a true initial condition and a body that returns a constant true or its own
 * condition argument, it is a plain counted {@code for} loop instead. A loop
 * whose iterations are counted at run time has no static shape for its scan outputs; {@link
 * Lowering} refuses those before lowering.
 */
final class LoopLowering {

  private LoopLowering() {}

  static void scan(Lowering l, Node n, Scan op) {
    int states = n.numOperands() - (int) op.numScanInputs();
    Block body = n.regions().getFirst().block();
    List<Buffer> args = arguments(l, body);
    List<Buffer> results = results(l, n);
    for (int k = 0; k < states; k++) {
      l.copy(n.operand(k), args.get(k));
    }
    int[] inAxes = new int[(int) op.numScanInputs()];
    long steps = 0;
    for (int j = 0; j < inAxes.length; j++) {
      Value x = n.operand(states + j);
      inAxes[j] = Shapes.axis(at(op.scanInputAxes(), j), x.type().rank());
      steps = Lowering.dims(x.type())[inAxes[j]];
    }
    Node ret = body.nodes().getLast();
    long n1 = steps - 1;
    l.emitter.loop("step", Ex.i64(0), Ex.i64(steps), Schedule.DEFAULT, t -> {
      for (int j = 0; j < inAxes.length; j++) {
        Value x = n.operand(states + j);
        Expr pos = at(op.scanInputDirections(), j) == 1 ? Ex.sub(Ex.i64(n1), t) : t;
        BlockArgument a = body.arguments().get(states + j);
        long[] dims = Lowering.dims(a.type());
        Buffer dst = args.get(states + j);
        int axis = inAxes[j];
        l.emitter.forEach(dims, idx ->
          l.emitter.emit(
            new Stmt.Store(
              dst,
              Ex.linear(dims, idx),
              Lowering.narrow(dst.elem(), l.read(x, insert(idx, axis, pos)))
            )
          )
        );
      }
      l.nodes(body);
      for (int k = 0; k < n.results().size() - states; k++) {
        Value v = ret.operand(states + k);
        long[] dims = Lowering.dims(v.type());
        long[] outDims = Lowering.dims(n.result(states + k).type());
        int axis = Shapes.axis(at(op.scanOutputAxes(), k), dims.length + 1);
        Expr pos = at(op.scanOutputDirections(), k) == 1 ? Ex.sub(Ex.i64(n1), t) : t;
        Buffer dst = results.get(states + k);
        l.emitter.forEach(dims, idx ->
          l.emitter.emit(
            new Stmt.Store(
              dst,
              Ex.linear(outDims, insert(idx, axis, pos)),
              Lowering.narrow(dst.elem(), l.read(v, idx))
            )
          )
        );
      }
      carry(l, body, ret, 0, 0, states, results);
    });
    for (int k = 0; k < states; k++) {
      l.copy(body.arguments().get(k), results.get(k));
    }
  }

  static void loop(Lowering l, Node n) {
    int carried = n.numOperands() - 2;
    Block body = n.regions().getFirst().block();
    List<Buffer> args = arguments(l, body);
    List<Buffer> results = results(l, n);
    if (results.size() != carried) {
      throw new IllegalStateException("nn.loop with scan outputs reached lowering: " + n);
    }
    for (int k = 0; k < carried; k++) {
      l.copy(n.operand(2 + k), args.get(2 + k));
    }
    Expr max = l.emitter.let("trip", l.read(n.operand(0), zeros(n.operand(0))));
    Expr first = truth(l.read(n.operand(1), zeros(n.operand(1))));
    Node ret = body.nodes().getLast();
    Value c = ret.operand(0);
    boolean counted =
      Ex.intValue(max) != null &&
      Boolean.TRUE.equals(constantTruth(n.operand(1))) &&
      (c == body.arguments().get(1) || Boolean.TRUE.equals(constantTruth(c)));
    if (counted) {
      l.emitter.loop("iter", Ex.i64(0), max, Schedule.DEFAULT, i -> {
        iteration(l, args, i);
        l.nodes(body);
        carry(l, body, ret, 1, 2, carried, results);
      });
    } else {
      Expr.Var i = l.emitter.letVar("iter", Ex.i64(0));
      Expr.Var go = l.emitter.letVar("go", Ex.and(Ex.lt(i, max), first));
      l.emitter.whileLoop(go, () -> {
        iteration(l, args, i);
        l.nodes(body);
        Expr next = l.emitter.letVar("cond", truth(l.read(c, zeros(c))));
        carry(l, body, ret, 1, 2, carried, results);
        l.emitter.emit(new Stmt.Assign(i, Ex.add(i, Ex.i64(1))));
        l.emitter.emit(new Stmt.Assign(go, Ex.and(Ex.lt(i, max), next)));
      });
    }
    for (int k = 0; k < carried; k++) {
      l.copy(body.arguments().get(2 + k), results.get(k));
    }
  }

  /** The body's iteration argument is {@code i}, its condition argument {@code true}. */
  private static void iteration(Lowering l, List<Buffer> args, Expr i) {
    l.emitter.emit(new Stmt.Store(args.get(0), Ex.i64(0), i));
    l.emitter.emit(new Stmt.Store(args.get(1), Ex.i64(0), Ex.bool(true)));
  }

  /** The truth of a constant's single element, null when {@code v} is not a constant. */
  private static Boolean constantTruth(Value v) {
    return v instanceof OpResult r && r.definingNode().op() instanceof Constant k
      ? k.value().getLong(0) != 0
      : null;
  }

  /**
   * Copies the {@code count} states the body returns from {@code ret}'s operand {@code from} on
   * into the argument buffers from block argument {@code to} on; a state that is another argument
   * is staged in {@code results} (the holder's result buffers) first.
   */
  private static void carry(
    Lowering l,
    Block body,
    Node ret,
    int from,
    int to,
    int count,
    List<Buffer> results
  ) {
    List<BlockArgument> args = body.arguments();
    boolean[] staged = new boolean[count];
    for (int k = 0; k < count; k++) {
      Value v = ret.operand(from + k);
      if (v instanceof BlockArgument a && args.contains(a) && a != args.get(to + k)) {
        l.copy(v, results.get(k));
        staged[k] = true;
      }
    }
    for (int k = 0; k < count; k++) {
      Value v = ret.operand(from + k);
      BlockArgument dst = args.get(to + k);
      if (v == dst) {
        continue;
      }
      Buffer target = l.buffer(dst);
      if (staged[k]) {
        long[] dims = Lowering.dims(dst.type());
        Buffer src = results.get(k);
        l.emitter.forEach(dims, idx ->
          l.emitter.emit(
            new Stmt.Store(target, Ex.linear(dims, idx), new Expr.Load(src, Ex.linear(dims, idx)))
          )
        );
      } else {
        l.copy(v, target);
      }
    }
  }

  private static List<Buffer> arguments(Lowering l, Block body) {
    List<Buffer> out = new ArrayList<>();
    for (BlockArgument a : body.arguments()) {
      out.add(l.bind(a));
    }
    return out;
  }

  private static List<Buffer> results(Lowering l, Node n) {
    List<Buffer> out = new ArrayList<>();
    for (OpResult r : n.results()) {
      out.add(l.bind(r));
    }
    return out;
  }

  private static Expr truth(Expr e) {
    return Ex.ne(e, Ex.zero(e));
  }

  private static List<Expr> zeros(Value v) {
    List<Expr> z = new ArrayList<>();
    for (int d = 0; d < v.type().rank(); d++) {
      z.add(Ex.i64(0));
    }
    return z;
  }

  private static List<Expr> insert(List<Expr> idx, int axis, Expr pos) {
    List<Expr> r = new ArrayList<>(idx);
    r.add(axis, pos);
    return r;
  }

  private static long at(List<Long> xs, int i) {
    return xs.isEmpty() ? 0 : xs.get(i);
  }
}
