package dev.kiln.ir.op;

import dev.kiln.ir.ElementType;
import dev.kiln.ir.Tensor;
import dev.kiln.ir.TensorType;
import java.util.List;
import java.util.Map;

/**
 * Moves {@code i8}/{@code u8} values to another scale and zero point ({@code y = Q(DQ(x))} with
 * different parameters, or {@code Q(Relu(DQ(x)))}): output shape equals the input's, and
 *
 * <pre>
 * y = clamp(round_half_even((x - xZeroPoint) * multiplier / 2^(31 + shift)) + yZeroPoint, qmin, qmax)
 * </pre>
 *
 * where {@code multiplier / 2^(31 + shift)} is {@code x_scale / y_scale}.
 */
public record QRequantize(
  long xZeroPoint,
  long yZeroPoint,
  long multiplier,
  long shift,
  long qmin,
  long qmax,
  ElementType outputType
) implements QuantizedOp {
  public static final OpSpec SPEC = OpSpec.of(
    "q.requantize",
    List.of("x"),
    List.of("y")
  ).withDefaults(Map.of("xZeroPoint", 0L, "yZeroPoint", 0L));

  @Override
  public List<TensorType> inferTypes(InferContext ctx) {
    TensorType x = ctx.operand(0);
    Requantization.checkOperand(x, xZeroPoint, "q.requantize input");
    Requantization.checkFactor(multiplier, shift);
    Requantization.checkOutput(outputType, yZeroPoint, qmin, qmax);
    return List.of(x.withElementType(outputType));
  }

  @Override
  public List<Tensor> evaluate(EvalContext ctx, List<Tensor> operands) {
    Tensor x = operands.getFirst();
    Tensor.Builder b = new Tensor.Builder(x.type().withElementType(outputType));
    for (long i = 0; i < b.size(); i++) {
      long q = Requantization.apply(x.getLong(i) - xZeroPoint, multiplier, shift) + yZeroPoint;
      b.setLong(i, Requantization.clamp(q, qmin, qmax));
    }
    return List.of(b.build());
  }

  @Override
  public void lower(dev.kiln.ir.loop.LowerContext ctx) {
    QLowering.requantize(ctx, this);
  }
}
