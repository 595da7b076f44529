package dev.kiln.ir.op;

import dev.kiln.ir.TensorType;
import dev.kiln.ir.loop.LowerContext;
import java.util.List;
import java.util.Map;

/**
 * {@code y = exp(x - max) / sum(exp(x - max))} along the single axis {@code axis}; output shape
 * equals the input shape. ONNX {@code Softmax} from opset 13 (earlier opsets' flatten-to-2-D
 * semantics are rewritten by the frontend).
 */
public record Softmax(long axis) implements Op, AlongAxis {
  public static final OpSpec SPEC = OpSpec.of(
    "nn.softmax",
    List.of("x"),
    List.of("y")
  ).withDefaults(Map.of("axis", -1L));

  @Override
  public Softmax withAxis(long a) {
    return new Softmax(a);
  }

  @Override
  public List<TensorType> inferTypes(InferContext ctx) {
    TensorType x = ctx.operand(0);
    Shapes.requireFloat(x, "softmax input");
    OpError.check(x.rank() >= 1, "softmax input must have rank >= 1");
    Shapes.axis(axis, x.rank());
    return List.of(x);
  }

  @Override
  public List<dev.kiln.ir.Tensor> evaluate(EvalContext ctx, List<dev.kiln.ir.Tensor> operands) {
    return List.of(AxisWise.map(operands.getFirst(), axis, v -> AxisWise.softmax(v, false)));
  }

  /** {@link AxisLowering#softmax}: max, sum of exponentials in F64, then one pass to write. */
  @Override
  public void lower(LowerContext ctx) {
    AxisLowering.softmax(ctx, axis, false);
  }
}
