package dev.kiln.ir;

/**
 * Exact conversions between doubles and the codes of the low-precision element types.
 *
 * <p>Float8 formats (1 sign bit except {@code f8e8m0}):
 *
 * <ul>
 *   <li>{@code f8e4m3fn}: 4 exponent bits, bias 7, 3 mantissa bits; no infinities; NaN is {@code
 *       S.1111.111}; largest finite 448.
 *   <li>{@code f8e4m3fnuz}: bias 8; no infinities and no negative zero; the only NaN is {@code
 *       0x80}; largest finite 240.
 *   <li>{@code f8e5m2}: 5 exponent bits, bias 15, 2 mantissa bits; IEEE-like infinities ({@code
 *       S.11111.00}) and NaNs; largest finite 57344.
 *   <li>{@code f8e5m2fnuz}: bias 16; no infinities and no negative zero; the only NaN is {@code
 *       0x80}; largest finite 57344.
 *   <li>{@code f8e8m0}: unsigned, exponent only, bias 127: code {@code c} is {@code 2^(c-127)};
 *       {@code 0xFF} is NaN; there is no zero.
 *   <li>{@code f4e2m1}: 2 exponent bits, bias 1, 1 mantissa bit; values 0, 0.5, 1, 1.5, 2, 3, 4, 6
 *       with a sign; no infinities or NaN.
 * </ul>
 *
 * <p>Encoding rounds the exact value to the nearest representable one, ties to even mantissa
 * ({@code f8e8m0} follows its {@link RoundMode}). Out of range (after rounding) and infinities
 * saturate to the largest finite magnitude with the input's sign when {@code saturate} holds;
 * otherwise they become infinity ({@code f8e5m2}) or NaN (the other float8 types). {@code f4e2m1}
 * always saturates and encodes NaN as {@code 0x8}. A NaN input gives the type's NaN. In the
 * {@code fnuz} types a result that rounds to zero is {@code +0}.
 *
 * <p>The integer sub-byte types wrap like the wider ones: {@code i4} keeps the low 4 bits as two's
 * complement ({@code -9 -> 7}), {@code u4} the low 4 bits, {@code i2} and {@code u2} the low 2.
 */
public final class LowPrecision {

  /** How a value between two powers of two becomes an {@code f8e8m0} code (ONNX {@code round_mode}). */
  public enum RoundMode {
    /** The larger power of two unless the value is one exactly. */
    UP,
    /** The smaller power of two. */
    DOWN,
    /** The nearer power of two in value; the midpoint {@code 1.5 * 2^e} rounds up. */
    NEAREST,
  }

  private LowPrecision() {}

  /**
   * The layout of a float8 or float4 format: mantissa bits, exponent bias, the code of the largest
   * finite magnitude, whether zero has no sign ({@code fnuz}), whether there are infinities.
   */
  public record Format(
    int mantissaBits,
    int bias,
    int maxCode,
    boolean unsignedZero,
    boolean hasInfinity
  ) {
    /** The exponent of the smallest normal value, {@code 1 - bias}. */
    public int minNormalExponent() {
      return 1 - bias;
    }
  }

  private static final Format E4M3FN = new Format(3, 7, 0x7E, false, false);
  private static final Format E4M3FNUZ = new Format(3, 8, 0x7F, true, false);
  private static final Format E5M2 = new Format(2, 15, 0x7B, false, true);
  private static final Format E5M2FNUZ = new Format(2, 16, 0x7F, true, false);
  private static final Format E2M1 = new Format(1, 1, 0x7, false, false);

  /** The format of float8 or float4 type {@code e} ({@code f8e8m0} has none). */
  public static Format format(ElementType e) {
    return switch (e) {
      case F8E4M3FN -> E4M3FN;
      case F8E4M3FNUZ -> E4M3FNUZ;
      case F8E5M2 -> E5M2;
      case F8E5M2FNUZ -> E5M2FNUZ;
      case F4E2M1 -> E2M1;
      default -> throw new IllegalArgumentException(e + " is not a low-precision float type");
    };
  }

  /** The sign bit of a float8 or float4 code: {@code 0x80}, or {@code 0x8} for {@code f4e2m1}. */
  public static int signBit(ElementType e) {
    return e == ElementType.F4E2M1 ? 0x8 : 0x80;
  }

  /** The value of code {@code code} (its low 8 or 4 bits) of float8 or float4 type {@code e}. */
  public static double decode(ElementType e, int code) {
    if (e == ElementType.F8E8M0) {
      int c = code & 0xff;
      return c == 0xff ? Double.NaN : Math.scalb(1.0, c - 127);
    }
    Format f = format(e);
    int sign = signBit(e);
    int c = code & (sign * 2 - 1);
    switch (e) {
      case F8E4M3FN -> {
        if ((c & 0x7f) == 0x7f) {
          return Double.NaN;
        }
      }
      case F8E4M3FNUZ, F8E5M2FNUZ -> {
        if (c == 0x80) {
          return Double.NaN;
        }
      }
      case F8E5M2 -> {
        if ((c & 0x7c) == 0x7c) {
          return (c & 0x3) != 0
            ? Double.NaN
            : (c & 0x80) != 0 ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY;
        }
      }
      default -> {}
    }
    int m = f.mantissaBits;
    int mag = c & (sign - 1);
    int exp = mag >> m;
    int mant = mag & ((1 << m) - 1);
    double v = exp == 0
      ? Math.scalb((double) mant, f.minNormalExponent() - m)
      : Math.scalb((double) ((1 << m) | mant), exp - f.bias - m);
    return (c & sign) != 0 ? -v : v;
  }

  /** The ONNX-default encoding: saturating, {@code f8e8m0} rounding {@link RoundMode#UP}. */
  public static int encode(ElementType e, double v) {
    return encode(e, v, true, RoundMode.UP);
  }

  /** The code of {@code v} in float8 or float4 type {@code e}; see the class comment. */
  public static int encode(ElementType e, double v, boolean saturate, RoundMode mode) {
    if (e == ElementType.F8E8M0) {
      return encodeE8M0(v, saturate, mode);
    }
    Format f = format(e);
    int sign = signBit(e);
    if (e == ElementType.F4E2M1) {
      saturate = true;
    }
    if (Double.isNaN(v)) {
      return nanCode(e);
    }
    int s = (Double.doubleToRawLongBits(v) < 0) ? sign : 0;
    double a = Math.abs(v);
    double max = decode(e, f.maxCode);
    double rounded;
    if (Double.isInfinite(a)) {
      rounded = a;
    } else {
      int exp = Math.max(Math.getExponent(a), f.minNormalExponent());
      double ulp = Math.scalb(1.0, exp - f.mantissaBits);
      rounded = Math.rint(a / ulp) * ulp;
    }
    if (rounded > max) {
      if (saturate) {
        return s | f.maxCode;
      }
      return f.hasInfinity ? s | 0x7c : e == ElementType.F8E4M3FN ? s | 0x7f : 0x80;
    }
    if (rounded == 0) {
      return f.unsignedZero ? 0 : s;
    }
    int m = f.mantissaBits;
    int code;
    if (rounded < Math.scalb(1.0, f.minNormalExponent())) {
      code = (int) (rounded / Math.scalb(1.0, f.minNormalExponent() - m));
    } else {
      int exp = Math.getExponent(rounded);
      int mant = (int) (rounded / Math.scalb(1.0, exp - m)) - (1 << m);
      code = ((exp + f.bias) << m) | mant;
    }
    return s | code;
  }

  /** The code a NaN encodes to in float8 or float4 type {@code e} other than {@code f8e8m0}. */
  public static int nanCode(ElementType e) {
    return switch (e) {
      case F8E4M3FN -> 0x7f;
      case F8E5M2 -> 0x7e;
      case F4E2M1 -> 0x8;
      default -> 0x80;
    };
  }

  private static int encodeE8M0(double v, boolean saturate, RoundMode mode) {
    if (Double.isNaN(v)) {
      return 0xff;
    }
    double a = Math.abs(v);
    if (Double.isInfinite(a)) {
      return saturate ? 0xfe : 0xff;
    }
    if (a < Double.MIN_NORMAL) {
      return 0;
    }
    int exp = Math.getExponent(a);
    double frac = a / Math.scalb(1.0, exp);
    boolean bump = switch (mode) {
      case UP -> frac > 1.0;
      case DOWN -> false;
      case NEAREST -> frac >= 1.5;
    };
    int code = exp + (bump ? 1 : 0) + 127;
    if (code < 0) {
      return 0;
    }
    if (code > 0xfe) {
      return saturate ? 0xfe : 0xff;
    }
    return code;
  }

  /** {@code v} wrapped into the range of integer sub-byte type {@code e}. */
  public static long wrap(ElementType e, long v) {
    return switch (e) {
      case I4 -> (v << 60) >> 60;
      case U4 -> v & 0xf;
      case I2 -> (v << 62) >> 62;
      case U2 -> v & 0x3;
      default -> throw new IllegalArgumentException(e + " is not a sub-byte integer type");
    };
  }

  /** True when byte {@code b} is a valid stored element of sub-byte type {@code e}. */
  public static boolean isCanonical(ElementType e, byte b) {
    return switch (e) {
      case I4, U4, I2, U2 -> wrap(e, b) == b;
      case F4E2M1 -> (b & ~0xf) == 0;
      default -> true;
    };
  }
}
