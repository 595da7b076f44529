package dev.kiln.ir.op;

import dev.kiln.ir.TensorType;
import java.util.List;
import java.util.Map;

/**
 * Average pooling over the spatial axes of {@code x: [N, C, D1..Dk]}: each output element is the
 * mean of a {@code kernel} window; padded positions count in the divisor only when {@code
 * countIncludePad}. Output extents follow {@link Windows#outputDim}. ONNX {@code AveragePool}.
 */
public record AveragePool(
  List<Long> kernel,
  List<Long> strides,
  List<Long> pads,
  List<Long> dilations,
  boolean ceilMode,
  boolean countIncludePad
) implements Op {
  public static final OpSpec SPEC = OpSpec.of(
    "nn.average_pool",
    List.of("x"),
    List.of("y")
  ).withDefaults(
    Map.of(
      "strides",
      List.of(),
      "pads",
      List.of(),
      "dilations",
      List.of(),
      "ceilMode",
      false,
      "countIncludePad",
      false
    )
  );

  public AveragePool {
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
    return List.of(
      Pooling.evaluate(
        x,
        out,
        kernel,
        strides,
        pads,
        dilations,
        countIncludePad ? Pooling.Kind.AVERAGE_INCLUDE_PAD : Pooling.Kind.AVERAGE
      )
    );
  }

  @Override
  public void lower(dev.kiln.ir.loop.LowerContext ctx) {
    WindowLowering.pool(
      ctx,
      kernel,
      strides,
      pads,
      dilations,
      countIncludePad ? Pooling.Kind.AVERAGE_INCLUDE_PAD : Pooling.Kind.AVERAGE
    );
  }
}
