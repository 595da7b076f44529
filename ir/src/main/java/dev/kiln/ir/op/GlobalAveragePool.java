package dev.kiln.ir.op;

import dev.kiln.ir.Dim;
import dev.kiln.ir.Shape;
import dev.kiln.ir.TensorType;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Mean over all spatial axes: {@code [N, C, D1..Dk] -> [N, C, 1..1]}, or {@code [N, D1..Dk, C] ->
 * [N, 1..1, C]} with {@code layout = nhwc}. ONNX {@code GlobalAveragePool}.
 */
public record GlobalAveragePool(Layout layout) implements Op, ChannelLayout {
  public static final OpSpec SPEC = OpSpec.of(
    "nn.global_average_pool",
    List.of("x"),
    List.of("y")
  ).withDefaults(Map.of("layout", Layout.NCHW));

  /** An NCHW global average pooling. */
  public GlobalAveragePool() {
    this(Layout.NCHW);
  }

  /** NCHW and NHWC swap into each other; the order of spatial axes does not matter. */
  @Override
  public Permuted permuted(List<Long> perm) {
    Relayout r = Relayout.of(layout, perm);
    return r == null ? null : new Permuted(new GlobalAveragePool(r.layout()), perm);
  }

  @Override
  public List<TensorType> inferTypes(InferContext ctx) {
    TensorType x = layout.toNchw(ctx.operand(0));
    Shapes.requireFloat(x, "global_average_pool input");
    OpError.check(x.rank() >= 3, "input must have rank >= 3 (N, C, spatial...), got %s", x);
    List<Dim> out = new ArrayList<>(x.shape().dims().subList(0, 2));
    for (int i = 2; i < x.rank(); i++) {
      out.add(Dim.of(1));
    }
    return List.of(layout.fromNchw(x.withShape(new Shape(out))));
  }

  @Override
  public List<dev.kiln.ir.Tensor> evaluate(EvalContext ctx, List<dev.kiln.ir.Tensor> operands) {
    dev.kiln.ir.Tensor x = layout.toNchw(operands.getFirst());
    TensorType out = new GlobalAveragePool()
      .inferTypes(new InferContext(List.of(x.type()), List.of()))
      .getFirst();
    long[] s = x.shape().sizes();
    long inner = Strides.product(s, 2, s.length);
    dev.kiln.ir.Tensor.Builder b = new dev.kiln.ir.Tensor.Builder(out);
    for (long p = 0; p < s[0] * s[1]; p++) {
      double acc = 0;
      for (long i = 0; i < inner; i++) {
        acc += x.getDouble(p * inner + i);
      }
      b.setDouble(p, acc / inner);
    }
    return List.of(layout.fromNchw(b.build()));
  }

  @Override
  public void lower(dev.kiln.ir.loop.LowerContext ctx) {
    Layout.requireNchwForLowering(layout);
    WindowLowering.globalAveragePool(ctx);
  }
}
