package dev.kiln.ir.loop;

import java.util.List;
import java.util.StringJoiner;

/**
 * The text form of Loop IR, for golden tests and {@code --print-loop-ir}:
 *
 * <pre>
 * loop.func @net workspace 64 {
 *   input %x: buffer&lt;2x3xf32&gt; "x"
 *   output %y: buffer&lt;2x3xf32&gt; "y"
 *   constant %c0: buffer&lt;3xf32&gt; = [1.0, 2.0, 3.0]
 *   workspace %t0: buffer&lt;6xf32&gt; at 0
 *   for %i = 0 to 6 vectorize(8) {
 *     %y[%i] = add(%x[%i], %c0[rem(%i, 3)])
 *   }
 * }
 * </pre>
 *
 * Integer constants of type {@code i64} print bare, others with their type ({@code 1.5:f32});
 * constants of more than 16 elements print as their size only.
 */
public final class LoopPrinter {

  private final StringBuilder out = new StringBuilder();

  private LoopPrinter() {}

  /** The text of {@code f}, ending in a newline. */
  public static String print(LoopFunc f) {
    LoopPrinter p = new LoopPrinter();
    p.func(f);
    return p.out.toString();
  }

  /** The text of one expression. */
  public static String print(Expr e) {
    LoopPrinter p = new LoopPrinter();
    p.expr(e);
    return p.out.toString();
  }

  private void func(LoopFunc f) {
    out.append("loop.func @").append(f.name()).append(" workspace ").append(f.arenaBytes());
    if (f.threadScratchBytes() > 0) {
      out.append(" thread_scratch ").append(f.threadScratchBytes());
    }
    out.append(" {\n");
    for (Buffer b : f.buffers()) {
      out.append("  ").append(b.kind().name().toLowerCase(java.util.Locale.ROOT)).append(' ');
      out.append(b).append(": buffer<");
      StringJoiner dims = new StringJoiner("x");
      for (long d : b.dims()) {
        dims.add(Long.toString(d));
      }
      out.append(dims).append(b.dims().length == 0 ? "" : "x").append(b.elem()).append('>');
      switch (b.kind()) {
        case INPUT, OUTPUT -> out.append(" \"").append(b.sourceName()).append('"');
        case WORKSPACE -> out.append(" at ").append(b.offset());
        case CONSTANT -> {
          if (b.length() <= 16) {
            StringJoiner v = new StringJoiner(", ", " = [", "]");
            for (long i = 0; i < b.length(); i++) {
              v.add(
                b.elem().isFloat()
                  ? Double.toString(b.data().getDouble(i))
                  : Long.toString(b.data().getLong(i))
              );
            }
            out.append(v);
          }
        }
      }
      out.append('\n');
    }
    body(f.body(), 1);
    out.append("}\n");
  }

  private void indent(int depth) {
    out.append("  ".repeat(depth));
  }

  private void body(List<Stmt> stmts, int depth) {
    for (Stmt s : stmts) {
      stmt(s, depth);
    }
  }

  private void stmt(Stmt s, int depth) {
    indent(depth);
    switch (s) {
      case Stmt.For f -> {
        out.append("for ");
        expr(f.index());
        out.append(" = ");
        expr(f.lower());
        out.append(" to ");
        expr(f.upper());
        Schedule sc = f.schedule();
        if (sc.vectorize() != 0) {
          out.append(" vectorize(").append(sc.vectorize()).append(')');
        }
        if (sc.unroll() != 0) {
          out.append(" unroll(").append(sc.unroll()).append(')');
        }
        if (sc.parallel()) {
          out.append(" parallel");
        }
        block(f.body(), depth);
      }
      case Stmt.While w -> {
        out.append("while ");
        expr(w.cond());
        block(w.body(), depth);
      }
      case Stmt.Store st -> {
        out.append(st.buffer()).append('[');
        expr(st.index());
        out.append("] = ");
        expr(st.value());
        out.append('\n');
      }
      case Stmt.Let l -> {
        out.append("let ");
        expr(l.var());
        out.append(": ").append(l.var().type()).append(" = ");
        expr(l.init());
        out.append('\n');
      }
      case Stmt.Assign a -> {
        expr(a.var());
        out.append(" := ");
        expr(a.value());
        out.append('\n');
      }
      case Stmt.If i -> {
        out.append("if ");
        expr(i.cond());
        block(i.then(), depth);
        if (!i.otherwise().isEmpty()) {
          out.setLength(out.length() - 1);
          out.append(" else");
          block(i.otherwise(), depth);
        }
      }
      case Stmt.Call c -> {
        out.append("call ").append(c.kernel()).append('(');
        String sep = "";
        for (Stmt.Arg a : c.args()) {
          out.append(sep);
          sep = ", ";
          switch (a) {
            case Stmt.Pointer p -> {
              out.append('&').append(p.buffer()).append('[');
              expr(p.index());
              out.append(']');
            }
            case Stmt.Null n -> out.append("null");
            case Stmt.Exec x -> out.append("exec");
            case Stmt.Value v -> expr(v.value());
            case Stmt.Struct st -> {
              out.append('{');
              String fs = "";
              for (Expr e : st.fields()) {
                out.append(fs);
                fs = ", ";
                expr(e);
              }
              out.append('}');
            }
          }
        }
        out.append(")\n");
      }
    }
  }

  private void block(List<Stmt> stmts, int depth) {
    out.append(" {\n");
    body(stmts, depth + 1);
    indent(depth);
    out.append("}\n");
  }

  private void expr(Expr e) {
    switch (e) {
      case Expr.IntConst c -> {
        if (c.type() == Scalar.BOOL) {
          out.append(c.value() != 0);
        } else {
          out.append(c.value());
          if (c.type() != Scalar.I64) {
            out.append(':').append(c.type());
          }
        }
      }
      case Expr.FloatConst c -> out.append(c.value()).append(':').append(c.type());
      case Expr.Var v -> out.append('%').append(v.name());
      case Expr.Load l -> {
        out.append(l.buffer()).append('[');
        expr(l.index());
        out.append(']');
      }
      case Expr.Unary u -> call(u.op().text(), u.a());
      case Expr.Binary b -> call(b.op().text(), b.a(), b.b());
      case Expr.Select s -> call("select", s.cond(), s.a(), s.b());
      case Expr.Cast c -> call("cast<" + c.type() + ">", c.a());
    }
  }

  private void call(String name, Expr... args) {
    out.append(name).append('(');
    for (int i = 0; i < args.length; i++) {
      if (i > 0) {
        out.append(", ");
      }
      expr(args[i]);
    }
    out.append(')');
  }
}
