package dev.kiln.ir.loop;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;

/**
 * The parts of Loop IR statements and expressions, for the analyses backends make (the C printer's
 * live variables, the GPU scheduler's accesses).
 */
public final class LoopWalk {

  private LoopWalk() {}

  /** Calls {@code visit} on {@code e} and every expression inside it, outermost first. */
  public static void exprs(Expr e, Consumer<Expr> visit) {
    visit.accept(e);
    switch (e) {
      case Expr.Load l -> exprs(l.index(), visit);
      case Expr.Unary u -> exprs(u.a(), visit);
      case Expr.Binary b -> {
        exprs(b.a(), visit);
        exprs(b.b(), visit);
      }
      case Expr.Select s -> {
        exprs(s.cond(), visit);
        exprs(s.a(), visit);
        exprs(s.b(), visit);
      }
      case Expr.Cast c -> exprs(c.a(), visit);
      case Expr.BitCast c -> exprs(c.a(), visit);
      case Expr.IntConst c -> {}
      case Expr.FloatConst c -> {}
      case Expr.Var v -> {}
    }
  }

  /** The expressions {@code s} evaluates itself, not those of the bodies it holds. */
  public static List<Expr> operands(Stmt s) {
    return switch (s) {
      case Stmt.For l -> List.of(l.lower(), l.upper());
      case Stmt.While w -> List.of(w.cond());
      case Stmt.If i -> List.of(i.cond());
      case Stmt.Let l -> List.of(l.init());
      case Stmt.Assign a -> List.of(a.value());
      case Stmt.Store st -> List.of(st.index(), st.value());
      case Stmt.Call c -> {
        List<Expr> out = new ArrayList<>();
        for (Stmt.Arg arg : c.args()) {
          switch (arg) {
            case Stmt.Pointer p -> out.add(p.index());
            case Stmt.Value v -> out.add(v.value());
            case Stmt.Struct st -> out.addAll(st.fields());
            case Stmt.Null n -> {}
            case Stmt.Exec x -> {}
          }
        }
        yield out;
      }
    };
  }

  /** The bodies {@code s} holds, in order. */
  public static List<List<Stmt>> bodies(Stmt s) {
    return switch (s) {
      case Stmt.For l -> List.of(l.body());
      case Stmt.While w -> List.of(w.body());
      case Stmt.If i -> List.of(i.then(), i.otherwise());
      default -> List.of();
    };
  }

  /** The names of the variables {@code e} reads, added to {@code into}. */
  public static void vars(Expr e, Set<String> into) {
    exprs(e, x -> {
      if (x instanceof Expr.Var v) {
        into.add(v.name());
      }
    });
  }

  /** The buffers {@code e} loads from, added to {@code into}. */
  public static void loads(Expr e, Set<Buffer> into) {
    exprs(e, x -> {
      if (x instanceof Expr.Load l) {
        into.add(l.buffer());
      }
    });
  }

  /** The names of the variables {@code s} and the bodies it holds read or assign. */
  public static void vars(Stmt s, Set<String> into) {
    for (Expr e : operands(s)) {
      vars(e, into);
    }
    if (s instanceof Stmt.Assign a) {
      into.add(a.var().name());
    }
    for (List<Stmt> body : bodies(s)) {
      for (Stmt inner : body) {
        vars(inner, into);
      }
    }
  }

  /** Whether {@code e} reads a buffer or one of {@code dataVars}. */
  public static boolean isData(Expr e, Set<String> dataVars) {
    boolean[] found = { false };
    exprs(e, x -> {
      if (x instanceof Expr.Load || (x instanceof Expr.Var v && dataVars.contains(v.name()))) {
        found[0] = true;
      }
    });
    return found[0];
  }
}
