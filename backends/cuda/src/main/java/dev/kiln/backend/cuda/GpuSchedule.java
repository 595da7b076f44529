package dev.kiln.backend.cuda;

import dev.kiln.backend.LoopModule;
import dev.kiln.ir.loop.BinaryOp;
import dev.kiln.ir.loop.Buffer;
import dev.kiln.ir.loop.Expr;
import dev.kiln.ir.loop.LoopFunc;
import dev.kiln.ir.loop.LoopWalk;
import dev.kiln.ir.loop.Schedule;
import dev.kiln.ir.loop.Stmt;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Schedules Loop IR for a GPU: the function's body becomes a sequence of launches, each a loop
 * {@code for gpu.tK in [0, n) parallel} whose iterations are the threads of one kernel, run in
 * order on one stream.
 *
 * <ul>
 *   <li>A top-level loop with constant bounds whose iterations are independent (below) is a launch
 *       of one thread per iteration; up to three perfectly nested such loops are collapsed into
 *       one launch ({@code t} decoded into their indices by division and remainder, innermost
 *       fastest, so neighbouring threads touch neighbouring elements).
 *   <li>Anything else (loops whose iterations depend on each other, such as scatters and scans,
 *       and statements that share a top-level variable) runs in a one-thread launch, consecutive
 *       ones merged.
 * </ul>
 *
 * <p>Independence is proved, never assumed: no kernel call, no assignment to a variable declared
 * outside the loop, and for every store and every access that may touch the same bytes (the same
 * input or output, or overlapping workspace buffers), both indices are affine in the loop index
 * with the same byte stride {@code C != 0} and the same coefficients of enclosing collapsed
 * indices, and the bytes the two reach for one iteration span fewer than {@code |C|} (inner loop
 * indices and other terms bounded by interval arithmetic). Then distinct iterations touch disjoint
 * bytes wherever one of them writes. Loads from buffers the loop does not write may use any index
 * (gathers). {@link GpuInterpreter} checks the result at run time: a race is an error.
 */
public final class GpuSchedule {

  /** Threads per block of every launch. */
  public static final int BLOCK = 256;

  /** At most this many perfectly nested loops are collapsed into one launch. */
  private static final int MAX_COLLAPSE = 3;

  /**
   * One launch of the scheduled function: its thread count and the Graph IR nodes it computes
   * (from the module's groups).
   */
  public record Launch(long threads, List<String> nodes) {
    public Launch {
      nodes = List.copyOf(nodes);
    }

    /** Blocks of {@link #BLOCK} threads covering {@link #threads}. */
    public long blocks() {
      return Math.ceilDiv(threads, BLOCK);
    }
  }

  /** The scheduled function (every top-level statement a launch loop) and its launches. */
  public record Scheduled(LoopFunc func, List<Launch> launches) {
    public Scheduled {
      launches = List.copyOf(launches);
    }
  }

  private final List<Stmt> launches = new ArrayList<>();
  private final List<Launch> info = new ArrayList<>();
  private final List<Stmt> serial = new ArrayList<>();
  private final Set<String> serialNodes = new LinkedHashSet<>();

  private GpuSchedule() {}

  /** Schedules {@code module}'s function; the buffers stay the same. */
  public static Scheduled of(LoopModule module) {
    LoopFunc f = module.func();
    List<Stmt> body = f.body();
    List<List<String>> nodes = nodesOfStatements(module);
    GpuSchedule s = new GpuSchedule();
    int at = 0;
    for (int[] unit : units(body)) {
      int from = unit[0];
      int to = unit[1];
      Set<String> unitNodes = new LinkedHashSet<>();
      for (int i = from; i < to; i++) {
        unitNodes.addAll(nodes.get(i));
      }
      List<Stmt> stmts = body.subList(from, to);
      if (stmts.size() == 1 && stmts.getFirst() instanceof Stmt.For loop && s.parallel(loop)) {
        s.flushSerial();
        s.launchParallel(loop, List.copyOf(unitNodes));
      } else {
        s.serial.addAll(stmts);
        s.serialNodes.addAll(unitNodes);
      }
      at = to;
    }
    if (at != body.size()) {
      throw new IllegalStateException("units end at " + at + " of " + body.size());
    }
    s.flushSerial();
    LoopFunc scheduled = new LoopFunc(
      f.name(),
      f.inputs(),
      f.outputs(),
      f.constants(),
      f.workspace(),
      f.arenaBytes(),
      f.threadScratchBytes(),
      s.launches
    );
    return new Scheduled(scheduled, s.info);
  }

  private static List<List<String>> nodesOfStatements(LoopModule module) {
    List<List<String>> nodes = new ArrayList<>();
    for (int i = 0; i < module.func().body().size(); i++) {
      nodes.add(List.of());
    }
    for (LoopModule.Group g : module.groups()) {
      for (int i = g.from(); i < g.to(); i++) {
        nodes.set(i, g.nodes());
      }
    }
    return nodes;
  }

  /**
   * The body cut into units {@code [from, to)}: a top-level {@code let} and every later statement
   * up to the last one reading or assigning its variable stay together (a launch cannot see another
   * launch's variables); every other statement is a unit of its own.
   */
  private static List<int[]> units(List<Stmt> body) {
    int n = body.size();
    int[] end = new int[n];
    List<Set<String>> uses = new ArrayList<>();
    for (Stmt s : body) {
      Set<String> vars = new HashSet<>();
      LoopWalk.vars(s, vars);
      uses.add(vars);
    }
    for (int i = 0; i < n; i++) {
      end[i] = i + 1;
      if (body.get(i) instanceof Stmt.Let let) {
        for (int j = i + 1; j < n; j++) {
          if (uses.get(j).contains(let.var().name())) {
            end[i] = j + 1;
          }
        }
      }
    }
    List<int[]> units = new ArrayList<>();
    int from = 0;
    while (from < n) {
      int to = end[from];
      for (int i = from; i < to; i++) {
        to = Math.max(to, end[i]);
      }
      units.add(new int[] { from, to });
      from = to;
    }
    return units;
  }

  private String threadVar() {
    return "gpu.t" + launches.size();
  }

  private void flushSerial() {
    if (serial.isEmpty()) {
      return;
    }
    Expr.Var t = new Expr.Var(threadVar(), dev.kiln.ir.loop.Scalar.I64);
    launches.add(new Stmt.For(t, Expr.i64(0), Expr.i64(1), parallelSchedule(), serial));
    info.add(new Launch(1, List.copyOf(serialNodes)));
    serial.clear();
    serialNodes.clear();
  }

  private static Schedule parallelSchedule() {
    return new Schedule(0, 0, true);
  }

  /** Collapses {@code loop} and the independent loops perfectly nested in it into one launch. */
  private void launchParallel(Stmt.For loop, List<String> nodes) {
    List<Stmt.For> nest = new ArrayList<>();
    nest.add(loop);
    Set<String> fixed = new HashSet<>();
    fixed.add(loop.index().name());
    Stmt.For inner = loop;
    while (
      nest.size() < MAX_COLLAPSE &&
      inner.body().size() == 1 &&
      inner.body().getFirst() instanceof Stmt.For next &&
      constantExtent(next) > 0 &&
      new Independence(next, fixed).holds()
    ) {
      nest.add(next);
      fixed.add(next.index().name());
      inner = next;
    }
    long threads = 1;
    for (Stmt.For f : nest) {
      threads = Math.multiplyExact(threads, constantExtent(f));
    }
    if (threads == 0) {
      return;
    }
    Expr.Var t = new Expr.Var(threadVar(), dev.kiln.ir.loop.Scalar.I64);
    List<Stmt> body = new ArrayList<>();
    long stride = threads;
    for (Stmt.For f : nest) {
      long extent = constantExtent(f);
      stride /= extent;
      Expr q = stride == 1 ? t : bin(BinaryOp.DIV, t, Expr.i64(stride));
      if (f != nest.getFirst()) {
        q = bin(BinaryOp.REM, q, Expr.i64(extent));
      }
      body.add(new Stmt.Let(f.index(), bin(BinaryOp.ADD, f.lower(), q)));
    }
    body.addAll(inner.body());
    launches.add(new Stmt.For(t, Expr.i64(0), Expr.i64(threads), parallelSchedule(), body));
    info.add(new Launch(threads, nodes));
  }

  private static Expr bin(BinaryOp op, Expr a, Expr b) {
    return new Expr.Binary(op, a, b);
  }

  /** The trip count of a loop with constant bounds; -1 otherwise. */
  private static long constantExtent(Stmt.For f) {
    if (f.lower() instanceof Expr.IntConst lo && f.upper() instanceof Expr.IntConst hi) {
      return Math.max(0, hi.value() - lo.value());
    }
    return -1;
  }

  private boolean parallel(Stmt.For loop) {
    return constantExtent(loop) > 1 && new Independence(loop, Set.of()).holds();
  }

  /** An index as {@code sum(coef[v] * v) + [lo, hi]}: symbolic indices exactly, the rest bounded. */
  private record Affine(Map<String, Long> coef, long lo, long hi) {
    static Affine constant(long v) {
      return new Affine(Map.of(), v, v);
    }

    boolean isConstant() {
      return coef.isEmpty() && lo == hi;
    }

    Affine plus(Affine o, long sign) {
      Map<String, Long> c = new HashMap<>(coef);
      for (var e : o.coef.entrySet()) {
        c.merge(e.getKey(), Math.multiplyExact(sign, e.getValue()), Math::addExact);
      }
      c.values().removeIf(v -> v == 0);
      long a = sign > 0 ? o.lo : Math.negateExact(o.hi);
      long b = sign > 0 ? o.hi : Math.negateExact(o.lo);
      return new Affine(c, Math.addExact(lo, a), Math.addExact(hi, b));
    }

    Affine times(long k) {
      Map<String, Long> c = new HashMap<>();
      for (var e : coef.entrySet()) {
        c.put(e.getKey(), Math.multiplyExact(e.getValue(), k));
      }
      c.values().removeIf(v -> v == 0);
      long a = Math.multiplyExact(lo, k);
      long b = Math.multiplyExact(hi, k);
      return new Affine(c, Math.min(a, b), Math.max(a, b));
    }
  }

  /** One memory access of a loop body: the buffer, its index as affine form (or null), a store. */
  private record Access(Buffer buffer, Affine index, boolean write) {}

  /**
   * Whether the iterations of one loop are independent, with the indices in {@code fixed} (the
   * loops it is collapsed under) the same for every iteration.
   */
  private static final class Independence {

    private final Stmt.For loop;
    private final Set<String> symbolic = new HashSet<>();
    private final List<Access> accesses = new ArrayList<>();
    private boolean refused;

    Independence(Stmt.For loop, Set<String> fixed) {
      this.loop = loop;
      symbolic.addAll(fixed);
      symbolic.add(loop.index().name());
    }

    boolean holds() {
      stmts(loop.body(), new HashMap<>(), new HashSet<>());
      if (refused) {
        return false;
      }
      for (Access w : accesses) {
        if (!w.write()) {
          continue;
        }
        for (Access a : accesses) {
          if (overlaps(w.buffer(), a.buffer()) && !separated(w, a)) {
            return false;
          }
        }
      }
      return true;
    }

    /** Whether two buffers may share bytes. */
    private static boolean overlaps(Buffer a, Buffer b) {
      if (a == b) {
        return true;
      }
      if (a.kind() == Buffer.Kind.WORKSPACE && b.kind() == Buffer.Kind.WORKSPACE) {
        return a.offset() < b.offset() + b.bytes() && b.offset() < a.offset() + a.bytes();
      }
      return a.kind() == b.kind() && a.kind() != Buffer.Kind.CONSTANT && a.param() == b.param();
    }

    /** Whether distinct iterations of the loop reach disjoint bytes through {@code w} and {@code a}. */
    private boolean separated(Access w, Access a) {
      if (w.index() == null || a.index() == null) {
        return false;
      }
      String i = loop.index().name();
      long sw = w.buffer().elem().bytes();
      long sa = a.buffer().elem().bytes();
      Affine bw = w.index().times(sw);
      Affine ba = a.index().times(sa);
      long stride = bw.coef().getOrDefault(i, 0L);
      if (stride == 0 || stride != ba.coef().getOrDefault(i, 0L)) {
        return false;
      }
      if (!bw.coef().equals(ba.coef())) {
        return false;
      }
      long baseW = w.buffer().kind() == Buffer.Kind.WORKSPACE ? w.buffer().offset() : 0;
      long baseA = a.buffer().kind() == Buffer.Kind.WORKSPACE ? a.buffer().offset() : 0;
      long lo = Math.min(baseW + bw.lo(), baseA + ba.lo());
      long hi = Math.max(baseW + bw.hi() + sw - 1, baseA + ba.hi() + sa - 1);
      return hi - lo < Math.abs(stride);
    }

    private void stmts(List<Stmt> body, Map<String, long[]> ranges, Set<String> declared) {
      Map<String, long[]> inner = new HashMap<>(ranges);
      Set<String> innerDeclared = new HashSet<>(declared);
      for (Stmt s : body) {
        stmt(s, inner, innerDeclared);
        if (refused) {
          return;
        }
      }
    }

    private void stmt(Stmt s, Map<String, long[]> ranges, Set<String> declared) {
      switch (s) {
        case Stmt.For f -> {
          expr(f.lower(), ranges);
          expr(f.upper(), ranges);
          Affine lo = affine(f.lower(), ranges);
          Affine hi = affine(f.upper(), ranges);
          Map<String, long[]> inner = new HashMap<>(ranges);
          if (lo != null && hi != null && lo.coef().isEmpty() && hi.coef().isEmpty()) {
            inner.put(f.index().name(), new long[] { lo.lo(), hi.hi() - 1 });
          } else {
            inner.remove(f.index().name());
          }
          Set<String> d = new HashSet<>(declared);
          d.add(f.index().name());
          stmts(f.body(), inner, d);
        }
        case Stmt.While w -> {
          expr(w.cond(), ranges);
          stmts(w.body(), ranges, declared);
        }
        case Stmt.If i -> {
          expr(i.cond(), ranges);
          stmts(i.then(), ranges, declared);
          stmts(i.otherwise(), ranges, declared);
        }
        case Stmt.Store st -> {
          expr(st.index(), ranges);
          expr(st.value(), ranges);
          accesses.add(new Access(st.buffer(), affine(st.index(), ranges), true));
        }
        case Stmt.Let l -> {
          expr(l.init(), ranges);
          declared.add(l.var().name());
          ranges.remove(l.var().name());
        }
        case Stmt.Assign a -> {
          expr(a.value(), ranges);
          if (!declared.contains(a.var().name())) {
            refused = true;
          }
          ranges.remove(a.var().name());
        }
        case Stmt.Call c -> refused = true;
      }
    }

    /** Records the loads in {@code e}. */
    private void expr(Expr e, Map<String, long[]> ranges) {
      LoopWalk.exprs(e, x -> {
        if (x instanceof Expr.Load l) {
          accesses.add(new Access(l.buffer(), affine(l.index(), ranges), false));
        }
      });
    }

    /** {@code e} as an affine form, or null when it is not one this analysis bounds. */
    private Affine affine(Expr e, Map<String, long[]> ranges) {
      try {
        return affineOrNull(e, ranges);
      } catch (ArithmeticException overflow) {
        return null;
      }
    }

    private Affine affineOrNull(Expr e, Map<String, long[]> ranges) {
      return switch (e) {
        case Expr.IntConst c when !c.type().isFloat() -> Affine.constant(c.value());
        case Expr.Var v when symbolic.contains(v.name()) -> new Affine(Map.of(v.name(), 1L), 0, 0);
        case Expr.Var v when ranges.containsKey(v.name()) -> {
          long[] r = ranges.get(v.name());
          yield r[0] <= r[1] ? new Affine(Map.of(), r[0], r[1]) : null;
        }
        case Expr.Cast c when (
          c.type() == dev.kiln.ir.loop.Scalar.I64 &&
          c.a().type().isInteger() &&
          c.a().type().bits() < 64
        ) -> {
          Affine a = affine(c.a(), ranges);
          yield a != null && a.coef().isEmpty() ? a : null;
        }
        case Expr.Binary b -> binary(b, ranges);
        default -> null;
      };
    }

    private Affine binary(Expr.Binary b, Map<String, long[]> ranges) {
      Affine x = affine(b.a(), ranges);
      Affine y = affine(b.b(), ranges);
      if (x == null || y == null || b.type() != dev.kiln.ir.loop.Scalar.I64) {
        return null;
      }
      return switch (b.op()) {
        case ADD -> x.plus(y, 1);
        case SUB -> x.plus(y, -1);
        case MUL -> {
          if (y.isConstant()) {
            yield x.times(y.lo());
          }
          if (x.isConstant()) {
            yield y.times(x.lo());
          }
          if (x.coef().isEmpty() && y.coef().isEmpty()) {
            long[] p = {
              Math.multiplyExact(x.lo(), y.lo()),
              Math.multiplyExact(x.lo(), y.hi()),
              Math.multiplyExact(x.hi(), y.lo()),
              Math.multiplyExact(x.hi(), y.hi()),
            };
            long lo = Math.min(Math.min(p[0], p[1]), Math.min(p[2], p[3]));
            long hi = Math.max(Math.max(p[0], p[1]), Math.max(p[2], p[3]));
            yield new Affine(Map.of(), lo, hi);
          }
          yield null;
        }
        case DIV -> x.coef().isEmpty() && y.isConstant() && y.lo() > 0 && x.lo() >= 0
          ? new Affine(Map.of(), x.lo() / y.lo(), x.hi() / y.lo())
          : null;
        case REM -> x.coef().isEmpty() && y.isConstant() && y.lo() > 0 && x.lo() >= 0
          ? new Affine(Map.of(), 0, Math.min(x.hi(), y.lo() - 1))
          : null;
        case MIN -> x.coef().isEmpty() && y.coef().isEmpty()
          ? new Affine(Map.of(), Math.min(x.lo(), y.lo()), Math.min(x.hi(), y.hi()))
          : null;
        case MAX -> x.coef().isEmpty() && y.coef().isEmpty()
          ? new Affine(Map.of(), Math.max(x.lo(), y.lo()), Math.max(x.hi(), y.hi()))
          : null;
        default -> null;
      };
    }
  }
}
