package dev.kiln.ir.loop;

import dev.kiln.ir.LowPrecision;

/**
 * Conversions between the low-precision storage types and the other scalar types, written as Loop
 * IR integer and float operations so that every backend computes them, bit for bit, as {@link
 * LowPrecision} does.
 *
 * <p>Decoding a float8 or float4 code builds the {@code f32} with the same value from its fields
 * (subnormals as {@code mantissa * 2^(emin - m)}, exact), NaN and infinity codes selected apart.
 * Encoding a float {@code x} (an integer goes through {@code f64}, which holds it exactly): with
 * {@code a = min(|x|, 2^20)} (beyond every finite magnitude) and {@code e = max(exponent(a), emin)},
 * {@code q = roundeven(a * 2^(m - e))} is the rounded significand in units of the last place,
 * and the code of the magnitude is {@code q + ((e - emin) << m)}: a {@code q} of {@code 2^(m+1)}
 * carries into the exponent field, one of {@code 2^m} at {@code e = emin} is the smallest normal.
 * A code above the largest finite one overflows (saturating, or to infinity or NaN); NaN, zero
 * and the sign follow the format. {@code f8e8m0} takes the exponent and rounds by the mantissa
 * bits per {@link LowPrecision.RoundMode}; an {@code f32} subnormal is first scaled by
 * {@code 2^64} to find its exponent. Sub-byte integers convert through {@code i64} and wrap by
 * shifting (signed) or masking (unsigned).
 */
final class LowPrecisionCasts {

  private LowPrecisionCasts() {}

  static Expr cast(Scalar to, Expr a, boolean saturate, LowPrecision.RoundMode mode) {
    if (a.type() == to) {
      return a;
    }
    if (a.type().isLowPrecision()) {
      return Ex.cast(to, decode(a), saturate, mode);
    }
    return switch (to) {
      case I4, I2, U4, U2 -> wrap(to, Ex.cast(Scalar.I64, a));
      case F8E8M0 -> Ex.bitcast(to, Ex.cast(Scalar.U8, e8m0(toFloat(a), saturate, mode)));
      default -> Ex.bitcast(to, Ex.cast(Scalar.U8, float8(to, toFloat(a), saturate)));
    };
  }

  /**
   * The value of type {@code to} whose decoding {@code a} is, or null: storing a loaded element
   * back keeps its code (a NaN's sign and payload included), as copying bytes would.
   */
  static Expr decodedFrom(Expr a, Scalar to) {
    Expr source = findSource(a, to);
    return source != null && decode(source).equals(a) ? source : null;
  }

  private static Expr findSource(Expr e, Scalar to) {
    return switch (e) {
      case Expr.BitCast c when c.a().type() == to -> c.a();
      case Expr.BitCast c -> findSource(c.a(), to);
      case Expr.Cast c -> findSource(c.a(), to);
      case Expr.Unary u -> findSource(u.a(), to);
      case Expr.Binary b -> {
        Expr l = findSource(b.a(), to);
        yield l != null ? l : findSource(b.b(), to);
      }
      case Expr.Select s -> {
        Expr c = findSource(s.cond(), to);
        yield c != null ? c : findSource(s.a(), to);
      }
      default -> null;
    };
  }

  /** {@code a} as {@code F32} or {@code F64}: integers through {@code F64}, exactly. */
  private static Expr toFloat(Expr a) {
    Scalar t = a.type();
    if (t == Scalar.F32 || t == Scalar.F64) {
      return a;
    }
    return Ex.cast(t.isFloat() ? Scalar.F32 : Scalar.F64, a);
  }

  private static Expr wrap(Scalar to, Expr v) {
    int shift = 64 - to.bits();
    boolean signed = to == Scalar.I4 || to == Scalar.I2;
    Expr w = signed
      ? Ex.bin(BinaryOp.SHR, Ex.bin(BinaryOp.SHL, v, Ex.i64(shift)), Ex.i64(shift))
      : Ex.and(v, Ex.i64((1L << to.bits()) - 1));
    return Ex.bitcast(to, Ex.cast(signed ? Scalar.I8 : Scalar.U8, w));
  }

  /** The compute-type value of a low-precision {@code a}. */
  private static Expr decode(Expr a) {
    Scalar t = a.type();
    switch (t) {
      case I4, I2 -> {
        return Ex.cast(Scalar.I32, Ex.bitcast(Scalar.I8, a));
      }
      case U4, U2 -> {
        return Ex.cast(Scalar.U32, Ex.bitcast(Scalar.U8, a));
      }
      default -> {}
    }
    Expr c = Ex.cast(Scalar.I32, Ex.bitcast(Scalar.U8, a));
    Expr nan = Ex.c(Scalar.F32, Double.NaN);
    if (t == Scalar.F8E8M0) {
      Expr bits = Ex.select(Ex.eq(c, i32(0)), i32(0x00400000), Ex.bin(BinaryOp.SHL, c, i32(23)));
      return Ex.select(Ex.eq(c, i32(0xff)), nan, Ex.bitcast(Scalar.F32, bits));
    }
    LowPrecision.Format f = LowPrecision.format(t.elementType());
    int m = f.mantissaBits();
    int signBit = LowPrecision.signBit(t.elementType());
    Expr mag = Ex.and(c, i32(signBit - 1));
    Expr exp = Ex.bin(BinaryOp.SHR, mag, i32(m));
    Expr mant = Ex.and(mag, i32((1 << m) - 1));
    Expr normal = Ex.bitcast(
      Scalar.F32,
      Ex.or(
        Ex.bin(BinaryOp.SHL, Ex.add(exp, i32(127 - f.bias())), i32(23)),
        Ex.bin(BinaryOp.SHL, mant, i32(23 - m))
      )
    );
    Expr subnormal = Ex.mul(
      Ex.cast(Scalar.F32, mant),
      Ex.c(Scalar.F32, Math.scalb(1.0, f.minNormalExponent() - m))
    );
    Expr v = Ex.select(Ex.eq(exp, i32(0)), subnormal, normal);
    v = Ex.select(Ex.ne(Ex.and(c, i32(signBit)), i32(0)), Ex.neg(v), v);
    return switch (t) {
      case F8E4M3FN -> Ex.select(Ex.eq(Ex.and(c, i32(0x7f)), i32(0x7f)), nan, v);
      case F8E4M3FNUZ, F8E5M2FNUZ -> Ex.select(Ex.eq(c, i32(0x80)), nan, v);
      case F8E5M2 -> Ex.select(
        Ex.eq(Ex.and(c, i32(0x7c)), i32(0x7c)),
        Ex.select(
          Ex.ne(Ex.and(c, i32(3)), i32(0)),
          nan,
          Ex.select(
            Ex.ne(Ex.and(c, i32(0x80)), i32(0)),
            Ex.c(Scalar.F32, Double.NEGATIVE_INFINITY),
            Ex.c(Scalar.F32, Double.POSITIVE_INFINITY)
          )
        ),
        v
      );
      default -> v;
    };
  }

  /** The bits of float {@code x} as a signed integer, with the format's field widths. */
  private record Bits(Scalar it, int mantissa, int bias) {
    static Bits of(Expr x) {
      return x.type() == Scalar.F64
        ? new Bits(Scalar.I64, 52, 1023)
        : new Bits(Scalar.I32, 23, 127);
    }

    Expr c(long v) {
      return Ex.ci(it, v);
    }

    /** The biased-exponent field of non-negative {@code a} minus the bias. */
    Expr exponent(Expr a) {
      return Ex.sub(Ex.bin(BinaryOp.SHR, Ex.bitcast(it, a), c(mantissa)), c(bias));
    }
  }

  /** The code (in {@code x}'s integer type) of float {@code x} in float8 or float4 type {@code to}. */
  private static Expr float8(Scalar to, Expr x, boolean saturate) {
    LowPrecision.Format f = LowPrecision.format(to.elementType());
    saturate |= to == Scalar.F4E2M1;
    Bits k = Bits.of(x);
    int m = f.mantissaBits();
    int emin = f.minNormalExponent();
    Expr a = Ex.min(Ex.abs(x), Ex.c(x.type(), 0x1p20));
    Expr e = Ex.max(k.exponent(a), k.c(emin));
    Expr scale = Ex.bitcast(
      x.type(),
      Ex.bin(BinaryOp.SHL, Ex.add(Ex.sub(k.c(m), e), k.c(k.bias())), k.c(k.mantissa()))
    );
    Expr q = Ex.cast(k.it(), Ex.un(UnaryOp.ROUND, Ex.mul(a, scale)));
    Expr code = Ex.add(q, Ex.bin(BinaryOp.SHL, Ex.sub(e, k.c(emin)), k.c(m)));
    int signBit = LowPrecision.signBit(to.elementType());
    Expr s = Ex.select(Ex.lt(Ex.bitcast(k.it(), x), k.c(0)), k.c(signBit), k.c(0));
    Expr overflow = saturate
      ? Ex.or(s, k.c(f.maxCode()))
      : f.hasInfinity()
        ? Ex.or(s, k.c(0x7c))
        : to == Scalar.F8E4M3FN ? Ex.or(s, k.c(0x7f)) : k.c(0x80);
    Expr zero = f.unsignedZero() ? k.c(0) : s;
    return Ex.select(
      Ex.un(UnaryOp.IS_NAN, x),
      k.c(LowPrecision.nanCode(to.elementType())),
      Ex.select(
        Ex.gt(code, k.c(f.maxCode())),
        overflow,
        Ex.select(Ex.eq(code, k.c(0)), zero, Ex.or(s, code))
      )
    );
  }

  /** The {@code f8e8m0} code (in {@code x}'s integer type) of float {@code x}. */
  private static Expr e8m0(Expr x, boolean saturate, LowPrecision.RoundMode mode) {
    Bits k = Bits.of(x);
    Expr a = Ex.abs(x);
    Expr shift = k.c(0);
    if (x.type() == Scalar.F32) {
      Expr subnormal = Ex.eq(
        Ex.bin(BinaryOp.SHR, Ex.bitcast(k.it(), a), k.c(k.mantissa())),
        k.c(0)
      );
      a = Ex.select(subnormal, Ex.mul(a, Ex.c(Scalar.F32, 0x1p64)), a);
      shift = Ex.select(subnormal, k.c(64), k.c(0));
    }
    Expr exp = Ex.sub(k.exponent(a), shift);
    Expr mant = Ex.and(Ex.bitcast(k.it(), a), k.c((1L << k.mantissa()) - 1));
    Expr bump = switch (mode) {
      case UP -> Ex.select(Ex.ne(mant, k.c(0)), k.c(1), k.c(0));
      case DOWN -> k.c(0);
      case NEAREST -> Ex.select(Ex.ge(mant, k.c(1L << (k.mantissa() - 1))), k.c(1), k.c(0));
    };
    Expr code = Ex.add(Ex.add(exp, bump), k.c(127));
    Expr top = k.c(saturate ? 0xfe : 0xff);
    Expr finite = Ex.select(
      Ex.lt(code, k.c(0)),
      k.c(0),
      Ex.select(Ex.gt(code, k.c(0xfe)), top, code)
    );
    if (x.type() == Scalar.F64) {
      finite = Ex.select(Ex.lt(Ex.abs(x), Ex.c(Scalar.F64, Double.MIN_NORMAL)), k.c(0), finite);
    }
    return Ex.select(
      Ex.un(UnaryOp.IS_NAN, x),
      k.c(0xff),
      Ex.select(Ex.un(UnaryOp.IS_INF, x), top, finite)
    );
  }

  private static Expr i32(long v) {
    return Ex.ci(Scalar.I32, v);
  }
}
