package dev.kiln.ir.op;

import dev.kiln.ir.ElementType;
import dev.kiln.ir.Tensor;
import dev.kiln.ir.TensorType;
import java.util.List;
import java.util.Map;

/**
 * Integer addition with broadcasting ({@code y = Q(DQ(a) + DQ(b))}): {@code a} and {@code b} in
 * {@code i8} or {@code u8}, output shape the broadcast of theirs, and
 *
 * <pre>
 * y = clamp(round_half_even(((a - aZeroPoint) * aMultiplier + (b - bZeroPoint) * bMultiplier)
 *                           / 2^(31 + shift)) + yZeroPoint, qmin, qmax)
 * </pre>
 *
 * where {@code aMultiplier / 2^(31 + shift)} is {@code a_scale / y_scale} and likewise for {@code
 * b}: both inputs share one shift, so the sum is rounded once. Exact in 64-bit integers (each term
 * is below 2^39).
 */
public record QAdd(
  long aZeroPoint,
  long bZeroPoint,
  long yZeroPoint,
  long aMultiplier,
  long bMultiplier,
  long shift,
  long qmin,
  long qmax,
  ElementType outputType
) implements QuantizedOp {
  public static final OpSpec SPEC = OpSpec.of(
    "q.add",
    List.of("a", "b"),
    List.of("y")
  ).withDefaults(Map.of("aZeroPoint", 0L, "bZeroPoint", 0L, "yZeroPoint", 0L));

  @Override
  public List<TensorType> inferTypes(InferContext ctx) {
    TensorType a = ctx.operand(0);
    TensorType b = ctx.operand(1);
    Requantization.checkOperand(a, aZeroPoint, "q.add a");
    Requantization.checkOperand(b, bZeroPoint, "q.add b");
    Requantization.checkFactor(aMultiplier, shift);
    Requantization.checkFactor(bMultiplier, shift);
    Requantization.checkOutput(outputType, yZeroPoint, qmin, qmax);
    return List.of(new TensorType(outputType, Shapes.broadcast(a.shape(), b.shape())));
  }

  @Override
  public List<Tensor> evaluate(EvalContext ctx, List<Tensor> operands) {
    Tensor a = operands.get(0);
    Tensor b = operands.get(1);
    return List.of(
      Broadcast.map2(a, b, outputType, (out, i, ia, ib) -> {
        long sum =
          (a.getLong(ia) - aZeroPoint) * aMultiplier + (b.getLong(ib) - bZeroPoint) * bMultiplier;
        long q = Requantization.roundShift(sum, 31 + shift) + yZeroPoint;
        out.setLong(i, Requantization.clamp(q, qmin, qmax));
      })
    );
  }

  @Override
  public void lower(dev.kiln.ir.loop.LowerContext ctx) {
    QLowering.add(ctx, this);
  }
}
