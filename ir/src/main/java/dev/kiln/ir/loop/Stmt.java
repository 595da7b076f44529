package dev.kiln.ir.loop;

import java.util.List;
import java.util.Objects;

/** A statement of Loop IR. Bodies are lists of statements run in order. */
public sealed interface Stmt {
  /**
   * {@code for index in [lower, upper)} stepping by one; the bounds are {@code I64}, evaluated once.
   * The {@code schedule} says how a backend may run it; it never changes the result.
   */
  record For(Expr.Var index, Expr lower, Expr upper, Schedule schedule, List<Stmt> body) implements
    Stmt {
    public For {
      if (index.type() != Scalar.I64) {
        throw new IllegalArgumentException("loop index " + index.name() + " is " + index.type());
      }
      Expr.requireIndex(lower);
      Expr.requireIndex(upper);
      body = List.copyOf(body);
    }
  }

  /** Repeats {@code body} while {@code cond} (a {@code BOOL}, evaluated before each run) holds. */
  record While(Expr cond, List<Stmt> body) implements Stmt {
    public While {
      if (cond.type() != Scalar.BOOL) {
        throw new IllegalArgumentException("while condition of type " + cond.type());
      }
      body = List.copyOf(body);
    }
  }

  /** {@code buffer[index] = value}; {@code value} has the buffer's element type. */
  record Store(Buffer buffer, Expr index, Expr value) implements Stmt {
    public Store {
      Expr.requireIndex(index);
      if (value.type() != buffer.elem()) {
        throw new IllegalArgumentException(
          "store of " + value.type() + " into " + buffer + " of " + buffer.elem()
        );
      }
    }
  }

  /** Declares the mutable scalar {@code var}, visible to the rest of the enclosing body. */
  record Let(Expr.Var var, Expr init) implements Stmt {
    public Let {
      if (var.type() != init.type()) {
        throw new IllegalArgumentException(
          "let " + var.name() + ": " + var.type() + " = " + init.type()
        );
      }
    }
  }

  /** Gives the declared scalar {@code var} a new value. */
  record Assign(Expr.Var var, Expr value) implements Stmt {
    public Assign {
      if (var.type() != value.type()) {
        throw new IllegalArgumentException(var.name() + ": " + var.type() + " := " + value.type());
      }
    }
  }

  /** Runs {@code then} when {@code cond} holds, {@code otherwise} else. */
  record If(Expr cond, List<Stmt> then, List<Stmt> otherwise) implements Stmt {
    public If {
      if (cond.type() != Scalar.BOOL) {
        throw new IllegalArgumentException("if condition of type " + cond.type());
      }
      then = List.copyOf(then);
      otherwise = List.copyOf(otherwise);
    }
  }

  /**
   * A call of the micro-kernel {@code kernel} (a C function of {@code runtime-c/kernels}) with the
   * given arguments, in order.
   */
  record Call(String kernel, List<Arg> args) implements Stmt {
    public Call {
      Objects.requireNonNull(kernel);
      args = List.copyOf(args);
    }
  }

  /** An argument of a {@link Call}. */
  sealed interface Arg {}

  /** A pointer to element {@code index} of {@code buffer}. */
  record Pointer(Buffer buffer, Expr index) implements Arg {
    public Pointer {
      Expr.requireIndex(index);
    }
  }

  /** A C null pointer. */
  record Null() implements Arg {}

  /**
   * A pointer to the run's {@code kiln_exec_t}: the thread pool the caller passed (or none) and
   * the per-thread scratch slots at the end of the workspace ({@link LoopFunc#threadScratchBytes}
   * each).
   */
  record Exec() implements Arg {}

  /** A scalar passed by value. */
  record Value(Expr value) implements Arg {}

  /**
   * A pointer to a struct whose fields are {@code fields} in order, laid out as C lays out a struct
   * of those types (all kernel parameter structs have 4-byte fields only).
   */
  record Struct(List<Expr> fields) implements Arg {
    public Struct {
      fields = List.copyOf(fields);
    }
  }
}
