package dev.kiln.lower;

import dev.kiln.ir.loop.Ex;
import dev.kiln.ir.loop.Expr;
import dev.kiln.ir.loop.Scalar;
import dev.kiln.ir.loop.Schedule;
import dev.kiln.ir.loop.Stmt;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.function.Consumer;

/**
 * Builds nested Loop IR bodies: statements go to the innermost open body; {@link #loop}, {@link
 * #ifThen}, {@link #whileLoop} and {@link #forEach} open one, run the given code and close it.
 * Variable names are unique per function (a hint plus a counter).
 */
final class Emitter {

  private final Deque<List<Stmt>> bodies = new ArrayDeque<>();
  private int counter;

  Emitter() {
    bodies.push(new ArrayList<>());
  }

  void emit(Stmt s) {
    bodies.peek().add(s);
  }

  Expr.Var var(String hint, Scalar type) {
    return new Expr.Var(hint + counter++, type);
  }

  /** Declares a variable holding {@code init}; constants and variables are returned as they are. */
  Expr let(String hint, Expr init) {
    if (
      init instanceof Expr.Var || init instanceof Expr.IntConst || init instanceof Expr.FloatConst
    ) {
      return init;
    }
    return letVar(hint, init);
  }

  Expr.Var letVar(String hint, Expr init) {
    Expr.Var v = var(hint, init.type());
    emit(new Stmt.Let(v, init));
    return v;
  }

  private List<Stmt> body(Runnable r) {
    List<Stmt> b = new ArrayList<>();
    bodies.push(b);
    try {
      r.run();
    } finally {
      bodies.pop();
    }
    return b;
  }

  void loop(String hint, Expr lower, Expr upper, Schedule schedule, Consumer<Expr.Var> body) {
    Expr.Var i = var(hint, Scalar.I64);
    emit(new Stmt.For(i, lower, upper, schedule, body(() -> body.accept(i))));
  }

  void ifThen(Expr cond, Runnable then, Runnable otherwise) {
    Long k = Ex.intValue(cond);
    if (k != null) {
      if (k != 0) {
        then.run();
      } else if (otherwise != null) {
        otherwise.run();
      }
      return;
    }
    List<Stmt> t = body(then);
    List<Stmt> o = otherwise == null ? List.of() : body(otherwise);
    emit(new Stmt.If(cond, t, o));
  }

  void whileLoop(Expr cond, Runnable body) {
    emit(new Stmt.While(cond, body(body)));
  }

  void forEach(long[] dims, Consumer<List<Expr>> body) {
    nest(dims, 0, new ArrayList<>(), body);
  }

  private void nest(long[] dims, int d, List<Expr> idx, Consumer<List<Expr>> body) {
    if (d == dims.length) {
      body.accept(List.copyOf(idx));
      return;
    }
    if (dims[d] == 1) {
      idx.add(Ex.i64(0));
      nest(dims, d + 1, idx, body);
      idx.removeLast();
      return;
    }
    if (dims[d] == 0) {
      return;
    }
    loop("i", Ex.i64(0), Ex.i64(dims[d]), Schedule.DEFAULT, i -> {
      idx.add(i);
      nest(dims, d + 1, idx, body);
      idx.removeLast();
    });
  }

  /** The number of statements of the outermost body so far. */
  int size() {
    return bodies.getLast().size();
  }

  List<Stmt> finish() {
    if (bodies.size() != 1) {
      throw new IllegalStateException("unclosed body");
    }
    return List.copyOf(bodies.peek());
  }
}
