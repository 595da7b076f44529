package dev.kiln.ir.op;

import dev.kiln.ir.ElementType;
import dev.kiln.ir.LowPrecision;
import dev.kiln.ir.Tensor;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.loop.Ex;
import dev.kiln.ir.loop.Expr;
import dev.kiln.ir.loop.LowerContext;
import dev.kiln.ir.loop.Scalar;
import dev.kiln.ir.loop.UnaryOp;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Affine quantization to {@code outputType}: with {@code s} and {@code z} the scale and zero point
 * of an element ({@code z = 0} without {@code zeroPoint}), {@code q = x / s} rounded to the wider of
 * {@code x}'s and {@code s}'s float types (their common type when equal), then for an integer
 * {@code outputType} ({@code i8 u8 i16 u16 i4 u4 i2 u2}) {@code y = clamp(rint(q) + z)} with ties to
 * even and the type's range (a NaN quotient gives {@code z}), and for a float8 or float4 {@code
 * outputType} {@code y = q + z} converted with {@code saturate} (see {@link LowPrecision}). The
 * scale is per-tensor, per-axis along {@code axis} or blocked with {@code blockSize} (see {@link
 * Quantization}); {@code zeroPoint} has the scale's shape and {@code outputType} elements. Output
 * shape equals {@code x}'s. ONNX {@code QuantizeLinear} (opsets 10 to 25; {@code precision} is
 * applied by the frontend, which casts {@code x} and the scale to it).
 */
public record QuantizeLinear(
  long axis,
  long blockSize,
  ElementType outputType,
  boolean saturate
) implements Op {
  public static final OpSpec SPEC = OpSpec.of(
    "nn.quantize_linear",
    List.of("x", "scale", "zero_point?"),
    List.of("y")
  ).withDefaults(Map.of("axis", 1L, "blockSize", 0L, "saturate", true));

  private static final Set<ElementType> INTEGER_OUTPUTS = Set.of(
    ElementType.I8,
    ElementType.U8,
    ElementType.I16,
    ElementType.U16,
    ElementType.I4,
    ElementType.U4,
    ElementType.I2,
    ElementType.U2
  );

  @Override
  public List<TensorType> inferTypes(InferContext ctx) {
    TensorType x = ctx.operand(0);
    TensorType scale = ctx.operand(1);
    TensorType zp = ctx.operands().size() > 2 ? ctx.operand(2) : null;
    Shapes.requireFloat(x, "quantize_linear input");
    OpError.check(
      INTEGER_OUTPUTS.contains(outputType) || outputType.isLowPrecisionFloat(),
      "quantize_linear output type must be i8, u8, i16, u16, i4, u4, i2, u2 or a float8/float4 type, got %s",
      outputType
    );
    OpError.check(
      zp == null || zp.elementType() == outputType,
      "quantize_linear zero point type %s must equal the output type %s",
      zp == null ? null : zp.elementType(),
      outputType
    );
    Quantization.check(x, scale, zp, axis, blockSize, "quantize_linear");
    return List.of(x.withElementType(outputType));
  }

  @Override
  public List<Tensor> evaluate(EvalContext ctx, List<Tensor> operands) {
    Tensor x = operands.get(0);
    Tensor scale = operands.get(1);
    Tensor zp = operands.size() > 2 ? operands.get(2) : null;
    int[] si = Quantization.scaleIndices(x.type(), scale.type(), axis, blockSize);
    ElementType compute = Quantization.computeType(x.elementType(), scale.elementType());
    Tensor.Builder b = new Tensor.Builder(x.type().withElementType(outputType));
    boolean integer = !outputType.isFloat();
    long lo = integer ? Quantization.min(outputType) : 0;
    long hi = integer ? Quantization.max(outputType) : 0;
    for (int i = 0; i < si.length; i++) {
      double q = Quantization.roundTo(compute, x.getDouble(i) / scale.getDouble(si[i]));
      if (integer) {
        long z = zp == null ? 0 : zp.getLong(si[i]);
        long v = Double.isNaN(q) ? z : (long) Math.max(-0x1p62, Math.min(0x1p62, Math.rint(q))) + z;
        b.setLong(i, Math.max(lo, Math.min(hi, v)));
      } else {
        double z = zp == null ? 0 : zp.getDouble(si[i]);
        double v = z == 0 ? q : Quantization.roundTo(compute, q + z);
        b.setCode(i, LowPrecision.encode(outputType, v, saturate, LowPrecision.RoundMode.UP));
      }
    }
    return List.of(b.build());
  }

  @Override
  public void lower(LowerContext ctx) {
    Scalar out = ctx.resultScalar(0);
    boolean integer = out.compute().isInteger();
    Scalar compute = Scalar.of(
      Quantization.computeType(ctx.operandType(0).elementType(), ctx.operandType(1).elementType())
    ).orElseThrow();
    Scalar arith = compute.compute();
    long lo = integer ? Quantization.min(outputType) : 0;
    long hi = integer ? Quantization.max(outputType) : 0;
    ctx.forEach(ctx.operandDims(0), idx -> {
      List<Expr> si = Quantization.scaleIndex(ctx, idx, axis, blockSize);
      Expr q = Ex.div(Ex.cast(arith, ctx.load(0, idx)), Ex.cast(arith, ctx.load(1, si)));
      if (compute != arith) {
        q = Ex.cast(arith, Ex.cast(compute, q));
      }
      if (!integer) {
        Expr v = q;
        if (ctx.numOperands() > 2) {
          Expr z = Ex.cast(arith, ctx.load(2, Quantization.paramIndex(ctx, 2, si)));
          Expr sum = Ex.add(q, z);
          if (compute != arith) {
            sum = Ex.cast(arith, Ex.cast(compute, sum));
          }
          v = Ex.select(Ex.eq(z, Ex.zero(z)), q, sum);
        }
        Expr code = Ex.cast(out, v, saturate, LowPrecision.RoundMode.UP);
        ctx.store(0, idx, Ex.cast(out.compute(), code));
        return;
      }
      Expr rounded = Ex.un(UnaryOp.ROUND, q);
      Expr limited = Ex.min(Ex.max(rounded, Ex.c(arith, -0x1p62)), Ex.c(arith, 0x1p62));
      Expr v = Ex.cast(Scalar.I64, limited);
      if (ctx.numOperands() > 2) {
        v = Ex.add(v, Ex.cast(Scalar.I64, ctx.load(2, Quantization.paramIndex(ctx, 2, si))));
      }
      ctx.store(0, idx, Ex.cast(out, MoveLowering.clamp(v, lo, hi)));
    });
  }
}
