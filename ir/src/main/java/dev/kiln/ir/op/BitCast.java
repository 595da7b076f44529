package dev.kiln.ir.op;

import dev.kiln.ir.ElementType;
import dev.kiln.ir.Tensor;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.loop.BinaryOp;
import dev.kiln.ir.loop.Ex;
import dev.kiln.ir.loop.Expr;
import dev.kiln.ir.loop.LowerContext;
import dev.kiln.ir.loop.Scalar;
import dev.kiln.ir.loop.UnaryOp;
import java.util.List;

/**
 * Reinterprets the little-endian bits of each element of {@code x} as an element of type {@code
 * to}, which must have the same width; a {@code bool} result needs every byte to be 0 or 1. Output
 * shape equals the input shape. ONNX {@code BitCast}.
 */
public record BitCast(ElementType to) implements Op, Elementwise {
  public static final OpSpec SPEC = OpSpec.of("nn.bit_cast", List.of("x"), List.of("y"));

  @Override
  public List<TensorType> inferTypes(InferContext ctx) {
    TensorType x = ctx.operand(0);
    OpError.check(
      x.elementType().bits() == to.bits(),
      "bit_cast needs equal widths, %s has %d bits and %s has %d",
      x.elementType(),
      x.elementType().bits(),
      to,
      to.bits()
    );
    return List.of(x.withElementType(to));
  }

  @Override
  public List<Tensor> evaluate(EvalContext ctx, List<Tensor> operands) {
    Tensor x = operands.getFirst();
    byte[] bytes = x.bytes();
    if (to == ElementType.BOOL) {
      for (int i = 0; i < bytes.length; i++) {
        OpError.check(
          bytes[i] == 0 || bytes[i] == 1,
          "element %d is %d, not a bool (0 or 1)",
          i,
          bytes[i] & 0xff
        );
      }
    }
    return List.of(
      Tensor.wrap(inferTypes(new InferContext(List.of(x.type()), List.of())).getFirst(), bytes)
    );
  }

  /**
   * Between integer types of one width (and between {@code bool} and an 8-bit integer) the bits
   * are kept by a conversion. Between {@code f32}/{@code f64} and integers of their width the bits
   * are computed arithmetically from sign, exponent and significand (in {@code f64}, where every
   * step is exact); every NaN becomes the quiet NaN with a zero payload and the sign cleared.
   */
  @Override
  public Expr lowerElement(LowerContext ctx, List<Expr> operands) {
    Expr x = operands.getFirst();
    Scalar target = ctx.resultScalar(0);
    if (!x.type().isFloat() && !target.isFloat()) {
      return Ex.cast(target, x);
    }
    if (x.type().isFloat() && target.isInteger() && wide(ctx.operandScalar(0))) {
      return Ex.cast(target, bitsOf(ctx, x, Format.of(x.type())));
    }
    if (x.type().isInteger() && target.isFloat() && wide(ctx.resultScalar(0))) {
      return Ex.cast(target, valueOf(ctx, x, Format.of(target)));
    }
    throw new UnsupportedOperationException(
      "bit_cast from " + ctx.operandType(0).elementType() + " to " + to + " is not supported"
    );
  }

  private static boolean wide(Scalar s) {
    return s == Scalar.F32 || s == Scalar.F64;
  }

  /** An IEEE binary format: significand bits, exponent bias, all-ones exponent. */
  private record Format(int mantissa, int bias, long maxExponent) {
    static Format of(Scalar s) {
      return s == Scalar.F64 ? new Format(52, 1023, 2047) : new Format(23, 127, 255);
    }
  }

  /** The bits of float {@code x} as an {@code i64} (the low bits for {@code f32}). */
  private static Expr bitsOf(LowerContext ctx, Expr x, Format f) {
    Scalar d = Scalar.F64;
    Expr zero = Ex.zero(x);
    Expr negative = ctx.let(
      "neg",
      Ex.select(Ex.eq(x, zero), Ex.lt(Ex.div(Ex.one(x), x), zero), Ex.lt(x, zero))
    );
    Expr a = ctx.let("a", Ex.cast(d, Ex.abs(x)));
    Expr e0 = ctx.let("e", Ex.cast(Scalar.I64, Ex.floor(Ex.div(Ex.log(a), Ex.c(d, Math.log(2))))));
    Expr m0 = ctx.let("m", Ex.div(a, Ex.pow(Ex.c(d, 2), Ex.cast(d, e0))));
    Expr up = Ex.select(Ex.ge(m0, Ex.c(d, 2)), Ex.i64(1), Ex.i64(0));
    Expr down = Ex.select(Ex.lt(m0, Ex.c(d, 1)), Ex.i64(1), Ex.i64(0));
    Expr e = ctx.let("e", Ex.sub(Ex.add(e0, up), down));
    Expr frac = Ex.sub(Ex.div(a, Ex.pow(Ex.c(d, 2), Ex.cast(d, e))), Ex.c(d, 1));
    Expr mant = Ex.cast(Scalar.I64, Ex.mul(frac, Ex.c(d, Math.scalb(1.0, f.mantissa))));
    Expr normal = Ex.or(shl(Ex.add(e, Ex.i64(f.bias)), f.mantissa), mant);
    Expr scaled = Ex.mul(
      Ex.mul(a, Ex.c(d, Math.scalb(1.0, f.bias - 1))),
      Ex.c(d, Math.scalb(1.0, f.mantissa))
    );
    Expr subnormal = Ex.cast(Scalar.I64, scaled);
    Expr infinity = shl(Ex.i64(f.maxExponent), f.mantissa);
    Expr nan = Ex.or(infinity, Ex.i64(1L << (f.mantissa - 1)));
    Expr magnitude = Ex.select(
      Ex.un(UnaryOp.IS_NAN, a),
      nan,
      Ex.select(
        Ex.un(UnaryOp.IS_INF, a),
        infinity,
        Ex.select(Ex.ge(e, Ex.i64(1 - f.bias)), normal, subnormal)
      )
    );
    Expr sign = Ex.i64(f.mantissa == 52 ? Long.MIN_VALUE : 1L << 31);
    return Ex.select(
      Ex.bin(BinaryOp.AND, negative, Ex.not(Ex.un(UnaryOp.IS_NAN, a))),
      Ex.or(magnitude, sign),
      magnitude
    );
  }

  /** The float whose bits are the integer {@code v} (its low 32 bits for {@code f32}), as f64. */
  private static Expr valueOf(LowerContext ctx, Expr v, Format f) {
    Scalar d = Scalar.F64;
    Expr b = Ex.cast(Scalar.I64, v);
    if (f.mantissa == 23) {
      b = Ex.and(b, Ex.i64(0xffffffffL));
    }
    b = ctx.let("b", b);
    Expr negative = Ex.ne(Ex.and(shr(b, f.mantissa == 52 ? 63 : 31), Ex.i64(1)), Ex.i64(0));
    Expr exponent = ctx.let("ex", Ex.and(shr(b, f.mantissa), Ex.i64(f.maxExponent)));
    Expr mant = ctx.let("mt", Ex.and(b, Ex.i64((1L << f.mantissa) - 1)));
    Expr fraction = Ex.mul(Ex.cast(d, mant), Ex.c(d, Math.scalb(1.0, -f.mantissa)));
    Expr subnormal = Ex.mul(fraction, Ex.c(d, Math.scalb(1.0, 1 - f.bias)));
    Expr power = Ex.pow(Ex.c(d, 2), Ex.cast(d, Ex.sub(exponent, Ex.i64(f.bias))));
    Expr normal = Ex.mul(Ex.add(Ex.c(d, 1), fraction), power);
    Expr special = Ex.select(
      Ex.eq(mant, Ex.i64(0)),
      Ex.c(d, Double.POSITIVE_INFINITY),
      Ex.c(d, Double.NaN)
    );
    Expr magnitude = Ex.select(
      Ex.eq(exponent, Ex.i64(f.maxExponent)),
      special,
      Ex.select(Ex.eq(exponent, Ex.i64(0)), subnormal, normal)
    );
    Expr m = ctx.let("mag", magnitude);
    return Ex.select(negative, Ex.neg(m), m);
  }

  private static Expr shl(Expr a, int bits) {
    return Ex.bin(BinaryOp.SHL, a, Ex.i64(bits));
  }

  private static Expr shr(Expr a, int bits) {
    return Ex.bin(BinaryOp.SHR, a, Ex.i64(bits));
  }
}
