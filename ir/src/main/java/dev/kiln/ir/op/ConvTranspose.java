package dev.kiln.ir.op;

import dev.kiln.ir.Dim;
import dev.kiln.ir.Shape;
import dev.kiln.ir.Tensor;
import dev.kiln.ir.TensorType;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Transposed convolution (the gradient of {@code nn.conv} with respect to its input) in NCHW
 * layout: {@code x: [N, C, D1..Dk]}, {@code w: [C, M/group, K1..Kk]}, optional {@code bias: [M]};
 * every input sample scatters {@code x[n, c, p] * w[c, m, q]} to output position {@code o_i = p_i
 * * stride_i + q_i * dilation_i - padBegin_i}, dropped when outside the output. Output {@code [N,
 * M, O1..Ok]} with {@code Oi = stride_i * (Di - 1) + outputPadding_i + dilation_i * (Ki - 1) + 1 -
 * padBegin_i - padEnd_i}; negative pads extend the output with positions nothing scatters to.
 * Empty lists mean zeros (pads, output padding) and ones (strides, dilations). ONNX {@code
 * ConvTranspose} with {@code auto_pad} and {@code output_shape} resolved to pads by the frontend.
 */
public record ConvTranspose(
  List<Long> strides,
  List<Long> pads,
  List<Long> dilations,
  List<Long> outputPadding,
  long group
) implements Op {
  public static final OpSpec SPEC = OpSpec.of(
    "nn.conv_transpose",
    List.of("x", "w", "bias?"),
    List.of("y")
  ).withDefaults(
    Map.of(
      "strides",
      List.of(),
      "pads",
      List.of(),
      "dilations",
      List.of(),
      "outputPadding",
      List.of(),
      "group",
      1L
    )
  );

  public ConvTranspose {
    strides = Windows.unlessAll(strides, 1);
    pads = Windows.unlessAll(pads, 0);
    dilations = Windows.unlessAll(dilations, 1);
    outputPadding = Windows.unlessAll(outputPadding, 0);
  }

  @Override
  public List<TensorType> inferTypes(InferContext ctx) {
    TensorType x = ctx.operand(0);
    TensorType w = ctx.operand(1);
    Shapes.requireFloat(x, "conv_transpose input");
    OpError.check(x.elementType() == w.elementType(), "weight type %s differs from input %s", w, x);
    OpError.check(x.rank() >= 3, "input must have rank >= 3 (N, C, spatial...), got %s", x);
    OpError.check(
      w.rank() == x.rank(),
      "weight rank %d must equal input rank %d",
      w.rank(),
      x.rank()
    );
    int k = x.rank() - 2;
    Windows.checkLengths(k, strides, List.of(), dilations);
    OpError.check(
      pads.isEmpty() || pads.size() == 2 * k,
      "pads need %d values, got %s",
      2 * k,
      pads
    );
    OpError.check(
      outputPadding.isEmpty() || outputPadding.size() == k,
      "output padding needs %d values, got %s",
      k,
      outputPadding
    );
    for (long p : outputPadding) {
      OpError.check(p >= 0, "output padding must not be negative, got %s", outputPadding);
    }
    OpError.check(group >= 1, "group must be positive, got %d", group);
    Dim c = x.shape().dim(1);
    Dim wc = w.shape().dim(0);
    OpError.check(
      !c.isKnown() || !wc.isKnown() || c.size() == wc.size(),
      "input channels (%s) must equal weight extent 0 (%s)",
      c,
      wc
    );
    OpError.check(
      !c.isKnown() || c.size() % group == 0,
      "input channels (%s) must be divisible by group (%d)",
      c,
      group
    );
    Dim m = Shapes.map(w.shape().dim(1), v -> v * group);
    if (ctx.operands().size() > 2) {
      Windows.checkBias(x, ctx.operand(2), m);
    }
    List<Dim> out = new ArrayList<>();
    out.add(x.shape().dim(0));
    out.add(m);
    long[] st = WindowLoops.orOnes(strides, k);
    long[] dl = WindowLoops.orOnes(dilations, k);
    long[] pb = WindowLoops.padBegins(pads, k);
    long[] pe = WindowLoops.padEnds(pads, k);
    long[] op = WindowLoops.padBegins(outputPadding, k);
    for (int i = 0; i < k; i++) {
      Dim in = x.shape().dim(i + 2);
      Dim kern = w.shape().dim(i + 2);
      if (!in.isKnown() || !kern.isKnown()) {
        out.add(Dim.UNKNOWN);
        continue;
      }
      long o = st[i] * (in.size() - 1) + op[i] + dl[i] * (kern.size() - 1) + 1 - pb[i] - pe[i];
      OpError.check(o >= 0, "output extent %d on spatial axis %d is negative", o, i);
      out.add(Dim.of(o));
    }
    return List.of(new TensorType(x.elementType(), new Shape(out)));
  }

  @Override
  public List<Tensor> evaluate(EvalContext ctx, List<Tensor> operands) {
    Tensor x = operands.get(0);
    Tensor w = operands.get(1);
    TensorType outType = inferTypes(
      new InferContext(operands.stream().map(Tensor::type).toList(), List.of())
    ).getFirst();
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
    long cg = c / group;
    long mg = ws[1];
    long m = mg * group;
    long inPlane = Strides.product(in, 0, k);
    long kPlane = Strides.product(kern, 0, k);
    long outPlane = Strides.product(out, 0, k);
    long[] outStrides = Strides.of(out);
    int[][] target = new int[(int) inPlane][(int) kPlane];
    long[] ip = new long[k];
    long[] kp = new long[k];
    for (int p = 0; p < inPlane; p++) {
      Strides.unravel(p, in, ip);
      for (int q = 0; q < kPlane; q++) {
        Strides.unravel(q, kern, kp);
        long off = 0;
        for (int i = 0; i < k; i++) {
          long o = ip[i] * st[i] + kp[i] * dl[i] - pb[i];
          if (o < 0 || o >= out[i]) {
            off = -1;
            break;
          }
          off += o * outStrides[i];
        }
        target[p][q] = (int) off;
      }
    }
    double[] xv = x.toDoubles();
    double[] wv = w.toDoubles();
    double[] y = new double[Math.toIntExact(n * m * outPlane)];
    if (operands.size() > 2) {
      double[] bias = operands.get(2).toDoubles();
      for (long b = 0; b < n; b++) {
        for (long oc = 0; oc < m; oc++) {
          java.util.Arrays.fill(
            y,
            (int) ((b * m + oc) * outPlane),
            (int) ((b * m + oc + 1) * outPlane),
            bias[(int) oc]
          );
        }
      }
    }
    for (long b = 0; b < n; b++) {
      for (long ic = 0; ic < c; ic++) {
        long g = ic / cg;
        int xBase = (int) ((b * c + ic) * inPlane);
        for (long oc = 0; oc < mg; oc++) {
          int yBase = (int) ((b * m + g * mg + oc) * outPlane);
          int wBase = (int) ((ic * mg + oc) * kPlane);
          for (int p = 0; p < inPlane; p++) {
            double v = xv[xBase + p];
            int[] t = target[p];
            for (int q = 0; q < kPlane; q++) {
              if (t[q] >= 0) {
                y[yBase + t[q]] += v * wv[wBase + q];
              }
            }
          }
        }
      }
    }
    return List.of(Tensor.ofDoubles(outType, y));
  }

  @Override
  public void lower(dev.kiln.ir.loop.LowerContext ctx) {
    WindowLowering.convTranspose(ctx, this);
  }
}
