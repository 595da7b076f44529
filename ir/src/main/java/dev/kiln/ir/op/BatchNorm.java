package dev.kiln.ir.op;

import dev.kiln.ir.Dim;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.loop.Ex;
import dev.kiln.ir.loop.Expr;
import dev.kiln.ir.loop.LowerContext;
import dev.kiln.ir.loop.Scalar;
import java.util.List;
import java.util.Map;

/**
 * Inference-mode batch normalization over axis 1: {@code y = (x - mean[c]) / sqrt(var[c] +
 * epsilon) * scale[c] + bias[c]}. {@code x: [N, C, ...]}; scale, bias, mean, var: {@code [C]}.
 * Output shape equals the input shape. With {@code layout = nhwc} the channel axis is the last
 * ({@code x: [N, ..., C]}). ONNX {@code BatchNormalization} (training outputs dropped by the
 * frontend).
 */
public record BatchNorm(double epsilon, Layout layout) implements Op, ChannelLayout {
  public static final OpSpec SPEC = OpSpec.of(
    "nn.batch_norm",
    List.of("x", "scale", "bias", "mean", "var"),
    List.of("y")
  ).withDefaults(Map.of("epsilon", 1e-5, "layout", Layout.NCHW));

  /** An NCHW batch normalization. */
  public BatchNorm(double epsilon) {
    this(epsilon, Layout.NCHW);
  }

  /** Only {@code x} follows the layout; the per-channel vectors do not. */
  @Override
  public boolean carriesLayout(int index) {
    return index == 0;
  }

  /** NCHW and NHWC swap into each other; the order of spatial axes does not matter. */
  @Override
  public Permuted permuted(List<Long> perm) {
    Relayout r = Relayout.of(layout, perm);
    return r == null ? null : new Permuted(new BatchNorm(epsilon, r.layout()), perm);
  }

  @Override
  public List<TensorType> inferTypes(InferContext ctx) {
    TensorType x = ctx.operand(0);
    Shapes.requireFloat(x, "batch_norm input");
    OpError.check(x.rank() >= 2, "input must have rank >= 2 (N, C, ...), got %s", x);
    Dim c = x.shape().dim(layout.channelAxis(x.rank()));
    String[] names = { "scale", "bias", "mean", "var" };
    for (int i = 1; i < 5; i++) {
      TensorType p = ctx.operand(i);
      OpError.check(p.rank() == 1, "%s must be 1-D, got %s", names[i - 1], p);
      Dim pc = p.shape().dim(0);
      OpError.check(
        !c.isKnown() || !pc.isKnown() || c.size() == pc.size(),
        "%s length (%s) must equal channels (%s)",
        names[i - 1],
        pc,
        c
      );
    }
    OpError.check(epsilon >= 0, "epsilon must not be negative, got %s", epsilon);
    return List.of(x);
  }

  @Override
  public List<dev.kiln.ir.Tensor> evaluate(EvalContext ctx, List<dev.kiln.ir.Tensor> operands) {
    dev.kiln.ir.Tensor x = operands.get(0);
    double[] scale = operands.get(1).toDoubles();
    double[] bias = operands.get(2).toDoubles();
    double[] mean = operands.get(3).toDoubles();
    double[] var = operands.get(4).toDoubles();
    long[] s = x.shape().sizes();
    int axis = layout.channelAxis(s.length);
    long c = s[axis];
    long inner = Strides.product(s, axis + 1, s.length);
    dev.kiln.ir.Tensor.Builder b = new dev.kiln.ir.Tensor.Builder(x.type());
    for (long i = 0; i < x.size(); i++) {
      int ch = (int) ((i / inner) % c);
      double v =
        ((x.getDouble(i) - mean[ch]) / Math.sqrt(var[ch] + epsilon)) * scale[ch] + bias[ch];
      b.setDouble(i, v);
    }
    return List.of(b.build());
  }

  /**
   * Loops over batch and channel with the channel's parameters and {@code sqrt(var + epsilon)} in
   * variables, then over the remaining axes.
   */
  @Override
  public void lower(LowerContext ctx) {
    Layout.requireNchwForLowering(layout);
    long[] dims = ctx.operandDims(0);
    long[] rest = java.util.Arrays.copyOfRange(dims, 2, dims.length);
    Scalar t = ctx.resultScalar(0);
    ctx.loop("n", dims[0], n ->
      ctx.loop("c", dims[1], c -> {
        List<Expr> at = List.of(c);
        Expr.Var scale = ctx.let("scale", Ex.cast(t, ctx.load(1, at)));
        Expr.Var bias = ctx.let("bias", Ex.cast(t, ctx.load(2, at)));
        Expr.Var mean = ctx.let("mean", Ex.cast(t, ctx.load(3, at)));
        Expr variance = Ex.cast(t, ctx.load(4, at));
        Expr.Var std = ctx.let("std", Ex.sqrt(Ex.add(variance, Ex.c(t, epsilon))));
        ctx.forEach(rest, r -> {
          List<Expr> idx = new java.util.ArrayList<>(List.of(n, c));
          idx.addAll(r);
          Expr y = Ex.add(Ex.mul(Ex.div(Ex.sub(ctx.load(0, idx), mean), std), scale), bias);
          ctx.store(0, idx, y);
        });
      })
    );
  }
}
