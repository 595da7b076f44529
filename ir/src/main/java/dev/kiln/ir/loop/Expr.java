package dev.kiln.ir.loop;

import java.util.Objects;

/**
 * A scalar expression of Loop IR: a pure function of loop indices, scalar variables and buffer
 * contents. Every expression has one {@link Scalar} type; operands of arithmetic agree in type
 * (lowering inserts {@link Cast}s), comparisons and predicates give {@link Scalar#BOOL}. Buffer
 * indices are {@link Scalar#I64} element offsets.
 */
public sealed interface Expr {
  /** The type of the value. */
  Scalar type();

  /** An integer (or boolean: 0 or 1) constant, stored sign-extended to 64 bits. */
  record IntConst(Scalar type, long value) implements Expr {
    public IntConst {
      if (type.isFloat()) {
        throw new IllegalArgumentException("integer constant of float type " + type);
      }
    }
  }

  /** A floating-point constant; stored as a double, rounded to {@code type} when used. */
  record FloatConst(Scalar type, double value) implements Expr {
    public FloatConst {
      if (!type.isFloat()) {
        throw new IllegalArgumentException("float constant of type " + type);
      }
    }
  }

  /**
   * A loop index or a scalar variable declared by {@link Stmt.Let}. Variables are identified by
   * name; lowering keeps names unique within a function.
   */
  record Var(String name, Scalar type) implements Expr {
    public Var {
      Objects.requireNonNull(name);
    }
  }

  /** Element {@code index} of {@code buffer}. */
  record Load(Buffer buffer, Expr index) implements Expr {
    public Load {
      requireIndex(index);
    }

    @Override
    public Scalar type() {
      return buffer.elem();
    }
  }

  /** {@code op(a)}; the type is {@code a}'s, or {@code BOOL} for the predicates. */
  record Unary(UnaryOp op, Expr a) implements Expr {
    public Unary {
      op.check(a.type());
    }

    @Override
    public Scalar type() {
      return op.isPredicate() ? Scalar.BOOL : a.type();
    }
  }

  /** {@code op(a, b)} with {@code a} and {@code b} of one type; {@code BOOL} for comparisons. */
  record Binary(BinaryOp op, Expr a, Expr b) implements Expr {
    public Binary {
      if (a.type() != b.type()) {
        throw new IllegalArgumentException(op + " of " + a.type() + " and " + b.type());
      }
      op.check(a.type());
    }

    @Override
    public Scalar type() {
      return op.isComparison() ? Scalar.BOOL : a.type();
    }
  }

  /** {@code cond ? a : b}; only the chosen operand matters (both are evaluated). */
  record Select(Expr cond, Expr a, Expr b) implements Expr {
    public Select {
      if (cond.type() != Scalar.BOOL || a.type() != b.type()) {
        throw new IllegalArgumentException(
          "select(" + cond.type() + ", " + a.type() + ", " + b.type() + ")"
        );
      }
    }

    @Override
    public Scalar type() {
      return a.type();
    }
  }

  /**
   * {@code a} converted to {@code type}: floats to integers truncate toward zero and saturate (NaN
   * gives 0), integers wrap when narrowed, anything to {@code BOOL} is {@code a != 0}, floats round
   * to nearest even.
   */
  record Cast(Scalar type, Expr a) implements Expr {
    public Cast {
      if (type.isLowPrecision() || a.type().isLowPrecision()) {
        throw new IllegalArgumentException(
          "cast between " + a.type() + " and " + type + " (Ex.cast expands low-precision casts)"
        );
      }
    }
  }

  /**
   * {@code a}'s bits reinterpreted as {@code type}, which has the same size in memory; neither is
   * {@code BOOL}. A float8 or float4 value's bits are its code, a sub-byte integer's its byte.
   */
  record BitCast(Scalar type, Expr a) implements Expr {
    public BitCast {
      if (type == Scalar.BOOL || a.type() == Scalar.BOOL || type.bytes() != a.type().bytes()) {
        throw new IllegalArgumentException("bitcast of " + a.type() + " to " + type);
      }
    }
  }

  /** Throws unless {@code index} is an {@code I64}. */
  static void requireIndex(Expr index) {
    if (index.type() != Scalar.I64) {
      throw new IllegalArgumentException("buffer index of type " + index.type());
    }
  }

  static IntConst i64(long v) {
    return new IntConst(Scalar.I64, v);
  }

  static Expr constant(Scalar type, double v) {
    return type.isFloat() ? new FloatConst(type, v) : new IntConst(type, (long) v);
  }
}
