package dev.kiln.ir.loop;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One compiled function: {@code int NAME_run(inputs, outputs, workspace)}. It reads the caller's
 * {@code inputs}, writes every element of {@code outputs}, may use {@code workspaceBytes} bytes of
 * the caller's workspace (64-byte aligned) and reads {@code constants}. The workspace is the
 * planned arena ({@link #arenaBytes}, where workspace buffers live) followed by one scratch slot
 * of {@link #threadScratchBytes} per thread for kernels passed {@link Stmt.Exec}; with {@code t}
 * threads it needs {@link #workspaceBytes(int)}. Construction verifies the
 * body: every buffer it touches is declared here, no store goes to an input or constant, every
 * variable is in scope where it is used, workspace buffers fit the workspace.
 */
public final class LoopFunc {

  private final String name;
  private final List<Buffer> inputs;
  private final List<Buffer> outputs;
  private final List<Buffer> constants;
  private final List<Buffer> workspace;
  private final long workspaceBytes;
  private final long threadScratchBytes;
  private final List<Stmt> body;

  public LoopFunc(
    String name,
    List<Buffer> inputs,
    List<Buffer> outputs,
    List<Buffer> constants,
    List<Buffer> workspace,
    long workspaceBytes,
    List<Stmt> body
  ) {
    this(name, inputs, outputs, constants, workspace, workspaceBytes, 0, body);
  }

  /**
   * A function whose workspace is an arena of {@code arenaBytes} followed by per-thread kernel
   * scratch slots of {@code threadScratchBytes} (a multiple of 64); with slots, the arena is rounded
   * up to 64 bytes so that they start aligned.
   */
  public LoopFunc(
    String name,
    List<Buffer> inputs,
    List<Buffer> outputs,
    List<Buffer> constants,
    List<Buffer> workspace,
    long arenaBytes,
    long threadScratchBytes,
    List<Stmt> body
  ) {
    if (threadScratchBytes < 0 || threadScratchBytes % 64 != 0) {
      fail("thread scratch " + threadScratchBytes + " is not a multiple of 64");
    }
    this.threadScratchBytes = threadScratchBytes;
    long workspaceBytes = threadScratchBytes > 0 ? Math.ceilDiv(arenaBytes, 64) * 64 : arenaBytes;
    this.name = name;
    this.inputs = List.copyOf(inputs);
    this.outputs = List.copyOf(outputs);
    this.constants = List.copyOf(constants);
    this.workspace = List.copyOf(workspace);
    this.workspaceBytes = workspaceBytes;
    this.body = List.copyOf(body);
    verify();
  }

  public String name() {
    return name;
  }

  public List<Buffer> inputs() {
    return inputs;
  }

  public List<Buffer> outputs() {
    return outputs;
  }

  public List<Buffer> constants() {
    return constants;
  }

  public List<Buffer> workspace() {
    return workspace;
  }

  /** The workspace for one thread: the arena and one scratch slot. */
  public long workspaceBytes() {
    return workspaceBytes(1);
  }

  /** The workspace a run on {@code threads} threads needs. */
  public long workspaceBytes(int threads) {
    return Math.addExact(workspaceBytes, Math.multiplyExact(threadScratchBytes, threads));
  }

  /** Bytes of the planned arena, where the workspace buffers live; thread scratch follows it. */
  public long arenaBytes() {
    return workspaceBytes;
  }

  /** Bytes of kernel scratch each thread needs after the arena (0 when no kernel needs any). */
  public long threadScratchBytes() {
    return threadScratchBytes;
  }

  public List<Stmt> body() {
    return body;
  }

  /** Every buffer, in declaration order: inputs, outputs, constants, workspace. */
  public List<Buffer> buffers() {
    List<Buffer> all = new ArrayList<>(inputs);
    all.addAll(outputs);
    all.addAll(constants);
    all.addAll(workspace);
    return all;
  }

  @Override
  public String toString() {
    return LoopPrinter.print(this);
  }

  private void verify() {
    Map<Buffer, Boolean> declared = new IdentityHashMap<>();
    Set<String> names = new HashSet<>();
    for (int i = 0; i < inputs.size(); i++) {
      expect(inputs.get(i), Buffer.Kind.INPUT, i);
    }
    for (int i = 0; i < outputs.size(); i++) {
      expect(outputs.get(i), Buffer.Kind.OUTPUT, i);
    }
    constants.forEach(b -> expect(b, Buffer.Kind.CONSTANT, -1));
    for (Buffer b : workspace) {
      expect(b, Buffer.Kind.WORKSPACE, -1);
      if (b.offset() % 64 != 0 || b.offset() + b.bytes() > workspaceBytes) {
        fail("workspace buffer " + b + " at " + b.offset() + " does not fit " + workspaceBytes);
      }
    }
    for (Buffer b : buffers()) {
      if (declared.put(b, true) != null || !names.add(b.name())) {
        fail("buffer " + b + " declared twice");
      }
    }
    new Scope(declared, new HashMap<>()).body(body);
  }

  private static void expect(Buffer b, Buffer.Kind kind, int param) {
    if (b.kind() != kind || b.param() != param) {
      fail(
        "buffer " + b + " is " + b.kind() + " #" + b.param() + " where " + kind + " was expected"
      );
    }
  }

  private static void fail(String message) {
    throw new IllegalArgumentException("loop ir: " + message);
  }

  private record Scope(Map<Buffer, Boolean> buffers, Map<String, Scalar> vars) {
    void body(List<Stmt> stmts) {
      Scope inner = new Scope(buffers, new HashMap<>(vars));
      for (Stmt s : stmts) {
        inner.stmt(s);
      }
    }

    void stmt(Stmt s) {
      switch (s) {
        case Stmt.For f -> {
          expr(f.lower());
          expr(f.upper());
          Scope inner = new Scope(buffers, new HashMap<>(vars));
          inner.declare(f.index());
          inner.body(f.body());
        }
        case Stmt.While w -> {
          expr(w.cond());
          body(w.body());
        }
        case Stmt.Store st -> {
          buffer(st.buffer());
          if (
            st.buffer().kind() == Buffer.Kind.INPUT || st.buffer().kind() == Buffer.Kind.CONSTANT
          ) {
            fail("store into " + st.buffer().kind().name().toLowerCase() + " " + st.buffer());
          }
          expr(st.index());
          expr(st.value());
        }
        case Stmt.Let l -> {
          expr(l.init());
          declare(l.var());
        }
        case Stmt.Assign a -> {
          var(a.var());
          expr(a.value());
        }
        case Stmt.If i -> {
          expr(i.cond());
          body(i.then());
          body(i.otherwise());
        }
        case Stmt.Call c -> {
          for (Stmt.Arg a : c.args()) {
            switch (a) {
              case Stmt.Pointer p -> {
                buffer(p.buffer());
                expr(p.index());
              }
              case Stmt.Value v -> expr(v.value());
              case Stmt.Struct st -> st.fields().forEach(this::expr);
              case Stmt.Null n -> {}
              case Stmt.Exec x -> {}
            }
          }
        }
      }
    }

    void declare(Expr.Var v) {
      if (vars.containsKey(v.name())) {
        fail("variable %" + v.name() + " declared twice");
      }
      vars.put(v.name(), v.type());
    }

    void var(Expr.Var v) {
      Scalar t = vars.get(v.name());
      if (t == null) {
        fail("variable %" + v.name() + " used out of scope");
      }
      if (t != v.type()) {
        fail("variable %" + v.name() + " is " + t + ", used as " + v.type());
      }
    }

    void buffer(Buffer b) {
      if (!buffers.containsKey(b)) {
        fail("buffer " + b + " is not declared");
      }
    }

    void expr(Expr e) {
      switch (e) {
        case Expr.IntConst c -> {}
        case Expr.FloatConst c -> {}
        case Expr.Var v -> var(v);
        case Expr.Load l -> {
          buffer(l.buffer());
          expr(l.index());
        }
        case Expr.Unary u -> expr(u.a());
        case Expr.Binary b -> {
          expr(b.a());
          expr(b.b());
        }
        case Expr.Select s -> {
          expr(s.cond());
          expr(s.a());
          expr(s.b());
        }
        case Expr.Cast c -> expr(c.a());
        case Expr.BitCast c -> expr(c.a());
      }
    }
  }
}
