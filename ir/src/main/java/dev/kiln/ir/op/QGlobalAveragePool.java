package dev.kiln.ir.op;

import dev.kiln.ir.ElementType;
import dev.kiln.ir.Tensor;
import dev.kiln.ir.TensorType;
import java.util.List;
import java.util.Map;

/**
 * Integer mean over all spatial axes ({@code y = Q(GlobalAveragePool(DQ(x)))}): {@code x: [N, C,
 * D1..Dk]} in {@code i8} or {@code u8}, {@code y: [N, C, 1..1]}, and per {@code (n, c)}
 *
 * <pre>
 * acc = sum over the spatial positions of (x - xZeroPoint)
 * y   = clamp(round_half_even(acc * multiplier / 2^(31 + shift)) + yZeroPoint, qmin, qmax)
 * </pre>
 *
 * where {@code multiplier / 2^(31 + shift)} is {@code x_scale / (y_scale * D1 * ... * Dk)}: the
 * division by the window size is part of the factor.
 */
public record QGlobalAveragePool(
  long xZeroPoint,
  long yZeroPoint,
  long multiplier,
  long shift,
  long qmin,
  long qmax,
  ElementType outputType
) implements QuantizedOp {
  public static final OpSpec SPEC = OpSpec.of(
    "q.global_average_pool",
    List.of("x"),
    List.of("y")
  ).withDefaults(Map.of("xZeroPoint", 0L, "yZeroPoint", 0L));

  @Override
  public List<TensorType> inferTypes(InferContext ctx) {
    TensorType x = ctx.operand(0);
    Requantization.checkOperand(x, xZeroPoint, "q.global_average_pool input");
    Requantization.checkFactor(multiplier, shift);
    Requantization.checkOutput(outputType, yZeroPoint, qmin, qmax);
    TensorType y = new GlobalAveragePool()
      .inferTypes(new InferContext(List.of(x.withElementType(ElementType.F64)), List.of()))
      .getFirst();
    return List.of(y.withElementType(outputType));
  }

  @Override
  public List<Tensor> evaluate(EvalContext ctx, List<Tensor> operands) {
    Tensor x = operands.getFirst();
    long[] s = x.shape().sizes();
    long inner = Strides.product(s, 2, s.length);
    TensorType out = inferTypes(new InferContext(List.of(x.type()), List.of())).getFirst();
    Tensor.Builder b = new Tensor.Builder(out);
    for (long p = 0; p < b.size(); p++) {
      long acc = 0;
      for (long i = 0; i < inner; i++) {
        acc += x.getLong(p * inner + i) - xZeroPoint;
      }
      long q = Requantization.apply(acc, multiplier, shift) + yZeroPoint;
      b.setLong(p, Requantization.clamp(q, qmin, qmax));
    }
    return List.of(b.build());
  }

  @Override
  public void lower(dev.kiln.ir.loop.LowerContext ctx) {
    QLowering.globalAveragePool(ctx, this);
  }
}
