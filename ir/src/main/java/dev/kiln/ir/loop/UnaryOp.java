package dev.kiln.ir.loop;

/**
 * Unary scalar operations. The math functions apply to floats and follow C's {@code <math.h>}
 * semantics for the type ({@code ROUND} is round-half-to-even, {@code ERF} the error function);
 * {@code NOT} is logical on {@code BOOL} and bitwise on integers; {@code IS_NAN}, {@code IS_INF},
 * {@code IS_POS_INF}, {@code IS_NEG_INF} are predicates.
 */
public enum UnaryOp {
  NEG,
  NOT,
  ABS,
  SQRT,
  EXP,
  LOG,
  SIN,
  COS,
  TAN,
  ASIN,
  ACOS,
  ATAN,
  SINH,
  COSH,
  TANH,
  ASINH,
  ACOSH,
  ATANH,
  ERF,
  FLOOR,
  CEIL,
  ROUND,
  TRUNC,
  IS_NAN,
  IS_INF,
  IS_POS_INF,
  IS_NEG_INF;

  /** The text name, lower case. */
  public String text() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }

  /** True for the operations that give {@code BOOL}. */
  public boolean isPredicate() {
    return this == IS_NAN || this == IS_INF || this == IS_POS_INF || this == IS_NEG_INF;
  }

  /** True for the operations defined on integers too. */
  public boolean allowsIntegers() {
    return this == NEG || this == NOT || this == ABS;
  }

  void check(Scalar t) {
    boolean ok = switch (this) {
      case NOT -> !t.isFloat();
      case NEG, ABS -> t != Scalar.BOOL;
      default -> t.isFloat();
    };
    if (!ok || t == Scalar.F16 || t == Scalar.BF16) {
      throw new IllegalArgumentException(text() + " of " + t);
    }
  }
}
