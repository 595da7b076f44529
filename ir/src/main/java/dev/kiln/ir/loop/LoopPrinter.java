package dev.kiln.ir.loop;

import dev.kiln.ir.Printing;
import dev.kiln.ir.Tensor;
import java.util.List;
import java.util.Locale;
import java.util.StringJoiner;

/**
 * The text form of Loop IR, for golden tests and {@code kiln opt --lower}; {@link LoopParser} reads
 * it back, and {@code print(parse(print(f))) == print(f)}:
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
 *   call kiln_gemm_f32({2:i32, 1.0:f32}, &amp;%t0[0], null)
 * }
 * </pre>
 *
 * Buffers are declared first, by kind in the order inputs, outputs, constants, workspace (an
 * input's or output's position is its caller tensor number). Integer constants of type {@code i64}
 * print bare, others with their type ({@code 1.5:f32}, {@code NaN:f64}, {@code -3:i32}); booleans
 * as {@code true}/{@code false}. Constant buffer data prints as a decimal list when it has at most
 * 16 elements and no NaN, and as the hex of its little-endian bytes otherwise ({@code = 0x0000803F});
 * a constant without data prints {@code = elided}. Names that are not {@code [A-Za-z0-9_.$]+}
 * print quoted ({@code %"a b"}). Variables print by name; their type is the one their {@code let}
 * (or, for loop indices, {@code i64}) gives.
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
    out.append("loop.func @").append(name(f.name())).append(" workspace ").append(f.arenaBytes());
    if (f.threadScratchBytes() > 0) {
      out.append(" thread_scratch ").append(f.threadScratchBytes());
    }
    out.append(" {\n");
    for (Buffer b : f.buffers()) {
      buffer(b);
    }
    body(f.body(), 1);
    out.append("}\n");
  }

  private void buffer(Buffer b) {
    out.append("  ").append(b.kind().name().toLowerCase(Locale.ROOT)).append(' ');
    ref(b).append(": buffer<");
    for (long d : b.dims()) {
      out.append(d).append('x');
    }
    out.append(b.elem()).append('>');
    switch (b.kind()) {
      case INPUT, OUTPUT -> out.append(' ').append(Printing.quote(b.sourceName()));
      case WORKSPACE -> out.append(" at ").append(b.offset());
      case CONSTANT -> out.append(" = ").append(data(b));
    }
    out.append('\n');
  }

  private static String data(Buffer b) {
    Tensor t = b.data();
    if (!t.hasData()) {
      return "elided";
    }
    if (b.length() > INLINE_ELEMENTS) {
      return t.toHex();
    }
    StringJoiner v = new StringJoiner(", ", "[", "]");
    for (long i = 0; i < b.length(); i++) {
      if (b.elem().isFloat()) {
        double d = t.getDouble(i);
        if (Double.isNaN(d)) {
          return t.toHex();
        }
        v.add(Double.toString(d));
      } else {
        v.add(Long.toString(t.getLong(i)));
      }
    }
    return v.toString();
  }

  /** Constant buffers of at most this many elements print their values in decimal. */
  static final int INLINE_ELEMENTS = 16;

  private StringBuilder ref(Buffer b) {
    return out.append('%').append(name(b.name()));
  }

  /** {@code s} bare when it is {@code [A-Za-z0-9_.$]+}, else quoted. */
  static String name(String s) {
    boolean bare = !s.isEmpty();
    for (int i = 0; i < s.length() && bare; i++) {
      bare = isNameChar(s.charAt(i));
    }
    return bare ? s : Printing.quote(s);
  }

  static boolean isNameChar(char c) {
    return (
      (c >= 'a' && c <= 'z') ||
      (c >= 'A' && c <= 'Z') ||
      (c >= '0' && c <= '9') ||
      c == '_' ||
      c == '.' ||
      c == '$'
    );
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
        ref(st.buffer()).append('[');
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
        out.append("call ").append(name(c.kernel())).append('(');
        String sep = "";
        for (Stmt.Arg a : c.args()) {
          out.append(sep);
          sep = ", ";
          arg(a);
        }
        out.append(")\n");
      }
    }
  }

  private void arg(Stmt.Arg a) {
    switch (a) {
      case Stmt.Pointer p -> {
        out.append('&');
        ref(p.buffer()).append('[');
        expr(p.index());
        out.append(']');
      }
      case Stmt.Null n -> out.append("null");
      case Stmt.Exec x -> out.append("exec");
      case Stmt.Value v -> expr(v.value());
      case Stmt.Struct st -> {
        out.append('{');
        String sep = "";
        for (Expr e : st.fields()) {
          out.append(sep);
          sep = ", ";
          expr(e);
        }
        out.append('}');
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
      case Expr.Var v -> out.append('%').append(name(v.name()));
      case Expr.Load l -> {
        ref(l.buffer()).append('[');
        expr(l.index());
        out.append(']');
      }
      case Expr.Unary u -> call(u.op().text(), u.a());
      case Expr.Binary b -> call(b.op().text(), b.a(), b.b());
      case Expr.Select s -> call("select", s.cond(), s.a(), s.b());
      case Expr.Cast c -> call("cast<" + c.type() + ">", c.a());
      case Expr.BitCast c -> call("bitcast<" + c.type() + ">", c.a());
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
