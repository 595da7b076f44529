package dev.kiln.ir.op;

import dev.kiln.ir.TensorType;
import java.util.List;
import java.util.Map;

/**
 * Average pooling over the spatial axes of {@code x: [N, C, D1..Dk]}: each output element is the
 * mean of a {@code kernel} window; padded positions count in the divisor only when {@code
 * countIncludePad}. Output extents follow {@link Windows#outputDim}. With {@code layout = nhwc}
 * input and output are channels-last, {@code [N, D1..Dk, C]}. ONNX {@code AveragePool}.
 */
public record AveragePool(
  List<Long> kernel,
  List<Long> strides,
  List<Long> pads,
  List<Long> dilations,
  boolean ceilMode,
  boolean countIncludePad,
  Layout layout
) implements Op, ChannelLayout {
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
      false,
      "layout",
      Layout.NCHW
    )
  );

  public AveragePool {
    kernel = List.copyOf(kernel);
    strides = Windows.unlessAll(strides, 1);
    pads = Windows.unlessAll(pads, 0);
    dilations = Windows.unlessAll(dilations, 1);
  }

  /** An NCHW average pooling. */
  public AveragePool(
    List<Long> kernel,
    List<Long> strides,
    List<Long> pads,
    List<Long> dilations,
    boolean ceilMode,
    boolean countIncludePad
  ) {
    this(kernel, strides, pads, dilations, ceilMode, countIncludePad, Layout.NCHW);
  }

  /** NCHW and NHWC swap into each other; permuted spatial axes permute the window attributes. */
  @Override
  public Permuted permuted(List<Long> perm) {
    Relayout r = Relayout.of(layout, perm);
    if (r == null) {
      return null;
    }
    return new Permuted(
      new AveragePool(
        r.spatial(kernel),
        r.spatial(strides),
        r.pads(pads),
        r.spatial(dilations),
        ceilMode,
        countIncludePad,
        r.layout()
      ),
      perm
    );
  }

  @Override
  public List<TensorType> inferTypes(InferContext ctx) {
    TensorType x = layout.toNchw(ctx.operand(0));
    return List.of(layout.fromNchw(Pooling.infer(x, kernel, strides, pads, dilations, ceilMode)));
  }

  @Override
  public List<dev.kiln.ir.Tensor> evaluate(EvalContext ctx, List<dev.kiln.ir.Tensor> operands) {
    dev.kiln.ir.Tensor x = layout.toNchw(operands.getFirst());
    TensorType out = Pooling.infer(x.type(), kernel, strides, pads, dilations, ceilMode);
    return List.of(
      layout.fromNchw(
        Pooling.evaluate(
          x,
          out,
          kernel,
          strides,
          pads,
          dilations,
          countIncludePad ? Pooling.Kind.AVERAGE_INCLUDE_PAD : Pooling.Kind.AVERAGE
        )
      )
    );
  }

  @Override
  public void lower(dev.kiln.ir.loop.LowerContext ctx) {
    Layout.requireNchwForLowering(layout);
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
