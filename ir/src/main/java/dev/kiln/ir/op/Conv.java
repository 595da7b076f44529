package dev.kiln.ir.op;

import dev.kiln.ir.Dim;
import dev.kiln.ir.Shape;
import dev.kiln.ir.TensorType;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * N-dimensional convolution (cross-correlation) in NCHW layout: {@code x: [N, C, D1..Dk]}, {@code
 * w: [M, C/group, K1..Kk]}, optional {@code bias: [M]}; output {@code [N, M, O1..Ok]} with {@code
 * Oi = floor((Di + padBegin_i + padEnd_i - dilation_i * (Ki - 1) - 1) / stride_i) + 1}. {@code
 * pads} holds all begins then all ends, as in ONNX; empty lists mean zeros (pads) and ones (strides,
 * dilations). ONNX {@code Conv} with {@code auto_pad} resolved by the frontend.
 *
 * <p>With {@code layout = nhwc} the input, residual and output are channels-last ({@code x: [N, D1..Dk,
 * C]}, output {@code [N, O1..Ok, M]}, same formula); the weight keeps its {@code [M, C/group,
 * K1..Kk]} layout and the bias stays per output channel.
 *
 * <p>Epilogue (set by {@code fold-conv-bn} and {@code fuse-activation}, absent in imported IR):
 * {@code y = activation(conv(x, w) + bias + residual)}, where the optional {@code residual}
 * broadcasts to the output shape without changing it (a node with a residual also has a bias) and
 * {@code activation} with {@code activationAlpha}, {@code activationBeta} is an {@link Activation}.
 */
public record Conv(
  List<Long> strides,
  List<Long> pads,
  List<Long> dilations,
  long group,
  Activation activation,
  double activationAlpha,
  double activationBeta,
  Layout layout
) implements Op, ChannelLayout {
  public static final OpSpec SPEC = OpSpec.of(
    "nn.conv",
    List.of("x", "w", "bias?", "residual?"),
    List.of("y")
  ).withDefaults(
    Map.of(
      "strides",
      List.of(),
      "pads",
      List.of(),
      "dilations",
      List.of(),
      "group",
      1L,
      "activation",
      Activation.NONE,
      "activationAlpha",
      0.0,
      "activationBeta",
      0.0,
      "layout",
      Layout.NCHW
    )
  );

  public Conv {
    strides = Windows.unlessAll(strides, 1);
    pads = Windows.unlessAll(pads, 0);
    dilations = Windows.unlessAll(dilations, 1);
  }

  /** A convolution without epilogue. */
  public Conv(List<Long> strides, List<Long> pads, List<Long> dilations, long group) {
    this(strides, pads, dilations, group, Activation.NONE, 0.0, 0.0);
  }

  /** An NCHW convolution with an epilogue. */
  public Conv(
    List<Long> strides,
    List<Long> pads,
    List<Long> dilations,
    long group,
    Activation activation,
    double activationAlpha,
    double activationBeta
  ) {
    this(strides, pads, dilations, group, activation, activationAlpha, activationBeta, Layout.NCHW);
  }

  /** This convolution with the activation {@code a} as its epilogue. */
  public Conv withActivation(Activation a, double alpha, double beta) {
    return new Conv(strides, pads, dilations, group, a, alpha, beta, layout);
  }

  /** This convolution reading and writing activations in layout {@code l}. */
  public Conv withLayout(Layout l) {
    return new Conv(
      strides,
      pads,
      dilations,
      group,
      activation,
      activationAlpha,
      activationBeta,
      l
    );
  }

  /** The input ({@code x}) and the residual follow the layout; weight and bias do not. */
  @Override
  public boolean carriesLayout(int index) {
    return index == 0 || index == 3;
  }

  /** NCHW and NHWC swap into each other; a permutation of spatial axes would permute the weight. */
  @Override
  public Permuted permuted(List<Long> perm) {
    Relayout r = Relayout.of(layout, perm);
    return r == null || !r.keepsSpatialOrder() ? null : new Permuted(withLayout(r.layout()), perm);
  }

  /** Stride along spatial axis {@code i}. */
  public long stride(int i) {
    return strides.isEmpty() ? 1 : strides.get(i);
  }

  public long dilation(int i) {
    return dilations.isEmpty() ? 1 : dilations.get(i);
  }

  public long padBegin(int i) {
    return pads.isEmpty() ? 0 : pads.get(i);
  }

  public long padEnd(int i, int spatialRank) {
    return pads.isEmpty() ? 0 : pads.get(i + spatialRank);
  }

  @Override
  public List<TensorType> inferTypes(InferContext ctx) {
    TensorType x = layout.toNchw(ctx.operand(0));
    TensorType w = ctx.operand(1);
    Shapes.requireFloat(x, "conv input");
    OpError.check(x.elementType() == w.elementType(), "weight type %s differs from input %s", w, x);
    OpError.check(x.rank() >= 3, "input must have rank >= 3 (N, C, spatial...), got %s", x);
    OpError.check(
      w.rank() == x.rank(),
      "weight rank %d must equal input rank %d",
      w.rank(),
      x.rank()
    );
    int k = x.rank() - 2;
    Windows.checkLengths(k, strides, pads, dilations);
    OpError.check(group >= 1, "group must be positive, got %d", group);
    Dim c = x.shape().dim(1);
    Dim wc = w.shape().dim(1);
    Dim m = w.shape().dim(0);
    if (c.isKnown() && wc.isKnown()) {
      OpError.check(
        c.size() == wc.size() * group,
        "input channels (%d) must equal weight in-channels (%d) * group (%d)",
        c.size(),
        wc.size(),
        group
      );
    }
    if (m.isKnown()) {
      OpError.check(
        m.size() % group == 0,
        "output channels (%d) must be divisible by group (%d)",
        m.size(),
        group
      );
    }
    if (ctx.operands().size() > 2) {
      Windows.checkBias(x, ctx.operand(2), m);
    }
    List<Dim> out = new ArrayList<>();
    out.add(x.shape().dim(0));
    out.add(m);
    for (int i = 0; i < k; i++) {
      Dim in = x.shape().dim(i + 2);
      Dim kern = w.shape().dim(i + 2);
      out.add(
        Windows.outputDim(in, kern, stride(i), dilation(i), padBegin(i), padEnd(i, k), false)
      );
    }
    TensorType y = layout.fromNchw(new TensorType(x.elementType(), new Shape(out)));
    if (ctx.operands().size() > 3) {
      Epilogue.checkAddend(y, ctx.operand(3), "residual");
    }
    Epilogue.checkActivation(activation, y);
    return List.of(y);
  }

  @Override
  public List<dev.kiln.ir.Tensor> evaluate(EvalContext ctx, List<dev.kiln.ir.Tensor> operands) {
    dev.kiln.ir.Tensor x = operands.get(0);
    dev.kiln.ir.Tensor w = operands.get(1);
    TensorType outType = inferTypes(
      new InferContext(operands.stream().map(dev.kiln.ir.Tensor::type).toList(), List.of())
    ).getFirst();
    if (layout != Layout.NCHW) {
      List<dev.kiln.ir.Tensor> nchw = new ArrayList<>(operands);
      nchw.set(0, layout.toNchw(x));
      if (operands.size() > 3) {
        List<Long> shape = new ArrayList<>();
        for (long d : outType.shape().sizes()) {
          shape.add(d);
        }
        dev.kiln.ir.Tensor r = new Expand(shape).evaluate(ctx, List.of(operands.get(3))).getFirst();
        nchw.set(3, layout.toNchw(r));
      }
      return List.of(layout.fromNchw(withLayout(Layout.NCHW).evaluate(ctx, nchw).getFirst()));
    }
    long[] xs = x.shape().sizes();
    long[] ws = w.shape().sizes();
    long[] os = outType.shape().sizes();
    int k = xs.length - 2;
    long[] in = WindowLoops.spatial(xs);
    long[] kern = WindowLoops.spatial(ws);
    long[] out = WindowLoops.spatial(os);
    long[] st = WindowLoops.orOnes(strides, k);
    long[] dl = WindowLoops.orOnes(dilations, k);
    long[] pb = WindowLoops.padBegins(pads, k);
    long n = xs[0];
    long c = xs[1];
    long m = ws[0];
    long cg = c / group;
    long mg = m / group;
    long inPlane = Strides.product(in, 0, k);
    long kPlane = Strides.product(kern, 0, k);
    long outPlane = Strides.product(out, 0, k);
    double[] xv = x.toDoubles();
    double[] wv = w.toDoubles();
    double[] bias = operands.size() > 2 ? operands.get(2).toDoubles() : null;
    double[] residual = operands.size() > 3 ? Epilogue.expand(operands.get(3), os) : null;
    java.util.function.DoubleUnaryOperator act = activation.function(
      activationAlpha,
      activationBeta
    );
    int[][] offsets = new int[(int) outPlane][(int) kPlane];
    long[] op = new long[k];
    long[] kp = new long[k];
    for (int o = 0; o < outPlane; o++) {
      Strides.unravel(o, out, op);
      for (int q = 0; q < kPlane; q++) {
        Strides.unravel(q, kern, kp);
        offsets[o][q] = (int) WindowLoops.inputOffset(op, kp, in, st, dl, pb);
      }
    }
    dev.kiln.ir.Tensor.Builder b = new dev.kiln.ir.Tensor.Builder(outType);
    for (long b0 = 0; b0 < n; b0++) {
      for (long oc = 0; oc < m; oc++) {
        long g = oc / mg;
        for (int o = 0; o < outPlane; o++) {
          double acc = bias == null ? 0 : bias[(int) oc];
          for (long ic = 0; ic < cg; ic++) {
            int xBase = (int) ((b0 * c + g * cg + ic) * inPlane);
            int wBase = (int) ((oc * cg + ic) * kPlane);
            int[] offs = offsets[o];
            for (int q = 0; q < kPlane; q++) {
              int off = offs[q];
              if (off >= 0) {
                acc += xv[xBase + off] * wv[wBase + q];
              }
            }
          }
          long at = (b0 * m + oc) * outPlane + o;
          if (residual != null) {
            acc += residual[(int) at];
          }
          b.setDouble(at, act.applyAsDouble(acc));
        }
      }
    }
    return List.of(b.build());
  }

  @Override
  public void lower(dev.kiln.ir.loop.LowerContext ctx) {
    Layout.requireNchwForLowering(layout);
    WindowLowering.conv(ctx, this);
  }
}
