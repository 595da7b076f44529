package dev.kiln.ir.op;

import dev.kiln.ir.ElementType;
import dev.kiln.ir.Tensor;
import dev.kiln.ir.TensorType;
import java.util.List;
import java.util.Map;

/**
 * Integer multiplication with broadcasting ({@code y = Q(DQ(a) * DQ(b))}): {@code a} and {@code b}
 * in {@code i8} or {@code u8}, output shape the broadcast of theirs, and
 *
 * <pre>
 * y = clamp(round_half_even((a - aZeroPoint) * (b - bZeroPoint) * multiplier / 2^(31 + shift))
 *           + yZeroPoint, qmin, qmax)
 * </pre>
 *
 * where {@code multiplier / 2^(31 + shift)} is {@code a_scale * b_scale / y_scale}.
 */
public record QMul(
  long aZeroPoint,
  long bZeroPoint,
  long yZeroPoint,
  long multiplier,
  long shift,
  long qmin,
  long qmax,
  ElementType outputType
) implements QuantizedOp {
  public static final OpSpec SPEC = OpSpec.of(
    "q.mul",
    List.of("a", "b"),
    List.of("y")
  ).withDefaults(Map.of("aZeroPoint", 0L, "bZeroPoint", 0L, "yZeroPoint", 0L));

  @Override
  public List<TensorType> inferTypes(InferContext ctx) {
    TensorType a = ctx.operand(0);
    TensorType b = ctx.operand(1);
    Requantization.checkOperand(a, aZeroPoint, "q.mul a");
    Requantization.checkOperand(b, bZeroPoint, "q.mul b");
    Requantization.checkFactor(multiplier, shift);
    Requantization.checkOutput(outputType, yZeroPoint, qmin, qmax);
    return List.of(new TensorType(outputType, Shapes.broadcast(a.shape(), b.shape())));
  }

  @Override
  public List<Tensor> evaluate(EvalContext ctx, List<Tensor> operands) {
    Tensor a = operands.get(0);
    Tensor b = operands.get(1);
    return List.of(
      Broadcast.map2(a, b, outputType, (out, i, ia, ib) -> {
        long p = (a.getLong(ia) - aZeroPoint) * (b.getLong(ib) - bZeroPoint);
        long q = Requantization.apply(p, multiplier, shift) + yZeroPoint;
        out.setLong(i, Requantization.clamp(q, qmin, qmax));
      })
    );
  }

  @Override
  public void lower(dev.kiln.ir.loop.LowerContext ctx) {
    QLowering.mul(ctx, this);
  }
}
