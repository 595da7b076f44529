package dev.kiln.ir.loop;

import dev.kiln.ir.Shape;
import dev.kiln.ir.Tensor;
import dev.kiln.ir.TensorType;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs a {@link LoopFunc} in Java, with the semantics its documentation and the backends give it:
 * inputs, outputs, constants and one workspace are little-endian byte arrays, so buffers that the
 * memory plan overlaps really share bytes. Every load and store is bounds-checked (a violation is a
 * lowering bug: {@link IllegalStateException}). It is how lowering is tested without a native
 * toolchain; micro-kernel calls are not run here ({@link UnsupportedOperationException}).
 */
public final class LoopInterpreter {

  /**
   * Watches a run: told when each iteration of a top-level loop starts and of every buffer access,
   * in program order (the GPU interpreter's race check).
   */
  public interface Observer {
    /** Iteration {@code index} of the top-level loop {@code loop} starts. */
    void iteration(Stmt.For loop, long index);

    /** Element {@code index} of {@code buffer} is read, or written when {@code write}. */
    void access(Buffer buffer, long index, boolean write);
  }

  private final Map<Buffer, ByteBuffer> memory = new IdentityHashMap<>();
  private final Map<String, Long> longs = new HashMap<>();
  private final Map<String, Double> doubles = new HashMap<>();
  private final Observer observer;
  private int depth;

  private LoopInterpreter(Observer observer) {
    this.observer = observer;
  }

  /** Runs {@code f} on {@code inputs} (one per input buffer, in order) and returns its outputs. */
  public static List<Tensor> run(LoopFunc f, List<Tensor> inputs) {
    return run(f, inputs, null);
  }

  /** {@link #run(LoopFunc, List)} telling {@code observer} (may be null) what happens. */
  public static List<Tensor> run(LoopFunc f, List<Tensor> inputs, Observer observer) {
    if (inputs.size() != f.inputs().size()) {
      throw new IllegalArgumentException(
        f.inputs().size() + " inputs expected, got " + inputs.size()
      );
    }
    LoopInterpreter in = new LoopInterpreter(observer);
    ByteBuffer ws = order(ByteBuffer.allocate(Math.toIntExact(f.workspaceBytes())));
    for (int i = 0; i < inputs.size(); i++) {
      Buffer b = f.inputs().get(i);
      byte[] bytes = inputs.get(i).bytes();
      if (bytes.length != b.bytes()) {
        throw new IllegalArgumentException(
          "input " + i + " has " + bytes.length + " bytes, " + b.bytes() + " expected"
        );
      }
      in.memory.put(b, order(ByteBuffer.wrap(bytes)));
    }
    for (Buffer b : f.outputs()) {
      in.memory.put(b, order(ByteBuffer.allocate(Math.toIntExact(b.bytes()))));
    }
    for (Buffer b : f.constants()) {
      in.memory.put(b, order(ByteBuffer.wrap(b.data().bytes())));
    }
    for (Buffer b : f.workspace()) {
      in.memory.put(b, order(ws.slice(Math.toIntExact(b.offset()), Math.toIntExact(b.bytes()))));
    }
    in.body(f.body());
    List<Tensor> results = new ArrayList<>();
    for (Buffer b : f.outputs()) {
      TensorType t = new TensorType(b.elem().elementType(), Shape.of(b.dims()));
      results.add(Tensor.ofBytes(t, in.memory.get(b).array()));
    }
    return results;
  }

  private static ByteBuffer order(ByteBuffer b) {
    return b.order(ByteOrder.LITTLE_ENDIAN);
  }

  private void body(List<Stmt> stmts) {
    List<String> declared = new ArrayList<>();
    for (Stmt s : stmts) {
      stmt(s, declared);
    }
    for (String v : declared) {
      longs.remove(v);
      doubles.remove(v);
    }
  }

  private void stmt(Stmt s, List<String> declared) {
    switch (s) {
      case Stmt.For f -> {
        long lo = evalLong(f.lower());
        long hi = evalLong(f.upper());
        String name = f.index().name();
        boolean top = depth == 0 && observer != null;
        depth++;
        for (long i = lo; i < hi; i++) {
          longs.put(name, i);
          if (top) {
            observer.iteration(f, i);
          }
          body(f.body());
        }
        depth--;
        longs.remove(name);
      }
      case Stmt.While w -> {
        while (evalLong(w.cond()) != 0) {
          body(w.body());
        }
      }
      case Stmt.Store st -> store(st.buffer(), evalLong(st.index()), st.value());
      case Stmt.Let l -> {
        declared.add(l.var().name());
        set(l.var(), l.init());
      }
      case Stmt.Assign a -> set(a.var(), a.value());
      case Stmt.If i -> body(evalLong(i.cond()) != 0 ? i.then() : i.otherwise());
      case Stmt.Call c -> throw new UnsupportedOperationException(
        "the loop interpreter does not run micro-kernel " + c.kernel()
      );
    }
  }

  private void set(Expr.Var v, Expr value) {
    if (v.type().isFloat()) {
      doubles.put(v.name(), evalDouble(value));
    } else {
      longs.put(v.name(), evalLong(value));
    }
  }

  private static void checkIndex(Buffer b, long index) {
    if (index < 0 || index >= b.length()) {
      throw new IllegalStateException(
        "index " + index + " out of bounds of " + b + " (" + b.length() + " elements)"
      );
    }
  }

  private ByteBuffer bytes(Buffer b, long index) {
    checkIndex(b, index);
    if (observer != null) {
      observer.access(b, index, false);
    }
    return memory.get(b);
  }

  private void store(Buffer b, long index, Expr value) {
    checkIndex(b, index);
    ByteBuffer m = memory.get(b);
    int at = Math.toIntExact(index * b.elem().bytes());
    switch (b.elem()) {
      case F16 -> m.putShort(at, Float.floatToFloat16((float) evalDouble(value)));
      case BF16 -> m.putShort(at, toBf16((float) evalDouble(value)));
      case F32 -> m.putFloat(at, (float) evalDouble(value));
      case F64 -> m.putDouble(at, evalDouble(value));
      case
        BOOL,
        I8,
        U8,
        F8E4M3FN,
        F8E4M3FNUZ,
        F8E5M2,
        F8E5M2FNUZ,
        F8E8M0,
        F4E2M1,
        I4,
        U4,
        I2,
        U2 -> m.put(at, (byte) evalLong(value));
      case I16, U16 -> m.putShort(at, (short) evalLong(value));
      case I32, U32 -> m.putInt(at, (int) evalLong(value));
      case I64, U64 -> m.putLong(at, evalLong(value));
    }
    if (observer != null) {
      observer.access(b, index, true);
    }
  }

  private static short toBf16(float f) {
    int bits = Float.floatToRawIntBits(f);
    if (Float.isNaN(f)) {
      return (short) ((bits >>> 16) | 0x40);
    }
    int rounded = bits + 0x7fff + ((bits >>> 16) & 1);
    return (short) (rounded >>> 16);
  }

  private long load(Buffer b, long index) {
    ByteBuffer m = bytes(b, index);
    int at = Math.toIntExact(index * b.elem().bytes());
    return switch (b.elem()) {
      case BOOL, U8, F8E4M3FN, F8E4M3FNUZ, F8E5M2, F8E5M2FNUZ, F8E8M0, F4E2M1, U4, U2 -> m.get(at) &
      0xffL;
      case I8, I4, I2 -> m.get(at);
      case I16 -> m.getShort(at);
      case U16 -> m.getShort(at) & 0xffffL;
      case I32 -> m.getInt(at);
      case U32 -> m.getInt(at) & 0xffffffffL;
      case I64, U64 -> m.getLong(at);
      default -> throw new IllegalStateException("integer load of " + b.elem());
    };
  }

  private double loadFloat(Buffer b, long index) {
    ByteBuffer m = bytes(b, index);
    int at = Math.toIntExact(index * b.elem().bytes());
    return switch (b.elem()) {
      case F16 -> Float.float16ToFloat(m.getShort(at));
      case BF16 -> Float.intBitsToFloat((m.getShort(at) & 0xffff) << 16);
      case F32 -> m.getFloat(at);
      case F64 -> m.getDouble(at);
      default -> throw new IllegalStateException("float load of " + b.elem());
    };
  }

  /** Rounds a double result to the precision of {@code t} (a cast to f16 or bf16 rounds to it). */
  private static double round(Scalar t, double v) {
    return switch (t) {
      case F64 -> v;
      case F16 -> Float.float16ToFloat(Float.floatToFloat16((float) v));
      case BF16 -> Float.intBitsToFloat((toBf16((float) v) & 0xffff) << 16);
      default -> (double) (float) v;
    };
  }

  /** Wraps a 64-bit result to the width of {@code t}, sign- or zero-extended back. */
  private static long wrap(Scalar t, long v) {
    return switch (t) {
      case BOOL -> v != 0 ? 1 : 0;
      case I8, I4, I2 -> (byte) v;
      case U8, F8E4M3FN, F8E4M3FNUZ, F8E5M2, F8E5M2FNUZ, F8E8M0, F4E2M1, U4, U2 -> v & 0xff;
      case I16 -> (short) v;
      case U16 -> v & 0xffff;
      case I32 -> (int) v;
      case U32 -> v & 0xffffffffL;
      default -> v;
    };
  }

  private double evalDouble(Expr e) {
    Scalar t = e.type();
    return switch (e) {
      case Expr.FloatConst c -> round(t, c.value());
      case Expr.Var v -> doubles.get(v.name());
      case Expr.Load l -> loadFloat(l.buffer(), evalLong(l.index()));
      case Expr.Unary u -> round(t, unary(u.op(), evalDouble(u.a())));
      case Expr.Binary b -> round(t, binary(b.op(), evalDouble(b.a()), evalDouble(b.b())));
      case Expr.Select s -> evalLong(s.cond()) != 0 ? evalDouble(s.a()) : evalDouble(s.b());
      case Expr.Cast c -> {
        Scalar from = c.a().type();
        double v;
        if (from.isFloat()) {
          v = evalDouble(c.a());
        } else if (from == Scalar.U64) {
          long x = evalLong(c.a());
          v = x >= 0 ? (double) x : ((double) (x >>> 1)) * 2.0 + (x & 1);
        } else {
          v = evalLong(c.a());
        }
        yield round(t, v);
      }
      case Expr.BitCast c -> {
        long bits = c.a().type().isFloat() ? floatBits(c.a()) : evalLong(c.a());
        yield switch (t) {
          case F16 -> Float.float16ToFloat((short) bits);
          case BF16 -> Float.intBitsToFloat((int) (bits & 0xffff) << 16);
          case F32 -> Float.intBitsToFloat((int) bits);
          default -> Double.longBitsToDouble(bits);
        };
      }
      default -> throw new IllegalStateException("not a float: " + LoopPrinter.print(e));
    };
  }

  private long evalLong(Expr e) {
    Scalar t = e.type();
    return switch (e) {
      case Expr.IntConst c -> wrap(t, c.value());
      case Expr.Var v -> {
        Long x = longs.get(v.name());
        if (x == null) {
          throw new IllegalStateException("unbound %" + v.name());
        }
        yield x;
      }
      case Expr.Load l -> load(l.buffer(), evalLong(l.index()));
      case Expr.Unary u -> u.op().isPredicate()
        ? predicate(u.op(), evalDouble(u.a()))
        : wrap(t, intUnary(u.op(), t, evalLong(u.a())));
      case Expr.Binary b -> {
        Scalar ot = b.a().type();
        if (ot.isFloat()) {
          yield compare(b.op(), evalDouble(b.a()), evalDouble(b.b()));
        }
        yield wrap(t, intBinary(b.op(), ot, evalLong(b.a()), evalLong(b.b())));
      }
      case Expr.Select s -> evalLong(s.cond()) != 0 ? evalLong(s.a()) : evalLong(s.b());
      case Expr.Cast c -> {
        Scalar from = c.a().type();
        if (from.isFloat()) {
          double v = evalDouble(c.a());
          yield t == Scalar.BOOL ? (v != 0 ? 1 : 0) : saturate(t, v);
        }
        yield wrap(t, evalLong(c.a()));
      }
      case Expr.BitCast c -> wrap(t, c.a().type().isFloat() ? floatBits(c.a()) : evalLong(c.a()));
      default -> throw new IllegalStateException("not an integer: " + LoopPrinter.print(e));
    };
  }

  /** The bits of float expression {@code e} in its type's width, zero-extended. */
  private long floatBits(Expr e) {
    double v = evalDouble(e);
    return switch (e.type()) {
      case F16 -> Float.floatToFloat16((float) v) & 0xffffL;
      case BF16 -> toBf16((float) v) & 0xffffL;
      case F32 -> Float.floatToRawIntBits((float) v) & 0xffffffffL;
      default -> Double.doubleToRawLongBits(v);
    };
  }

  private static long saturate(Scalar t, double v) {
    if (Double.isNaN(v)) {
      return 0;
    }
    double x = v < 0 ? Math.ceil(v) : Math.floor(v);
    return switch (t) {
      case I8 -> (long) Math.max(-128, Math.min(127, x));
      case U8 -> (long) Math.max(0, Math.min(255, x));
      case I16 -> (long) Math.max(-32768, Math.min(32767, x));
      case U16 -> (long) Math.max(0, Math.min(65535, x));
      case I32 -> (long) Math.max(Integer.MIN_VALUE, Math.min(Integer.MAX_VALUE, x));
      case U32 -> (long) Math.max(0, Math.min(4294967295.0, x));
      case I64 -> (long) x;
      case U64 -> x <= 0
        ? 0
        : x >= 18446744073709551615.0
          ? -1L
          : x >= 9223372036854775808.0
            ? (long) (x - 9223372036854775808.0) ^ Long.MIN_VALUE
            : (long) x;
      default -> throw new IllegalStateException("cast to " + t);
    };
  }

  private static long predicate(UnaryOp op, double v) {
    boolean r = switch (op) {
      case IS_NAN -> Double.isNaN(v);
      case IS_INF -> Double.isInfinite(v);
      case IS_POS_INF -> v == Double.POSITIVE_INFINITY;
      case IS_NEG_INF -> v == Double.NEGATIVE_INFINITY;
      default -> throw new IllegalStateException(op.text());
    };
    return r ? 1 : 0;
  }

  private static long intUnary(UnaryOp op, Scalar t, long v) {
    return switch (op) {
      case NEG -> -v;
      case NOT -> t == Scalar.BOOL ? (v == 0 ? 1 : 0) : ~v;
      case ABS -> t.isUnsigned() ? v : Math.abs(v);
      default -> throw new IllegalStateException(op.text() + " of " + t);
    };
  }

  private static double unary(UnaryOp op, double v) {
    return switch (op) {
      case NEG -> -v;
      case ABS -> Math.abs(v);
      case SQRT -> Math.sqrt(v);
      case EXP -> Math.exp(v);
      case LOG -> Math.log(v);
      case SIN -> Math.sin(v);
      case COS -> Math.cos(v);
      case TAN -> Math.tan(v);
      case ASIN -> Math.asin(v);
      case ACOS -> Math.acos(v);
      case ATAN -> Math.atan(v);
      case SINH -> Math.sinh(v);
      case COSH -> Math.cosh(v);
      case TANH -> Math.tanh(v);
      case ASINH -> Double.isInfinite(v) ? v : Math.log(v + Math.sqrt(v * v + 1));
      case ACOSH -> Math.log(v + Math.sqrt(v * v - 1));
      case ATANH -> 0.5 * Math.log((1 + v) / (1 - v));
      case ERF -> dev.kiln.ir.op.Special.erf(v);
      case FLOOR -> Math.floor(v);
      case CEIL -> Math.ceil(v);
      case ROUND -> Math.rint(v);
      case TRUNC -> v < 0 ? Math.ceil(v) : Math.floor(v);
      default -> throw new IllegalStateException(op.text() + " of a float");
    };
  }

  private static double binary(BinaryOp op, double a, double b) {
    return switch (op) {
      case ADD -> a + b;
      case SUB -> a - b;
      case MUL -> a * b;
      case DIV -> a / b;
      case REM -> a % b;
      case MIN -> Double.isNaN(a) || Double.isNaN(b) ? Double.NaN : Math.min(a, b);
      case MAX -> Double.isNaN(a) || Double.isNaN(b) ? Double.NaN : Math.max(a, b);
      case POW -> Math.pow(a, b);
      case ATAN2 -> Math.atan2(a, b);
      default -> throw new IllegalStateException(op.text() + " of floats");
    };
  }

  private static long compare(BinaryOp op, double a, double b) {
    boolean r = switch (op) {
      case EQ -> a == b;
      case NE -> !(a == b);
      case LT -> a < b;
      case LE -> a <= b;
      case GT -> a > b;
      case GE -> a >= b;
      default -> throw new IllegalStateException(op.text() + " of floats gives a float");
    };
    return r ? 1 : 0;
  }

  private static long intBinary(BinaryOp op, Scalar t, long a, long b) {
    boolean u = t.isUnsigned() || t == Scalar.BOOL;
    int bits = t.bits();
    return switch (op) {
      case ADD -> a + b;
      case SUB -> a - b;
      case MUL -> a * b;
      case DIV -> b == 0 ? 0 : u ? Long.divideUnsigned(a, b) : divSigned(t, a, b);
      case REM -> b == 0 ? 0 : u ? Long.remainderUnsigned(a, b) : (b == -1 ? 0 : a % b);
      case MIN -> (u ? Long.compareUnsigned(a, b) : Long.compare(a, b)) <= 0 ? a : b;
      case MAX -> (u ? Long.compareUnsigned(a, b) : Long.compare(a, b)) >= 0 ? a : b;
      case AND -> a & b;
      case OR -> a | b;
      case XOR -> a ^ b;
      case SHL -> Long.compareUnsigned(b, bits) >= 0 ? 0 : a << b;
      case SHR -> u
        ? (Long.compareUnsigned(b, bits) >= 0 ? 0 : a >>> b)
        : (Long.compareUnsigned(b, bits) >= 0 ? (a < 0 ? -1 : 0) : a >> b);
      case EQ -> a == b ? 1 : 0;
      case NE -> a != b ? 1 : 0;
      case LT -> (u ? Long.compareUnsigned(a, b) : Long.compare(a, b)) < 0 ? 1 : 0;
      case LE -> (u ? Long.compareUnsigned(a, b) : Long.compare(a, b)) <= 0 ? 1 : 0;
      case GT -> (u ? Long.compareUnsigned(a, b) : Long.compare(a, b)) > 0 ? 1 : 0;
      case GE -> (u ? Long.compareUnsigned(a, b) : Long.compare(a, b)) >= 0 ? 1 : 0;
      default -> throw new IllegalStateException(op.text() + " of integers");
    };
  }

  private static long divSigned(Scalar t, long a, long b) {
    long min = t == Scalar.I64 ? Long.MIN_VALUE : -(1L << (t.bits() - 1));
    return b == -1 && a == min ? a : a / b;
  }
}
