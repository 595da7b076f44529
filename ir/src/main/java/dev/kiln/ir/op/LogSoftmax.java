package dev.kiln.ir.op;

import dev.kiln.ir.Tensor;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.loop.LowerContext;
import java.util.List;
import java.util.Map;

/**
 * {@code y = x - max - ln(sum(exp(x - max)))} along the single axis {@code axis}; output shape
 * equals the input shape. ONNX {@code LogSoftmax} (opset 13 semantics).
 */
public record LogSoftmax(long axis) implements Op, AlongAxis {
  public static final OpSpec SPEC = OpSpec.of(
    "nn.log_softmax",
    List.of("x"),
    List.of("y")
  ).withDefaults(Map.of("axis", -1L));

  @Override
  public LogSoftmax withAxis(long a) {
    return new LogSoftmax(a);
  }

  @Override
  public List<TensorType> inferTypes(InferContext ctx) {
    TensorType x = ctx.operand(0);
    Shapes.requireFloat(x, "log_softmax input");
    Shapes.axis(axis, x.rank());
    return List.of(x);
  }

  @Override
  public List<Tensor> evaluate(EvalContext ctx, List<Tensor> operands) {
    return List.of(AxisWise.map(operands.getFirst(), axis, v -> AxisWise.softmax(v, true)));
  }

  /** {@link AxisLowering#softmax}: max, sum of exponentials in F64, then one pass to write. */
  @Override
  public void lower(LowerContext ctx) {
    AxisLowering.softmax(ctx, axis, true);
  }
}
