package dev.kiln.ir.loop;

import dev.kiln.ir.LowPrecision;
import java.util.List;

/**
 * Builders for Loop IR expressions that fold what is obvious ({@code x + 0}, {@code x * 1},
 * integer constants), so lowered index arithmetic stays readable. Operands must agree in type, as
 * {@link Expr.Binary} requires.
 */
public final class Ex {

  private Ex() {}

  public static Expr.IntConst i64(long v) {
    return new Expr.IntConst(Scalar.I64, v);
  }

  /** {@code v} as a constant of type {@code t}: a float, an integer (truncated) or a boolean. */
  public static Expr c(Scalar t, double v) {
    if (t.isFloat()) {
      return new Expr.FloatConst(t, v);
    }
    return new Expr.IntConst(t, t == Scalar.BOOL ? (v != 0 ? 1 : 0) : (long) v);
  }

  /** The integer constant {@code v} of type {@code t}. */
  public static Expr ci(Scalar t, long v) {
    return t.isFloat() ? new Expr.FloatConst(t, v) : new Expr.IntConst(t, v);
  }

  public static Expr bool(boolean v) {
    return new Expr.IntConst(Scalar.BOOL, v ? 1 : 0);
  }

  /** The constant value of {@code e} when it is an integer constant, else null. */
  public static Long intValue(Expr e) {
    return e instanceof Expr.IntConst c ? c.value() : null;
  }

  private static Double floatValue(Expr e) {
    return e instanceof Expr.FloatConst c ? c.value() : null;
  }

  public static Expr un(UnaryOp op, Expr a) {
    return new Expr.Unary(op, a);
  }

  public static Expr bin(BinaryOp op, Expr a, Expr b) {
    Long x = intValue(a);
    Long y = intValue(b);
    if (a.type() == Scalar.I64 && x != null && y != null) {
      switch (op) {
        case ADD:
          return i64(x + y);
        case SUB:
          return i64(x - y);
        case MUL:
          return i64(x * y);
        case DIV:
          if (y > 0) {
            return i64(x / y);
          }
          break;
        case REM:
          if (y > 0) {
            return i64(x % y);
          }
          break;
        case MIN:
          return i64(Math.min(x, y));
        case MAX:
          return i64(Math.max(x, y));
        default:
          break;
      }
    }
    boolean isFloat = a.type().isFloat();
    Double fx = floatValue(a);
    Double fy = floatValue(b);
    switch (op) {
      case ADD:
        if (isAdditiveIdentity(y, fy, isFloat, true)) {
          return a;
        }
        if (isAdditiveIdentity(x, fx, isFloat, true)) {
          return b;
        }
        break;
      case SUB:
        if (isAdditiveIdentity(y, fy, isFloat, false)) {
          return a;
        }
        break;
      case MUL:
        if (isOne(y, fy)) {
          return a;
        }
        if (isOne(x, fx)) {
          return b;
        }
        if (!isFloat && (Long.valueOf(0).equals(x) || Long.valueOf(0).equals(y))) {
          return ci(a.type(), 0);
        }
        break;
      case DIV:
        if (isOne(y, fy)) {
          return a;
        }
        break;
      default:
        break;
    }
    return new Expr.Binary(op, a, b);
  }

  /** Integer 0; for floats -0.0 when adding ({@code -0 + 0 = +0}), +0.0 when subtracting. */
  private static boolean isAdditiveIdentity(Long i, Double f, boolean isFloat, boolean adding) {
    if (!isFloat) {
      return Long.valueOf(0).equals(i);
    }
    long zero = Double.doubleToRawLongBits(adding ? -0.0 : 0.0);
    return f != null && Double.doubleToRawLongBits(f) == zero;
  }

  private static boolean isOne(Long i, Double f) {
    return Long.valueOf(1).equals(i) || (f != null && f == 1.0);
  }

  public static Expr add(Expr a, Expr b) {
    return bin(BinaryOp.ADD, a, b);
  }

  public static Expr sub(Expr a, Expr b) {
    return bin(BinaryOp.SUB, a, b);
  }

  public static Expr mul(Expr a, Expr b) {
    return bin(BinaryOp.MUL, a, b);
  }

  public static Expr div(Expr a, Expr b) {
    return bin(BinaryOp.DIV, a, b);
  }

  public static Expr rem(Expr a, Expr b) {
    return bin(BinaryOp.REM, a, b);
  }

  public static Expr min(Expr a, Expr b) {
    return bin(BinaryOp.MIN, a, b);
  }

  public static Expr max(Expr a, Expr b) {
    return bin(BinaryOp.MAX, a, b);
  }

  public static Expr pow(Expr a, Expr b) {
    return bin(BinaryOp.POW, a, b);
  }

  public static Expr and(Expr a, Expr b) {
    return bin(BinaryOp.AND, a, b);
  }

  public static Expr or(Expr a, Expr b) {
    return bin(BinaryOp.OR, a, b);
  }

  public static Expr eq(Expr a, Expr b) {
    return bin(BinaryOp.EQ, a, b);
  }

  public static Expr ne(Expr a, Expr b) {
    return bin(BinaryOp.NE, a, b);
  }

  public static Expr lt(Expr a, Expr b) {
    return bin(BinaryOp.LT, a, b);
  }

  public static Expr le(Expr a, Expr b) {
    return bin(BinaryOp.LE, a, b);
  }

  public static Expr gt(Expr a, Expr b) {
    return bin(BinaryOp.GT, a, b);
  }

  public static Expr ge(Expr a, Expr b) {
    return bin(BinaryOp.GE, a, b);
  }

  public static Expr neg(Expr a) {
    return un(UnaryOp.NEG, a);
  }

  public static Expr not(Expr a) {
    return un(UnaryOp.NOT, a);
  }

  public static Expr exp(Expr a) {
    return un(UnaryOp.EXP, a);
  }

  public static Expr log(Expr a) {
    return un(UnaryOp.LOG, a);
  }

  public static Expr sqrt(Expr a) {
    return un(UnaryOp.SQRT, a);
  }

  public static Expr abs(Expr a) {
    return un(UnaryOp.ABS, a);
  }

  public static Expr tanh(Expr a) {
    return un(UnaryOp.TANH, a);
  }

  public static Expr floor(Expr a) {
    return un(UnaryOp.FLOOR, a);
  }

  public static Expr select(Expr cond, Expr a, Expr b) {
    Long k = intValue(cond);
    if (k != null) {
      return k != 0 ? a : b;
    }
    return new Expr.Select(cond, a, b);
  }

  /**
   * {@code a} converted to {@code t}; the identity when it already has that type. A conversion from
   * or to a low-precision type is expanded into integer and float operations ({@link
   * LowPrecisionCasts}); into a float8 type it saturates, into {@code f8e8m0} it rounds up, as
   * ONNX {@code Cast} does by default.
   */
  public static Expr cast(Scalar t, Expr a) {
    if (a.type() == t) {
      return a;
    }
    if (t.isLowPrecision() || a.type().isLowPrecision()) {
      return LowPrecisionCasts.cast(t, a, true, LowPrecision.RoundMode.UP);
    }
    Long k = intValue(a);
    if (k != null && t == Scalar.I64 && a.type().isSigned()) {
      return i64(k);
    }
    return new Expr.Cast(t, a);
  }

  /**
   * {@code a} converted to {@code t} with the given float8 overflow and {@code f8e8m0} rounding
   * rules (see {@link LowPrecision#encode(dev.kiln.ir.ElementType, double, boolean,
   * LowPrecision.RoundMode)}).
   */
  public static Expr cast(Scalar t, Expr a, boolean saturate, LowPrecision.RoundMode mode) {
    if (t.isLowPrecision() || a.type().isLowPrecision()) {
      return LowPrecisionCasts.cast(t, a, saturate, mode);
    }
    return cast(t, a);
  }

  /**
   * {@code a} (in the compute type) converted to storage type {@code t} for a store: as {@link
   * #cast}, except that a value decoded from a low-precision element of type {@code t} is stored
   * as that element's code, unchanged, as copying bytes would.
   */
  public static Expr narrow(Scalar t, Expr a) {
    if (t.isLowPrecision()) {
      Expr source = LowPrecisionCasts.decodedFrom(a, t);
      if (source != null) {
        return source;
      }
    }
    return cast(t, a);
  }

  /** {@code a}'s bits as {@code t}; the identity when it already has that type. */
  public static Expr bitcast(Scalar t, Expr a) {
    return a.type() == t ? a : new Expr.BitCast(t, a);
  }

  /** The constant 0 of {@code a}'s type. */
  public static Expr zero(Expr a) {
    return ci(a.type(), 0);
  }

  /** The constant 1 of {@code a}'s type. */
  public static Expr one(Expr a) {
    return ci(a.type(), 1);
  }

  /** {@code v} in {@code a}'s type. */
  public static Expr like(Expr a, double v) {
    return c(a.type(), v);
  }

  /** The row-major offset of {@code index} in a tensor of {@code dims}. */
  public static Expr linear(long[] dims, List<Expr> index) {
    if (index.size() != dims.length) {
      throw new IllegalArgumentException(index.size() + " indices for rank " + dims.length);
    }
    Expr offset = i64(0);
    long stride = 1;
    for (int d = dims.length - 1; d >= 0; d--) {
      if (dims[d] != 1) {
        offset = add(offset, mul(index.get(d), i64(stride)));
      }
      stride = Math.multiplyExact(stride, dims[d]);
    }
    return offset;
  }

  /** The multi-index of the row-major {@code offset} in a tensor of {@code dims}. */
  public static List<Expr> delinearize(long[] dims, Expr offset) {
    Expr[] index = new Expr[dims.length];
    long stride = 1;
    for (int d = dims.length - 1; d >= 0; d--) {
      Expr q = stride == 1 ? offset : div(offset, i64(stride));
      index[d] = d == 0 ? q : rem(q, i64(dims[d]));
      if (dims[d] == 1) {
        index[d] = i64(0);
      }
      stride = Math.multiplyExact(stride, dims[d]);
    }
    return List.of(index);
  }
}
