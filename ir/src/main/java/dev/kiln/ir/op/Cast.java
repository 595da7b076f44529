package dev.kiln.ir.op;

import dev.kiln.ir.ElementType;
import dev.kiln.ir.LowPrecision;
import dev.kiln.ir.Tensor;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.loop.Ex;
import dev.kiln.ir.loop.Expr;
import dev.kiln.ir.loop.LowerContext;
import dev.kiln.ir.loop.Scalar;
import java.util.List;
import java.util.Map;

/**
 * Converts elements to {@code to}; output shape equals the input shape. Floats to integers truncate
 * toward zero (NaN gives 0) and integers narrow by wrapping ({@code i4}, {@code u4}, {@code i2},
 * {@code u2} included: 9 to {@code i4} is -7); anything to bool is {@code x != 0}; floats round to
 * nearest-even in narrower float types. Into a float8 type, {@code saturate} decides whether values
 * beyond the largest finite magnitude (infinities included) clamp to it or become infinity ({@code
 * f8e5m2}) or NaN (the others); {@code roundMode} picks the power of two for {@code f8e8m0}. {@code
 * f4e2m1} always saturates. See {@link LowPrecision}. ONNX {@code Cast} and {@code CastLike}
 * (attributes {@code saturate} from opset 19, {@code round_mode} from opset 25).
 */
public record Cast(ElementType to, boolean saturate, LowPrecision.RoundMode roundMode) implements
  Op, Elementwise {
  public static final OpSpec SPEC = OpSpec.of("nn.cast", List.of("x"), List.of("y")).withDefaults(
    Map.of("saturate", true, "roundMode", LowPrecision.RoundMode.UP)
  );

  /** A cast with the ONNX defaults: saturating, {@code f8e8m0} rounding up. */
  public Cast(ElementType to) {
    this(to, true, LowPrecision.RoundMode.UP);
  }

  @Override
  public List<TensorType> inferTypes(InferContext ctx) {
    return List.of(ctx.operand(0).withElementType(to));
  }

  @Override
  public List<Tensor> evaluate(EvalContext ctx, List<Tensor> operands) {
    Tensor x = operands.getFirst();
    Tensor.Builder b = new Tensor.Builder(x.type().withElementType(to));
    boolean fromFloat = x.elementType().isFloat();
    for (long i = 0; i < x.size(); i++) {
      if (to == ElementType.BOOL) {
        b.setLong(i, fromFloat ? (x.getDouble(i) != 0 ? 1 : 0) : (x.getLong(i) != 0 ? 1 : 0));
      } else if (to.isLowPrecisionFloat()) {
        b.setCode(i, LowPrecision.encode(to, value(x, i), saturate, roundMode));
      } else if (fromFloat && to.isFloat()) {
        b.setDouble(i, x.getDouble(i));
      } else if (fromFloat) {
        double v = x.getDouble(i);
        b.setLong(i, Double.isNaN(v) ? 0 : (long) v);
      } else if (to.isFloat()) {
        b.setDouble(i, value(x, i));
      } else {
        b.setLong(i, x.getLong(i));
      }
    }
    return List.of(b.build());
  }

  private static double value(Tensor x, long i) {
    ElementType e = x.elementType();
    return e.isFloat() || e == ElementType.U64 ? x.getDouble(i) : (double) x.getLong(i);
  }

  /**
   * Floats go to integers through {@code i64} (truncating, saturating at its range, NaN to 0) and
   * then wrap, as {@link #evaluate} does; a cast to {@code f16} or {@code bf16} rounds through
   * {@code f32} to the narrow type and widens back to the compute type, and one to a low-precision
   * type encodes with this cast's {@code saturate} and {@code roundMode} and decodes back.
   */
  @Override
  public Expr lowerElement(LowerContext ctx, List<Expr> xs) {
    Expr x = xs.getFirst();
    Scalar target = Scalar.of(to).orElseThrow(() ->
      new UnsupportedOperationException("cast to " + to + " is not supported")
    );
    if (target.isLowPrecision()) {
      return Ex.cast(target.compute(), Ex.cast(target, x, saturate, roundMode));
    }
    if (target == Scalar.F16 || target == Scalar.BF16) {
      return Ex.cast(Scalar.F32, Ex.cast(target, Ex.cast(Scalar.F32, x)));
    }
    if (x.type().isFloat() && target.isInteger()) {
      return Ex.cast(target, Ex.cast(Scalar.I64, x));
    }
    return Ex.cast(target, x);
  }
}
