package dev.kiln.lower;

import dev.kiln.analysis.MemoryPlan;
import dev.kiln.backend.LoopModule;
import dev.kiln.ir.Block;
import dev.kiln.ir.BlockArgument;
import dev.kiln.ir.Diagnostic;
import dev.kiln.ir.DiagnosticException;
import dev.kiln.ir.Dim;
import dev.kiln.ir.Func;
import dev.kiln.ir.Location;
import dev.kiln.ir.Node;
import dev.kiln.ir.OpResult;
import dev.kiln.ir.Region;
import dev.kiln.ir.Tensor;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Use;
import dev.kiln.ir.Value;
import dev.kiln.ir.loop.Buffer;
import dev.kiln.ir.loop.Ex;
import dev.kiln.ir.loop.Expr;
import dev.kiln.ir.loop.LoopFunc;
import dev.kiln.ir.loop.Scalar;
import dev.kiln.ir.loop.Stmt;
import dev.kiln.ir.loop.TargetInfo;
import dev.kiln.ir.op.Concat;
import dev.kiln.ir.op.Constant;
import dev.kiln.ir.op.Elementwise;
import dev.kiln.ir.op.If;
import dev.kiln.ir.op.Loop;
import dev.kiln.ir.op.Return;
import dev.kiln.ir.op.Scan;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Lowers a Graph IR function with static shapes to one {@link LoopFunc}, node by node in block
 * order, each op through its {@link dev.kiln.ir.op.Op#lower} (or, for elementwise ops, {@link
 * Elementwise#lowerElement}).
 *
 * <p><b>Where values live.</b> Arguments are the caller's input buffers; constants become
 * read-only buffers; a value the function returns is written straight into the caller's output
 * buffer (a value returned twice, or an argument or constant that is returned, is copied at the
 * end); every other result lives in the workspace at the offset {@link MemoryPlan} gave it.
 * Per-node scratch buffers go after the planned arena.
 *
 * <p><b>Fusion.</b> An elementwise node whose only use is another elementwise node with the same
 * number of elements is not materialized: its consumer computes it per element inside its own
 * loop nest, so a chain of elementwise ops becomes one loop nest.
 *
 * <p><b>Regions.</b> {@code nn.if} lowers to a Loop IR {@code if}, {@code nn.scan} and {@code
 * nn.loop} to loops ({@link LoopLowering}); their bodies are lowered in place, values in the
 * holder's planned region scratch.
 *
 * <p>An op without a lowering, a dynamic shape or an element type native code does not handle is
 * refused with a {@link DiagnosticException}; every unsupported op is listed.
 */
public final class Lowering {

  private final Func func;
  private final String name;
  private final TargetInfo target;
  private long threadScratch;
  private final MemoryPlan plan;
  private final Map<Value, Storage> storage = new IdentityHashMap<>();
  private final List<Buffer> inputs = new ArrayList<>();
  private final List<Buffer> outputs = new ArrayList<>();
  private final List<Buffer> constants = new ArrayList<>();
  private final List<Buffer> workspace = new ArrayList<>();
  private final Map<Value, Buffer> outputOf = new IdentityHashMap<>();
  private long scratchEnd;
  private long workspaceBytes;
  private int counter;
  final Emitter emitter = new Emitter();
  private final List<LoopModule.Group> groups = new ArrayList<>();

  /** Where a value's elements come from. */
  sealed interface Storage {}

  /** Stored in a buffer with the value's dims. */
  record Stored(Buffer buffer) implements Storage {}

  /** Computed per element by its (elementwise) defining node when read. */
  record Fused(Node node) implements Storage {}

  private final Set<Node> fused;

  private Lowering(Func func, String name, TargetInfo target, MemoryPlan plan, Set<Node> fused) {
    this.fused = fused;
    this.func = func;
    this.name = name;
    this.target = target;
    this.plan = plan;
  }

  /**
   * Lowers {@code f}; the function's C symbol is {@code name + "_run"}. {@code outputNames} name the
   * results for the header; {@code target} is the target whose runtime-c micro-kernels calls may
   * go to, or null for none (plain loops only).
   */
  public static LoopFunc lower(
    Func f,
    String name,
    List<String> inputNames,
    List<String> outputNames,
    TargetInfo target
  ) {
    return lowerModule(f, name, inputNames, outputNames, target, name).func();
  }

  /**
   * Lowers {@code f} as {@link #lower} does, and says which top-level statements compute which
   * nodes; {@code source} names the model file for generated comments.
   */
  public static LoopModule lowerModule(
    Func f,
    String name,
    List<String> inputNames,
    List<String> outputNames,
    TargetInfo target,
    String source
  ) {
    check(f);
    Set<Node> fused = new HashSet<>();
    for (Node n : f.entry().nodes()) {
      if (fusable(n)) {
        fused.add(n);
      }
    }
    Lowering l = new Lowering(f, name, target, MemoryPlan.of(f, fused), fused);
    LoopFunc func = l.run(inputNames, outputNames);
    return new LoopModule(func, source, l.groups);
  }

  /** {@code n} and, before it, the elementwise nodes fused into it, each as {@code op "name"}. */
  private List<String> describe(Node n) {
    List<String> out = new ArrayList<>();
    for (Value v : n.operands()) {
      if (v instanceof OpResult r && fused.contains(r.definingNode())) {
        out.addAll(describe(r.definingNode()));
      }
    }
    String label = nodeName(n.location());
    out.add(n.op().name() + (label == null ? "" : " \"" + label + "\""));
    return out;
  }

  private static String nodeName(Location at) {
    return switch (at) {
      case Location.Named named -> named.name();
      case Location.Fused fused -> fused
        .parts()
        .stream()
        .map(Lowering::nodeName)
        .filter(java.util.Objects::nonNull)
        .findFirst()
        .orElse(null);
      default -> null;
    };
  }

  private static void check(Func f) {
    Set<String> unsupported = new LinkedHashSet<>();
    for (BlockArgument a : f.arguments()) {
      requireStatic(a, a.type(), f.location());
    }
    check(f.entry(), unsupported);
    if (!unsupported.isEmpty()) {
      throw new UnsupportedLowering(
        "the native backend does not support: " + String.join(", ", unsupported)
      );
    }
  }

  /** Static shapes everywhere, in the regions of {@code nn.if}, {@code nn.loop}, {@code nn.scan} too. */
  private static void check(Block b, Set<String> unsupported) {
    for (Node n : b.nodes()) {
      if (n.op() instanceof Loop) {
        requireCountedResults(n);
      }
      for (OpResult r : n.results()) {
        requireStatic(r, r.type(), n.location());
      }
      if (n.op() instanceof If || n.op() instanceof Loop || n.op() instanceof Scan) {
        for (Region r : n.regions()) {
          for (BlockArgument a : r.block().arguments()) {
            requireStatic(a, a.type(), n.location());
          }
          check(r.block(), unsupported);
        }
      } else if (!n.regions().isEmpty()) {
        unsupported.add(n.op().name() + " (nested regions)");
      }
    }
  }

  /**
   * The scan outputs of {@code nn.loop} stack one slice per iteration run, a number known only at
   * run time: refused with the loop's name.
   */
  private static void requireCountedResults(Node n) {
    int carried = n.numOperands() - 2;
    if (n.results().size() > carried) {
      OpResult r = n.result(carried);
      throw DiagnosticException.error(
        n.location(),
        "nn.loop" +
        (n.location() instanceof Location.Named named ? " \"" + named.name() + "\"" : "") +
        ": the number of iterations is known only at run time, so its scan output " +
        r.nameHint() +
        " has the dynamic shape " +
        r.type().shape() +
        "; native code needs static shapes"
      );
    }
  }

  private static void requireStatic(Value v, TensorType t, Location at) {
    for (Dim d : t.shape().dims()) {
      if (!(d instanceof Dim.Known)) {
        throw DiagnosticException.error(
          at,
          "value " +
          v.nameHint() +
          " has the dynamic shape " +
          t.shape() +
          "; native code needs static shapes (give --input NAME=DIMS)"
        );
      }
    }
    if (Scalar.of(t.elementType()).isEmpty()) {
      throw new UnsupportedLowering(
        "the native backend does not support element type " +
        t.elementType() +
        " (value " +
        v.nameHint() +
        ")"
      );
    }
  }

  private LoopFunc run(List<String> inputNames, List<String> outputNames) {
    List<BlockArgument> args = func.arguments();
    for (int i = 0; i < args.size(); i++) {
      BlockArgument a = args.get(i);
      Buffer b = Buffer.param(
        Buffer.Kind.INPUT,
        "in" + i,
        scalar(a.type()),
        i,
        dims(a.type()),
        i < inputNames.size() ? inputNames.get(i) : "input_" + i
      );
      inputs.add(b);
      storage.put(a, new Stored(b));
    }
    Node ret = func.entry().nodes().getLast();
    for (int i = 0; i < ret.numOperands(); i++) {
      Value v = ret.operand(i);
      Buffer b = Buffer.param(
        Buffer.Kind.OUTPUT,
        "out" + i,
        scalar(v.type()),
        i,
        dims(v.type()),
        i < outputNames.size() ? outputNames.get(i) : "output_" + i
      );
      outputs.add(b);
      if (v instanceof OpResult r && !(r.definingNode().op() instanceof Constant)) {
        outputOf.putIfAbsent(v, b);
      }
    }
    workspaceBytes = plan.arenaBytes();
    scratchEnd = workspaceBytes;
    Set<String> unsupported = new LinkedHashSet<>();
    for (Node n : func.entry().nodes()) {
      if (n.op() instanceof Return) {
        for (int i = 0; i < n.numOperands(); i++) {
          Value v = n.operand(i);
          if (outputOf.get(v) != outputs.get(i)) {
            copy(v, outputs.get(i));
          }
        }
        continue;
      }
      int from = emitter.size();
      try {
        node(n);
        if (emitter.size() > from) {
          groups.add(new LoopModule.Group(from, emitter.size(), describe(n)));
        }
      } catch (UnsupportedLowering | UnsupportedOperationException e) {
        unsupported.add(
          n.op().name() + (e.getMessage() == null ? "" : " (" + e.getMessage() + ")")
        );
      }
    }
    if (!unsupported.isEmpty()) {
      throw new UnsupportedLowering(
        "the native backend does not support: " + String.join(", ", unsupported)
      );
    }
    workspaceBytes = Math.max(workspaceBytes, scratchEnd);
    return new LoopFunc(
      name,
      inputs,
      outputs,
      constants,
      workspace,
      workspaceBytes,
      align(threadScratch),
      emitter.finish()
    );
  }

  private void node(Node n) {
    if (n.op() instanceof Constant c) {
      storage.put(n.result(), new Stored(table(c.value())));
      return;
    }
    if (fused.contains(n)) {
      storage.put(n.result(), new Fused(n));
      return;
    }
    switch (n.op()) {
      case If i -> {
        branch(n);
        return;
      }
      case Scan s -> {
        LoopLowering.scan(this, n, s);
        return;
      }
      case Loop lp -> {
        LoopLowering.loop(this, n);
        return;
      }
      default -> {}
    }
    for (OpResult r : n.results()) {
      storage.put(r, new Stored(destination(r)));
    }
    if (n.op() instanceof Concat && plan.concatInPlace(n)) {
      return;
    }
    NodeContext ctx = new NodeContext(this, n);
    if (n.op() instanceof Elementwise e) {
      ctx.forEach(ctx.resultDims(0), idx -> ctx.store(0, idx, ctx.element(e, idx)));
    } else {
      n.op().lower(ctx);
    }
    ctx.releaseScratch();
  }

  /**
   * {@code nn.if}: the condition's one element picks a branch; the branch's nodes are lowered in
   * place (their values live in the node's planned scratch space) and its returned values are
   * copied into the node's results.
   */
  private void branch(Node n) {
    List<Buffer> results = new ArrayList<>();
    for (OpResult r : n.results()) {
      results.add(bind(r));
    }
    Value c = n.operand(0);
    List<Expr> zero = new ArrayList<>();
    for (int i = 0; i < dims(c.type()).length; i++) {
      zero.add(Ex.i64(0));
    }
    Expr cond = Ex.ne(read(c, zero), Ex.zero(read(c, zero)));
    emitter.ifThen(
      cond,
      () -> region(n.regions().get(0).block(), results),
      () -> region(n.regions().get(1).block(), results)
    );
  }

  private void region(Block b, List<Buffer> results) {
    nodes(b);
    Node ret = b.nodes().getLast();
    for (int i = 0; i < ret.numOperands(); i++) {
      copy(ret.operand(i), results.get(i));
    }
  }

  /** Lowers the nodes of {@code b} in place, all but its return. */
  void nodes(Block b) {
    for (Node inner : b.nodes()) {
      if (!(inner.op() instanceof Return)) {
        node(inner);
      }
    }
  }

  /** The buffer of a region's block argument or a node's result, bound as its storage. */
  Buffer bind(Value v) {
    Buffer b = switch (v) {
      case OpResult r -> destination(r);
      case BlockArgument a -> {
        long offset = plan
          .offset(a)
          .orElseThrow(() -> new IllegalStateException("no memory plan for " + a));
        Buffer w = Buffer.workspace(
          "t" + workspace.size(),
          scalar(a.type()),
          size(a.type()),
          offset
        );
        workspace.add(w);
        yield w;
      }
    };
    storage.put(v, new Stored(b));
    return b;
  }

  /** A constant buffer holding {@code t}. */
  Buffer table(Tensor t) {
    Buffer b = Buffer.constant("c" + constants.size(), scalar(t.type()), t);
    constants.add(b);
    return b;
  }

  /**
   * Fused into its consumer: elementwise with one use, by an elementwise node of the same block
   * and size that is not the return.
   */
  private static boolean fusable(Node n) {
    if (!(n.op() instanceof Elementwise) || n.results().size() != 1) {
      return false;
    }
    OpResult r = n.result();
    if (r.uses().size() != 1) {
      return false;
    }
    Use u = r.uses().getFirst();
    Node user = u.user();
    return (
      user.op() instanceof Elementwise &&
      user.parent() == n.parent() &&
      user.results().size() == 1 &&
      size(user.result().type()) == size(r.type())
    );
  }

  private Buffer destination(OpResult r) {
    Buffer out = outputOf.get(r);
    if (out != null) {
      return out;
    }
    long offset = plan
      .offset(r)
      .orElseThrow(() -> new IllegalStateException("no memory plan for " + r));
    Buffer b = Buffer.workspace("t" + workspace.size(), scalar(r.type()), size(r.type()), offset);
    workspace.add(b);
    return b;
  }

  /** A workspace buffer after the planned arena, for the node being lowered. */
  Buffer scratch(Scalar elem, long length, long[] top) {
    long offset = top[0];
    Buffer b = Buffer.workspace("s" + workspace.size(), elem, length, offset);
    workspace.add(b);
    top[0] = align(offset + b.bytes());
    scratchEnd = Math.max(scratchEnd, top[0]);
    return b;
  }

  long arenaEnd() {
    return workspaceBytes;
  }

  static long align(long bytes) {
    return Math.addExact(bytes, MemoryPlan.ALIGNMENT - 1) & -MemoryPlan.ALIGNMENT;
  }

  /** Copies value {@code v} element by element into {@code out}. */
  void copy(Value v, Buffer out) {
    long[] dims = dims(v.type());
    Scalar s = scalar(v.type());
    emitter.forEach(dims, idx -> {
      Expr e = read(v, idx);
      emitter.emit(new Stmt.Store(out, Ex.linear(dims, idx), narrow(s, e)));
    });
  }

  Storage storage(Value v) {
    Storage s = storage.get(v);
    if (s == null) {
      throw new IllegalStateException("no storage for " + v);
    }
    return s;
  }

  /** The element of {@code v} at {@code idx}, in its compute type. */
  Expr read(Value v, List<Expr> idx) {
    return switch (storage(v)) {
      case Stored s -> {
        Tensor t = s.buffer().data();
        if (t != null && t.hasData() && t.isSplat()) {
          yield splat(s.buffer().elem(), t);
        }
        yield widen(new Expr.Load(s.buffer(), Ex.linear(dims(v.type()), idx)));
      }
      case Fused f -> {
        NodeContext ctx = new NodeContext(this, f.node());
        Expr e = ctx.element((Elementwise) f.node().op(), idx);
        yield emitter.let("f", e);
      }
    };
  }

  /** The element of {@code v} at the row-major offset {@code offset}, in its compute type. */
  Expr readLinear(Value v, Expr offset) {
    if (
      storage(v) instanceof Stored s && !(s.buffer().data() != null && s.buffer().data().isSplat())
    ) {
      return widen(new Expr.Load(s.buffer(), offset));
    }
    return read(v, Ex.delinearize(dims(v.type()), offset));
  }

  /** The buffer of {@code v}, computing a fused value into its planned place first. */
  Buffer buffer(Value v) {
    Storage s = storage(v);
    if (s instanceof Stored st) {
      return st.buffer();
    }
    Node n = ((Fused) s).node();
    Buffer b = destination(n.result());
    NodeContext ctx = new NodeContext(this, n);
    ctx.forEach(dims(v.type()), idx -> ctx.storeTo(b, idx, ctx.element((Elementwise) n.op(), idx)));
    storage.put(v, new Stored(b));
    return b;
  }

  private static Expr splat(Scalar s, Tensor t) {
    Scalar c = s.compute();
    return c.isFloat() ? Ex.c(c, t.getDouble(0)) : Ex.ci(c, t.getLong(0));
  }

  static Expr widen(Expr e) {
    return Ex.cast(e.type().compute(), e);
  }

  static Expr narrow(Scalar storage, Expr e) {
    return Ex.narrow(storage, e);
  }

  String fresh(String hint) {
    return hint + counter++;
  }

  static Scalar scalar(TensorType t) {
    return Scalar.of(t.elementType()).orElseThrow(() ->
      new UnsupportedLowering("element type " + t.elementType())
    );
  }

  static long[] dims(TensorType t) {
    List<Dim> ds = t.shape().dims();
    long[] out = new long[ds.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = ((Dim.Known) ds.get(i)).size();
    }
    return out;
  }

  static long size(TensorType t) {
    long n = 1;
    for (long d : dims(t)) {
      n = Math.multiplyExact(n, d);
    }
    return n;
  }

  TargetInfo target() {
    return target;
  }

  void reserveThreadScratch(long bytes) {
    threadScratch = Math.max(threadScratch, bytes);
  }
}
