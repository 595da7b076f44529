package dev.kiln.backend.c;

import dev.kiln.ir.loop.BinaryOp;
import dev.kiln.ir.loop.Buffer;
import dev.kiln.ir.loop.Expr;
import dev.kiln.ir.loop.LoopWalk;
import dev.kiln.ir.loop.Scalar;
import dev.kiln.ir.loop.UnaryOp;
import java.util.Map;
import java.util.Set;

/**
 * Prints Loop IR expressions as C99 with the semantics {@link dev.kiln.ir.loop.LoopInterpreter}
 * gives them. Every binary operation is parenthesized. Integer {@code ADD}, {@code SUB}, {@code
 * MUL} and {@code NEG} on values computed from buffer contents are done in an unsigned type, so
 * they wrap as Loop IR says instead of overflowing; on index arithmetic (loop indices and
 * constants), which lowering keeps in range, they are plain operators. {@code AND} and {@code OR}
 * on {@code BOOL} are {@code &&} and {@code ||}: expressions have no side effects and every load
 * is in range, so not evaluating the second operand changes nothing. Operations without a C
 * operator of the same meaning call {@link CHelpers}.
 */
final class CExpressions {

  private final CHelpers helpers;
  private final Map<Buffer, String> buffers;
  private final Map<String, String> vars;
  private final Set<String> dataVars;

  /**
   * @param buffers the C name of every buffer
   * @param vars the C name of every variable, by Loop IR name
   * @param dataVars the Loop IR names of variables that may hold values read from buffers
   */
  CExpressions(
    CHelpers helpers,
    Map<Buffer, String> buffers,
    Map<String, String> vars,
    Set<String> dataVars
  ) {
    this.helpers = helpers;
    this.buffers = buffers;
    this.vars = vars;
    this.dataVars = dataVars;
  }

  /** {@code e} as a C expression needing no parentheses around it where it stands alone. */
  String top(Expr e) {
    String s = expr(e);
    return e instanceof Expr.Binary b && !s.startsWith("kiln_") && balanced(s)
      ? s.substring(1, s.length() - 1)
      : s;
  }

  private static boolean balanced(String s) {
    if (!s.startsWith("(") || !s.endsWith(")")) {
      return false;
    }
    int depth = 0;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '(') {
        depth++;
      } else if (c == ')') {
        depth--;
        if (depth == 0 && i < s.length() - 1) {
          return false;
        }
      }
    }
    return true;
  }

  /** The C name of {@code b}. */
  String buffer(Buffer b) {
    String name = buffers.get(b);
    if (name == null) {
      throw new IllegalStateException("buffer " + b + " has no C name");
    }
    return name;
  }

  /** The C name of {@code v}. */
  String var(Expr.Var v) {
    String name = vars.get(v.name());
    if (name == null) {
      throw new IllegalStateException("variable %" + v.name() + " has no C name");
    }
    return name;
  }

  /** {@code &buffer[index]}, written {@code buffer + index} (or {@code buffer} at 0). */
  String address(Buffer b, Expr index) {
    if (index instanceof Expr.IntConst c && c.value() == 0) {
      return buffer(b);
    }
    return buffer(b) + " + " + operand(index);
  }

  /** {@code e} as a C expression, parenthesized unless it is a primary expression. */
  String expr(Expr e) {
    return switch (e) {
      case Expr.IntConst c -> intConst(c.type(), c.value());
      case Expr.FloatConst c -> floatConst(c.type(), c.value());
      case Expr.Var v -> var(v);
      case Expr.Load l -> {
        String element = buffer(l.buffer()) + "[" + top(l.index()) + "]";
        yield l.buffer().elem() == Scalar.BOOL ? "(" + element + " != 0)" : element;
      }
      case Expr.Unary u -> unary(u.op(), u.a());
      case Expr.Binary b -> binary(b.op(), b.a(), b.b());
      case Expr.Select s -> "(" +
      expr(s.cond()) +
      " ? " +
      operand(s.a()) +
      " : " +
      operand(s.b()) +
      ")";
      case Expr.Cast c -> cast(c.type(), c.a());
      case Expr.BitCast c -> c.type() == c.a().type()
        ? expr(c.a())
        : helpers.bitCast(c.a().type(), c.type()) + "(" + top(c.a()) + ")";
    };
  }

  /** An operand that starts with a minus sign gets parentheses, so no {@code --} appears. */
  private String operand(Expr e) {
    String s = expr(e);
    return s.startsWith("-") ? "(" + s + ")" : s;
  }

  /** An integer constant of type {@code t} as a C literal or limit macro. */
  static String intConst(Scalar t, long v) {
    if (t == Scalar.BOOL) {
      return v != 0 ? "1" : "0";
    }
    if (t.isUnsigned()) {
      long masked = t.bits() == 64 ? v : v & ((1L << t.bits()) - 1);
      if (masked >= 0 && masked <= Integer.MAX_VALUE) {
        return Long.toString(masked);
      }
      return "UINT" + t.bits() + "_C(" + Long.toUnsignedString(masked) + ")";
    }
    if (t.bits() == 64 && v == Long.MIN_VALUE) {
      return "INT64_MIN";
    }
    if (v == Integer.MIN_VALUE) {
      return t.bits() == 64 ? "(INT64_C(-2147483647) - 1)" : "INT32_MIN";
    }
    if (v >= Integer.MIN_VALUE && v <= Integer.MAX_VALUE) {
      return Long.toString(v);
    }
    return "INT64_C(" + v + ")";
  }

  /** The bits of {@code f} rounded to bf16 to nearest even; a NaN stays a quiet NaN. */
  private static int bf16Bits(float f) {
    int x = Float.floatToRawIntBits(f);
    if (Float.isNaN(f)) {
      return ((x >>> 16) | 0x40) & 0xffff;
    }
    return ((x + 0x7fff + ((x >>> 16) & 1)) >>> 16) & 0xffff;
  }

  /**
   * A float constant rounded to {@code t}: shortest round-tripping decimal or a macro for {@code
   * F32} and {@code F64}, the bit pattern for the 16-bit floats (which C99 stores as {@code
   * uint16_t}).
   */
  static String floatConst(Scalar t, double v) {
    if (t == Scalar.F16) {
      return String.format("0x%04x", Float.floatToFloat16((float) v) & 0xffff);
    }
    if (t == Scalar.BF16) {
      return String.format("0x%04x", bf16Bits((float) v));
    }
    boolean single = t != Scalar.F64;
    if (Double.isNaN(v)) {
      return single ? "NAN" : "(double)NAN";
    }
    if (Double.isInfinite(v)) {
      String inf = single ? "INFINITY" : "(double)INFINITY";
      return v > 0 ? inf : "-" + inf;
    }
    if (single) {
      float f = (float) v;
      if (Float.isInfinite(f)) {
        return f > 0 ? "INFINITY" : "-INFINITY";
      }
      return Float.toString(f) + "f";
    }
    return Double.toString(v);
  }

  /** Whether integer arithmetic on {@code operands} of {@code t} is done in an unsigned type. */
  private boolean wraps(Scalar t, Expr... operands) {
    if (!t.isInteger() || (t.isUnsigned() && t.bits() >= 32)) {
      return false;
    }
    if (t.bits() < 32) {
      return true;
    }
    for (Expr e : operands) {
      if (LoopWalk.isData(e, dataVars)) {
        return true;
      }
    }
    return false;
  }

  private String unary(UnaryOp op, Expr a) {
    Scalar t = a.type();
    String x = operand(a);
    if (!t.isFloat()) {
      return switch (op) {
        case NEG -> wraps(t, a)
          ? "(" + CTypes.value(t) + ")(0u - (" + CTypes.wrapping(t) + ")" + x + ")"
          : "(-" + x + ")";
        case NOT -> t == Scalar.BOOL ? "(!" + x + ")" : "(" + CTypes.value(t) + ")~" + x;
        case ABS -> t.isUnsigned() ? x : helpers.intAbs(t) + "(" + top(a) + ")";
        default -> throw new IllegalStateException(op.text() + " of " + t);
      };
    }
    String arg = "(" + top(a) + ")";
    String f = t == Scalar.F32 ? "f" : "";
    return switch (op) {
      case NEG -> "(-" + x + ")";
      case ABS -> "fabs" + f + arg;
      case ROUND -> "nearbyint" + f + arg;
      case IS_NAN -> "isnan" + arg;
      case IS_INF -> "isinf" + arg;
      case IS_POS_INF -> "(" + x + " == INFINITY)";
      case IS_NEG_INF -> "(" + x + " == -INFINITY)";
      case NOT -> throw new IllegalStateException("not of " + t);
      default -> op.text() + f + arg;
    };
  }

  private String binary(BinaryOp op, Expr a, Expr b) {
    Scalar t = a.type();
    if (t.isFloat()) {
      String f = t == Scalar.F32 ? "f" : "";
      return switch (op) {
        case REM -> call("fmod" + f, a, b);
        case POW -> call("pow" + f, a, b);
        case ATAN2 -> call("atan2" + f, a, b);
        case MIN, MAX -> call(helpers.floatMinMax(op == BinaryOp.MAX, t), a, b);
        default -> infix(op, a, b, false);
      };
    }
    return switch (op) {
      case ADD, SUB, MUL -> infix(op, a, b, wraps(t, a, b));
      case DIV, REM -> b instanceof Expr.IntConst c && c.value() > 0
        ? infix(op, a, b, false)
        : call(helpers.divide(op == BinaryOp.REM, t), a, b);
      case MIN, MAX -> call(helpers.intMinMax(op == BinaryOp.MAX, t), a, b);
      case SHL, SHR -> call(helpers.shift(op == BinaryOp.SHL, t), a, b);
      case POW, ATAN2 -> throw new IllegalStateException(op.text() + " of " + t);
      default -> infix(op, a, b, false);
    };
  }

  private String call(String fn, Expr a, Expr b) {
    return fn + "(" + top(a) + ", " + top(b) + ")";
  }

  private String infix(BinaryOp op, Expr a, Expr b, boolean wrap) {
    Scalar t = a.type();
    String symbol = switch (op) {
      case ADD -> "+";
      case SUB -> "-";
      case MUL -> "*";
      case DIV -> "/";
      case REM -> "%";
      case AND -> t == Scalar.BOOL ? "&&" : "&";
      case OR -> t == Scalar.BOOL ? "||" : "|";
      case XOR -> "^";
      case EQ -> "==";
      case NE -> "!=";
      case LT -> "<";
      case LE -> "<=";
      case GT -> ">";
      case GE -> ">=";
      default -> throw new IllegalStateException(op.text() + " of " + t);
    };
    String x = operand(a);
    String y = operand(b);
    if (wrap) {
      String u = "(" + CTypes.wrapping(t) + ")";
      return "(" + CTypes.value(t) + ")(" + u + x + " " + symbol + " " + u + y + ")";
    }
    if (a instanceof Expr.IntConst && b instanceof Expr.IntConst && !op.isComparison()) {
      x = "(" + CTypes.value(t) + ")" + x;
    }
    String s = "(" + x + " " + symbol + " " + y + ")";
    boolean narrowResult = !op.isComparison() && t != Scalar.BOOL && t.bits() < 32;
    return narrowResult ? "(" + CTypes.value(t) + ")" + s : s;
  }

  private String cast(Scalar to, Expr a) {
    Scalar from = a.type();
    if (to == from) {
      return expr(a);
    }
    if (isHalf(from)) {
      return convert(to, Scalar.F32, helpers.widen(from) + "(" + top(a) + ")");
    }
    return convert(to, from, expr(a));
  }

  /** The value {@code x} of type {@code from} converted to {@code to} as {@link Expr.Cast} says. */
  private String convert(Scalar to, Scalar from, String x) {
    if (to == from) {
      return x;
    }
    if (to == Scalar.BOOL) {
      return "(" + x + " != " + (from.isFloat() ? floatConst(from, 0) : "0") + ")";
    }
    if (isHalf(to)) {
      return helpers.narrow(to) + "(" + strip(convert(Scalar.F32, from, x)) + ")";
    }
    if (from.isFloat() && !to.isFloat()) {
      return helpers.floatToInt(from, to) + "(" + strip(x) + ")";
    }
    return "(" + CTypes.value(to) + ")" + x;
  }

  private static String strip(String s) {
    return balanced(s) ? s.substring(1, s.length() - 1) : s;
  }

  private static boolean isHalf(Scalar s) {
    return s == Scalar.F16 || s == Scalar.BF16;
  }
}
