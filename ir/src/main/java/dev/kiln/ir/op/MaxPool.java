package dev.kiln.ir.op;

import dev.kiln.ir.TensorType;
import java.util.List;
import java.util.Map;

/**
 * Max pooling over the spatial axes of {@code x: [N, C, D1..Dk]}: each output element is the
 * maximum of a {@code kernel} window (padding never wins). Output extents follow {@link
 * Windows#outputDim}. ONNX {@code MaxPool} without the indices output.
 */
public record MaxPool(
  List<Long> kernel,
  List<Long> strides,
  List<Long> pads,
  List<Long> dilations,
  boolean ceilMode
) implements Op {
  public static final OpSpec SPEC = OpSpec.of(
    "nn.max_pool",
    List.of("x"),
    List.of("y")
  ).withDefaults(
    Map.of("strides", List.of(), "pads", List.of(), "dilations", List.of(), "ceilMode", false)
  );

  public MaxPool {
    kernel = List.copyOf(kernel);
    strides = Windows.unlessAll(strides, 1);
    pads = Windows.unlessAll(pads, 0);
    dilations = Windows.unlessAll(dilations, 1);
  }

  @Override
  public List<TensorType> inferTypes(InferContext ctx) {
    return List.of(Pooling.infer(ctx.operand(0), kernel, strides, pads, dilations, ceilMode));
  }

  @Override
  public List<dev.kiln.ir.Tensor> evaluate(EvalContext ctx, List<dev.kiln.ir.Tensor> operands) {
    dev.kiln.ir.Tensor x = operands.getFirst();
    TensorType out = inferTypes(new InferContext(List.of(x.type()), List.of())).getFirst();
    return List.of(Pooling.evaluate(x, out, kernel, strides, pads, dilations, Pooling.Kind.MAX));
  }

  @Override
  public void lower(dev.kiln.ir.loop.LowerContext ctx) {
    WindowLowering.pool(ctx, kernel, strides, pads, dilations, Pooling.Kind.MAX);
  }
}
