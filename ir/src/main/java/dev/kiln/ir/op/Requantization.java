package dev.kiln.ir.op;

import dev.kiln.ir.ElementType;
import dev.kiln.ir.Tensor;
import dev.kiln.ir.TensorType;
import java.util.ArrayList;
import java.util.List;

/**
 * Fixed-point requantization shared by the integer ops ({@link QuantizedOp}), bit for bit the
 * arithmetic of {@code kiln_requantize} in {@code runtime-c/kernels/gemm_s8.c}: a real factor
 * {@code r} is a {@code multiplier} in {@code [0, 2^31)} and a {@code shift} in {@code [-31, 31]}
 * with {@code r = multiplier / 2^(31 + shift)}, and an integer {@code v} becomes {@code
 * round_half_even(v * multiplier / 2^(31 + shift))}, computed exactly.
 */
public final class Requantization {

  /** The largest multiplier plus one: multipliers are Q31 fixed-point fractions. */
  public static final long ONE = 1L << 31;

  private Requantization() {}

  /** A real factor as {@code multiplier / 2^(31 + shift)}. */
  public record Factor(long multiplier, long shift) {}

  /**
   * The factor closest to {@code r} with a multiplier in {@code [2^30, 2^31)}, or null when {@code
   * r} is not positive and finite or needs a shift outside {@code [-31, 31]}. Exact when {@code r}
   * has at most 31 significant bits (every float32 factor).
   */
  public static Factor of(double r) {
    if (!(r > 0) || Double.isInfinite(r)) {
      return null;
    }
    int e = Math.getExponent(r) + 1;
    long m = Math.round(Math.scalb(r, 31 - e));
    if (m == ONE) {
      m = ONE / 2;
      e++;
    }
    long shift = -e;
    return shift < -31 || shift > 31 ? null : new Factor(m, shift);
  }

  /**
   * {@code round_half_even(prod / 2^s)} for {@code s} in {@code [0, 62]}; {@code prod} unchanged
   * when {@code s} is 0.
   */
  public static long roundShift(long prod, long s) {
    if (s <= 0) {
      return prod;
    }
    boolean negative = prod < 0;
    long mag = Math.abs(prod);
    long q = mag >>> s;
    long rem = mag & ((1L << s) - 1);
    long half = 1L << (s - 1);
    if (rem > half || (rem == half && (q & 1) != 0)) {
      q++;
    }
    return negative ? -q : q;
  }

  /** {@code round_half_even(x * multiplier / 2^(31 + shift))}: {@code kiln_requantize}. */
  public static long apply(long x, long multiplier, long shift) {
    return roundShift(x * multiplier, 31 + shift);
  }

  /** {@code v} saturated to the int32 range, as the kernels saturate {@code acc + bias}. */
  public static long saturateInt32(long v) {
    return Math.max(Integer.MIN_VALUE, Math.min(Integer.MAX_VALUE, v));
  }

  /** {@code v} clamped to {@code [qmin, qmax]}. */
  public static long clamp(long v, long qmin, long qmax) {
    return Math.max(qmin, Math.min(qmax, v));
  }

  /** The smallest value of the integer type {@code e}. */
  public static long min(ElementType e) {
    return Quantization.min(e);
  }

  /** The largest value of the integer type {@code e}. */
  public static long max(ElementType e) {
    return Quantization.max(e);
  }

  /**
   * Checks that operand {@code t} holds {@code i8} or {@code u8} elements and that {@code
   * zeroPoint} is one of its values; {@code what} names it ({@code "q.conv input"}).
   */
  static void checkOperand(TensorType t, long zeroPoint, String what) {
    ElementType e = t.elementType();
    OpError.check(
      e == ElementType.I8 || e == ElementType.U8,
      "%s must hold i8 or u8 elements, got %s",
      what,
      e
    );
    OpError.check(
      zeroPoint >= min(e) && zeroPoint <= max(e),
      "%s zero point %d is outside the range of %s",
      what,
      zeroPoint,
      e
    );
  }

  /** Checks one multiplier and shift against the ranges above. */
  static void checkFactor(long multiplier, long shift) {
    OpError.check(
      multiplier >= 0 && multiplier < ONE,
      "multiplier %d must be in [0, 2^31)",
      multiplier
    );
    OpError.check(shift >= -31 && shift <= 31, "shift %d must be in [-31, 31]", shift);
  }

  /**
   * Checks the requantized output: {@code outputType} is {@code i8} or {@code u8}, {@code
   * yZeroPoint} and {@code qmin <= qmax} lie in its range.
   */
  static void checkOutput(ElementType outputType, long yZeroPoint, long qmin, long qmax) {
    OpError.check(
      outputType == ElementType.I8 || outputType == ElementType.U8,
      "output type must be i8 or u8, got %s",
      outputType
    );
    long lo = min(outputType);
    long hi = max(outputType);
    OpError.check(
      yZeroPoint >= lo && yZeroPoint <= hi,
      "output zero point %d is outside the range of %s",
      yZeroPoint,
      outputType
    );
    OpError.check(
      lo <= qmin && qmin <= qmax && qmax <= hi,
      "output range [%d, %d] must lie within [%d, %d] of %s",
      qmin,
      qmax,
      lo,
      hi,
      outputType
    );
  }

  /**
   * Checks per-tensor or per-channel factors: {@code multipliers} and {@code shifts} both hold one
   * value or {@code channels} values ({@code channels < 0}: unknown).
   */
  static void checkFactors(List<Long> multipliers, List<Long> shifts, long channels) {
    OpError.check(
      multipliers.size() == shifts.size(),
      "multipliers (%d) and shifts (%d) must have the same length",
      multipliers.size(),
      shifts.size()
    );
    OpError.check(
      multipliers.size() == 1 || channels < 0 || multipliers.size() == channels,
      "multipliers must hold 1 or %d (output channels) values, got %d",
      channels,
      multipliers.size()
    );
    for (int i = 0; i < multipliers.size(); i++) {
      checkFactor(multipliers.get(i), shifts.get(i));
    }
  }

  /** {@code t - zeroPoint} as an {@code f64} tensor of the same shape (exact for integers). */
  static Tensor centered(Tensor t, long zeroPoint) {
    Tensor.Builder b = new Tensor.Builder(t.type().withElementType(ElementType.F64));
    for (long i = 0; i < b.size(); i++) {
      b.setDouble(i, t.getLong(i) - zeroPoint);
    }
    return b.build();
  }

  /**
   * The operands of an accumulating op as exact {@code f64} values: the first two minus their zero
   * points, an optional third (the {@code i32} bias) unchanged.
   */
  static List<Tensor> centered(List<Tensor> operands, long zeroPoint0, long zeroPoint1) {
    List<Tensor> out = new ArrayList<>();
    out.add(centered(operands.get(0), zeroPoint0));
    out.add(centered(operands.get(1), zeroPoint1));
    if (operands.size() > 2) {
      out.add(centered(operands.get(2), 0));
    }
    return out;
  }

  /**
   * Requantizes exact integer accumulators held in {@code acc} (any numeric type): element {@code
   * i} belongs to channel {@code (i / inner) % channels}, is saturated to int32, and for an {@code
   * i8}/{@code u8} {@code outputType} becomes {@code clamp(apply(acc, multiplier, shift) +
   * yZeroPoint, qmin, qmax)} with its channel's factor (the only one when the lists hold one
   * value); for {@code i32} it stays the saturated accumulator.
   */
  static Tensor requantizeChannels(
    Tensor acc,
    long channels,
    long inner,
    List<Long> multipliers,
    List<Long> shifts,
    long yZeroPoint,
    long qmin,
    long qmax,
    ElementType outputType
  ) {
    Tensor.Builder b = new Tensor.Builder(acc.type().withElementType(outputType));
    boolean perChannel = multipliers.size() > 1;
    for (long i = 0; i < b.size(); i++) {
      long v = saturateInt32((long) acc.getDouble(i));
      if (outputType == ElementType.I32) {
        b.setLong(i, v);
        continue;
      }
      int c = perChannel ? (int) ((i / inner) % channels) : 0;
      long q = apply(v, multipliers.get(c), shifts.get(c)) + yZeroPoint;
      b.setLong(i, clamp(q, qmin, qmax));
    }
    return b.build();
  }

  /**
   * Checks the output attributes of an op that accumulates ({@code q.conv}, {@code q.matmul}):
   * with an {@code i32} output no factors, zero point or range; otherwise those of {@link
   * #checkOutput} and {@link #checkFactors} for {@code channels} output channels.
   */
  static void checkAccumulatorOutput(
    String what,
    ElementType outputType,
    long yZeroPoint,
    List<Long> multipliers,
    List<Long> shifts,
    long qmin,
    long qmax,
    long channels
  ) {
    if (outputType == ElementType.I32) {
      OpError.check(
        multipliers.isEmpty() && shifts.isEmpty() && yZeroPoint == 0 && qmin == 0 && qmax == 0,
        "%s with an i32 output takes no multipliers, shifts, output zero point or range",
        what
      );
    } else {
      checkOutput(outputType, yZeroPoint, qmin, qmax);
      checkFactors(multipliers, shifts, channels);
    }
  }
}
