package dev.kiln.ir.op;

import dev.kiln.ir.ElementType;
import dev.kiln.ir.Tensor;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.loop.Ex;
import dev.kiln.ir.loop.Expr;
import dev.kiln.ir.loop.LowerContext;
import dev.kiln.ir.loop.Scalar;
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
   * Between integer and {@code bool} types the bits are the value (a wrapping cast); otherwise the
   * operand element goes back to its storage type (exactly: it came from there), its bits are
   * taken as an unsigned integer of its width ({@link Expr.BitCast}) and reinterpreted as the
   * result's storage type.
   */
  @Override
  public Expr lowerElement(LowerContext ctx, List<Expr> xs) {
    Expr x = xs.getFirst();
    Scalar r = ctx.resultScalar(0);
    Scalar s = ctx.operandScalar(0);
    if (r == Scalar.BOOL || s == Scalar.BOOL || (integral(s) && integral(r))) {
      return Ex.cast(r.compute(), Ex.cast(r, x));
    }
    Expr bits = integral(s) ? Ex.cast(unsigned(s), x) : Ex.bitcast(unsigned(s), Ex.narrow(s, x));
    if (s.bits() < 8) {
      bits = Ex.and(bits, Ex.ci(bits.type(), (1L << s.bits()) - 1));
    }
    Expr y = integral(r) ? Ex.cast(r, bits) : Ex.bitcast(r, Ex.cast(unsigned(r), bits));
    return Ex.cast(r.compute(), y);
  }

  private static boolean integral(Scalar t) {
    return t.isInteger() || t == Scalar.I4 || t == Scalar.U4 || t == Scalar.I2 || t == Scalar.U2;
  }

  /** The unsigned integer type as wide in memory as {@code t}. */
  private static Scalar unsigned(Scalar t) {
    return switch (t.bytes()) {
      case 1 -> Scalar.U8;
      case 2 -> Scalar.U16;
      case 4 -> Scalar.U32;
      default -> Scalar.U64;
    };
  }
}
