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
   * Reinterprets between integer and {@code bool} types of one width, where the bits stay the
   * value (a wrapping cast); to or from a float type it is not supported.
   */
  @Override
  public Expr lowerElement(LowerContext ctx, List<Expr> xs) {
    Expr x = xs.getFirst();
    Scalar r = ctx.resultScalar(0);
    if (x.type().isFloat() || r.isFloat()) {
      throw new UnsupportedOperationException(
        "bit_cast between float and integer types is not supported"
      );
    }
    return Ex.cast(r, x);
  }
}
