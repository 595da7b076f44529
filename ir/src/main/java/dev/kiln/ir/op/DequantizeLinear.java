package dev.kiln.ir.op;

import dev.kiln.ir.ElementType;
import dev.kiln.ir.Tensor;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.loop.Ex;
import dev.kiln.ir.loop.Expr;
import dev.kiln.ir.loop.LowerContext;
import dev.kiln.ir.loop.Scalar;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Affine dequantization: {@code y = (x - z) * s} with {@code s} and {@code z} the scale and zero
 * point of an element ({@code z = 0} without {@code zeroPoint}); {@code x - z} is exact, the
 * product is computed in double precision and rounded once to {@code outputType}, a float type. The
 * input holds {@code i8 u8 i16 u16 i32 i4 u4 i2 u2} or float8/float4 elements; the scale is
 * per-tensor, per-axis along {@code axis} or blocked with {@code blockSize} (see {@link
 * Quantization}); {@code zeroPoint} has the scale's shape and the input's element type. Output shape
 * equals {@code x}'s. ONNX {@code DequantizeLinear} (opsets 10 to 25; {@code outputType} is the
 * scale's type unless {@code output_dtype} says otherwise).
 */
public record DequantizeLinear(long axis, long blockSize, ElementType outputType) implements Op {
  public static final OpSpec SPEC = OpSpec.of(
    "nn.dequantize_linear",
    List.of("x", "scale", "zero_point?"),
    List.of("y")
  ).withDefaults(Map.of("axis", 1L, "blockSize", 0L));

  private static final Set<ElementType> INTEGER_INPUTS = Set.of(
    ElementType.I8,
    ElementType.U8,
    ElementType.I16,
    ElementType.U16,
    ElementType.I32,
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
    OpError.check(
      INTEGER_INPUTS.contains(x.elementType()) || x.elementType().isLowPrecisionFloat(),
      "dequantize_linear input type must be i8, u8, i16, u16, i32, i4, u4, i2, u2 or a float8/float4 type, got %s",
      x.elementType()
    );
    OpError.check(
      outputType.isFloat(),
      "dequantize_linear output type must be a float type, got %s",
      outputType
    );
    OpError.check(
      zp == null || zp.elementType() == x.elementType(),
      "dequantize_linear zero point type %s must equal the input type %s",
      zp == null ? null : zp.elementType(),
      x.elementType()
    );
    Quantization.check(x, scale, zp, axis, blockSize, "dequantize_linear");
    return List.of(x.withElementType(outputType));
  }

  @Override
  public List<Tensor> evaluate(EvalContext ctx, List<Tensor> operands) {
    Tensor x = operands.get(0);
    Tensor scale = operands.get(1);
    Tensor zp = operands.size() > 2 ? operands.get(2) : null;
    int[] si = Quantization.scaleIndices(x.type(), scale.type(), axis, blockSize);
    Tensor.Builder b = new Tensor.Builder(x.type().withElementType(outputType));
    boolean integer = !x.elementType().isFloat();
    for (int i = 0; i < si.length; i++) {
      double d = integer
        ? (double) (x.getLong(i) - (zp == null ? 0 : zp.getLong(si[i])))
        : x.getDouble(i) - (zp == null ? 0 : zp.getDouble(si[i]));
      b.setDouble(i, d * scale.getDouble(si[i]));
    }
    return List.of(b.build());
  }

  @Override
  public void lower(LowerContext ctx) {
    Scalar diff = ctx.operandScalar(0).compute().isFloat() ? Scalar.F64 : Scalar.I64;
    ctx.forEach(ctx.operandDims(0), idx -> {
      List<Expr> si = Quantization.scaleIndex(ctx, idx, axis, blockSize);
      Expr d = Ex.cast(diff, ctx.load(0, idx));
      if (ctx.numOperands() > 2) {
        d = Ex.sub(d, Ex.cast(diff, ctx.load(2, Quantization.paramIndex(ctx, 2, si))));
      }
      Expr y = Ex.mul(Ex.cast(Scalar.F64, d), Ex.cast(Scalar.F64, ctx.load(1, si)));
      ctx.store(0, idx, Ex.cast(ctx.resultScalar(0), y));
    });
  }
}
