package dev.kiln.ir.op;

import static dev.kiln.ir.loop.BinaryOp.SHR;

import dev.kiln.ir.loop.Ex;
import dev.kiln.ir.loop.Expr;
import dev.kiln.ir.loop.LowerContext;
import dev.kiln.ir.loop.Scalar;

/** Loop IR building blocks the elementwise lowerings share. */
final class ElementLowering {

  private ElementLowering() {}

  /** The least value of integer type {@code t}, as a signed long (0 for unsigned types). */
  static long minOf(Scalar t) {
    return t.isUnsigned() ? 0 : t.bits() == 64 ? Long.MIN_VALUE : -(1L << (t.bits() - 1));
  }

  /**
   * The greatest value of integer type {@code t}, as a signed long; {@code Long.MAX_VALUE} stands
   * for the greatest {@code U64}.
   */
  static long maxOf(Scalar t) {
    return t.bits() == 64
      ? Long.MAX_VALUE
      : t.isUnsigned() ? (1L << t.bits()) - 1 : (1L << (t.bits() - 1)) - 1;
  }

  /**
   * {@code min(max(x, lo), hi)} on an integer {@code x}; a bound outside the type's range bounds
   * nothing and is left out.
   */
  static Expr clampInt(Expr x, long lo, long hi) {
    Scalar t = x.type();
    Expr r = x;
    if (lo > minOf(t)) {
      r = Ex.max(r, Ex.ci(t, Math.min(lo, maxOf(t))));
    }
    if (hi < maxOf(t)) {
      r = Ex.min(r, Ex.ci(t, Math.max(hi, minOf(t))));
    }
    return r;
  }

  /**
   * {@code ln(1 + u)} for finite {@code u > -1}, accurate for small {@code u}: {@code u} itself
   * when {@code 1 + u} rounds to 1, else {@code ln(w) * u / (w - 1)} with {@code w = 1 + u}, which
   * cancels the rounding error of {@code w} (Goldberg).
   */
  static Expr log1p(Expr u) {
    Expr w = Ex.add(Ex.one(u), u);
    return Ex.select(Ex.eq(w, Ex.one(u)), u, Ex.mul(Ex.log(w), Ex.div(u, Ex.sub(w, Ex.one(u)))));
  }

  /**
   * {@code e^x - 1} for {@code x < +inf}, accurate for small {@code x}: with {@code u = e^x},
   * {@code x} when {@code u} rounds to 1, -1 when {@code u - 1} does, else {@code (u - 1) * x / ln
   * u} (Kahan).
   */
  static Expr expm1(Expr x) {
    Expr u = Ex.exp(x);
    Expr m = Ex.sub(u, Ex.one(x));
    Expr minusOne = Ex.like(x, -1);
    return Ex.select(
      Ex.eq(u, Ex.one(x)),
      x,
      Ex.select(Ex.eq(m, minusOne), minusOne, Ex.div(Ex.mul(m, x), Ex.log(u)))
    );
  }

  /** {@code ln(1 + e^x)} without overflow: {@code max(x, 0) + log1p(e^-|x|)}. */
  static Expr softplus(Expr x) {
    return Ex.add(Ex.max(x, Ex.zero(x)), log1p(Ex.exp(Ex.neg(Ex.abs(x)))));
  }

  /**
   * The integer remainder with the divisor's sign (Python {@code %}): the truncating remainder,
   * plus {@code b} when it is nonzero and its sign differs from {@code b}'s.
   */
  static Expr floorMod(Expr a, Expr b) {
    Expr r = Ex.rem(a, b);
    if (a.type().isUnsigned()) {
      return r;
    }
    Expr zero = Ex.zero(a);
    Expr fix = Ex.and(Ex.ne(r, zero), Ex.ne(Ex.lt(r, zero), Ex.lt(b, zero)));
    return Ex.select(fix, Ex.add(r, b), r);
  }

  /**
   * {@code a^b} on integers by repeated squaring, wrapping in the type; a negative exponent gives
   * 0 unless {@code |a| = 1} (as {@link Ints#pow}).
   */
  static Expr intPow(LowerContext ctx, Expr a, Expr b) {
    Expr zero = Ex.zero(a);
    Expr one = Ex.one(a);
    Expr.Var result = ctx.let("pow", one);
    Expr.Var base = ctx.let("base", a);
    Expr.Var exp = ctx.let("exp", b);
    ctx.whileLoop(Ex.gt(exp, zero), () -> {
      ctx.ifThen(
        Ex.ne(Ex.and(exp, one), zero),
        () -> ctx.assign(result, Ex.mul(result, base)),
        null
      );
      ctx.assign(base, Ex.mul(base, base));
      ctx.assign(exp, Ex.bin(SHR, exp, one));
    });
    if (a.type().isUnsigned()) {
      return result;
    }
    Expr minusOne = Ex.like(a, -1);
    Expr oddPower = Ex.select(Ex.eq(Ex.and(b, one), zero), one, minusOne);
    Expr negative = Ex.select(Ex.eq(a, one), one, Ex.select(Ex.eq(a, minusOne), oddPower, zero));
    return Ex.select(Ex.lt(b, zero), negative, result);
  }
}
