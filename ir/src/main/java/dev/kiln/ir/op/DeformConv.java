package dev.kiln.ir.op;

import dev.kiln.ir.Dim;
import dev.kiln.ir.Shape;
import dev.kiln.ir.Tensor;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.loop.Ex;
import dev.kiln.ir.loop.Expr;
import dev.kiln.ir.loop.LowerContext;
import dev.kiln.ir.loop.Scalar;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Deformable 2-D convolution: {@code nn.conv} whose kernel tap {@code (i, j)} at output {@code (oh,
 * ow)} reads {@code x} at {@code (oh * sh - pt + i * dh + offset_y, ow * sw - pl + j * dw +
 * offset_x)} by bilinear interpolation (samples outside {@code x} read 0), scaled by {@code mask}.
 * {@code x: [N, C, H, W]}, {@code w: [M, C/group, kH, kW]}, {@code offset: [N, G * kH * kW * 2,
 * oH, oW]} holding {@code (offset_y, offset_x)} per tap for each of the {@code G = offsetGroup}
 * channel groups, {@code bias: [M]} and optional {@code mask: [N, G * kH * kW, oH, oW]} (ones
 * when absent). Output {@code [N, M, oH, oW]} with extents as for {@code nn.conv}. ONNX {@code
 * DeformConv}.
 */
public record DeformConv(
  List<Long> strides,
  List<Long> pads,
  List<Long> dilations,
  long group,
  long offsetGroup
) implements Op {
  public static final OpSpec SPEC = OpSpec.of(
    "nn.deform_conv",
    List.of("x", "w", "offset", "bias", "mask?"),
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
      "offsetGroup",
      1L
    )
  );

  public DeformConv {
    strides = Windows.unlessAll(strides, 1);
    pads = Windows.unlessAll(pads, 0);
    dilations = Windows.unlessAll(dilations, 1);
  }

  @Override
  public List<TensorType> inferTypes(InferContext ctx) {
    TensorType x = ctx.operand(0);
    TensorType w = ctx.operand(1);
    TensorType offset = ctx.operand(2);
    Shapes.requireFloat(x, "deform_conv input");
    OpError.check(
      x.rank() == 4 && w.rank() == 4,
      "input and weight must have rank 4, got %s, %s",
      x,
      w
    );
    OpError.check(
      w.elementType() == x.elementType() && offset.elementType() == x.elementType(),
      "weight %s and offset %s must have the input's element type %s",
      w,
      offset,
      x.elementType()
    );
    OpError.check(offset.rank() == 4, "offset must have rank 4, got %s", offset);
    Windows.checkLengths(2, strides, pads, dilations);
    OpError.check(group >= 1 && offsetGroup >= 1, "group and offset group must be positive");
    Dim c = x.shape().dim(1);
    Dim wc = w.shape().dim(1);
    if (c.isKnown() && wc.isKnown()) {
      OpError.check(
        c.size() == wc.size() * group,
        "input channels (%d) must equal weight in-channels (%d) * group (%d)",
        c.size(),
        wc.size(),
        group
      );
      OpError.check(
        c.size() % offsetGroup == 0,
        "input channels (%d) must be divisible by offset group (%d)",
        c.size(),
        offsetGroup
      );
    }
    Dim m = w.shape().dim(0);
    List<Dim> out = new ArrayList<>();
    out.add(x.shape().dim(0));
    out.add(m);
    for (int i = 0; i < 2; i++) {
      Dim o = Windows.outputDim(
        x.shape().dim(i + 2),
        w.shape().dim(i + 2),
        strides.isEmpty() ? 1 : strides.get(i),
        dilations.isEmpty() ? 1 : dilations.get(i),
        pads.isEmpty() ? 0 : pads.get(i),
        pads.isEmpty() ? 0 : pads.get(i + 2),
        false
      );
      Dim od = offset.shape().dim(i + 2);
      OpError.check(
        !o.isKnown() || !od.isKnown() || o.size() == od.size(),
        "offset extent %s differs from output extent %s on spatial axis %d",
        od,
        o,
        i
      );
      out.add(o);
    }
    Dim kh = w.shape().dim(2);
    Dim kw = w.shape().dim(3);
    Dim oc = offset.shape().dim(1);
    if (kh.isKnown() && kw.isKnown() && oc.isKnown()) {
      OpError.check(
        oc.size() == offsetGroup * kh.size() * kw.size() * 2,
        "offset channels (%d) must be offset group * kH * kW * 2 (%d)",
        oc.size(),
        offsetGroup * kh.size() * kw.size() * 2
      );
    }
    Windows.checkBias(x, ctx.operand(3), Dim.UNKNOWN);
    if (ctx.operands().size() > 4) {
      TensorType mask = ctx.operand(4);
      OpError.check(
        mask.rank() == 4 && mask.elementType() == x.elementType(),
        "mask must be a rank-4 %s tensor, got %s",
        x.elementType(),
        mask
      );
    }
    return List.of(new TensorType(x.elementType(), new Shape(out)));
  }

  @Override
  public List<Tensor> evaluate(EvalContext ctx, List<Tensor> operands) {
    TensorType outType = inferTypes(
      new InferContext(operands.stream().map(Tensor::type).toList(), List.of())
    ).getFirst();
    long[] xs = operands.get(0).shape().sizes();
    long[] ws = operands.get(1).shape().sizes();
    long[] os = outType.shape().sizes();
    double[] xv = operands.get(0).toDoubles();
    double[] wv = operands.get(1).toDoubles();
    double[] off = operands.get(2).toDoubles();
    double[] bias = operands.get(3).toDoubles();
    double[] mask = operands.size() > 4 ? operands.get(4).toDoubles() : null;
    int n = (int) xs[0];
    int c = (int) xs[1];
    int h = (int) xs[2];
    int wd = (int) xs[3];
    int m = (int) ws[0];
    int kh = (int) ws[2];
    int kw = (int) ws[3];
    int oh = (int) os[2];
    int ow = (int) os[3];
    int taps = kh * kw;
    int cg = c / (int) group;
    int mg = m / (int) group;
    int cPerOffset = c / (int) offsetGroup;
    long sh = strides.isEmpty() ? 1 : strides.get(0);
    long sw = strides.isEmpty() ? 1 : strides.get(1);
    long dh = dilations.isEmpty() ? 1 : dilations.get(0);
    long dw = dilations.isEmpty() ? 1 : dilations.get(1);
    long pt = pads.isEmpty() ? 0 : pads.get(0);
    long pl = pads.isEmpty() ? 0 : pads.get(1);
    double[] y = new double[n * m * oh * ow];
    double[] cols = new double[c * taps];
    for (int b = 0; b < n; b++) {
      for (int py = 0; py < oh; py++) {
        for (int px = 0; px < ow; px++) {
          for (int ch = 0; ch < c; ch++) {
            int g = ch / cPerOffset;
            for (int i = 0; i < kh; i++) {
              for (int j = 0; j < kw; j++) {
                int t = i * kw + j;
                int oIdx = (((b * (int) offsetGroup + g) * taps + t) * 2) * oh * ow;
                double yy = py * sh - pt + i * dh + off[oIdx + py * ow + px];
                double xx = px * sw - pl + j * dw + off[oIdx + oh * ow + py * ow + px];
                double v = bilinear(xv, (b * c + ch) * h * wd, h, wd, yy, xx);
                if (mask != null) {
                  v *= mask[((b * (int) offsetGroup + g) * taps + t) * oh * ow + py * ow + px];
                }
                cols[ch * taps + t] = v;
              }
            }
          }
          for (int oc = 0; oc < m; oc++) {
            int g = oc / mg;
            double acc = bias[oc];
            for (int ic = 0; ic < cg; ic++) {
              int wBase = (oc * cg + ic) * taps;
              int cBase = (g * cg + ic) * taps;
              for (int t = 0; t < taps; t++) {
                acc += wv[wBase + t] * cols[cBase + t];
              }
            }
            y[((b * m + oc) * oh + py) * ow + px] = acc;
          }
        }
      }
    }
    return List.of(Tensor.ofDoubles(outType, y));
  }

  /** {@code plane} sampled at {@code (yy, xx)}, corners outside the plane reading 0. */
  private static double bilinear(double[] x, int base, int h, int w, double yy, double xx) {
    double y0 = Math.floor(yy);
    double x0 = Math.floor(xx);
    double fy = yy - y0;
    double fx = xx - x0;
    double acc = 0;
    for (int dy = 0; dy < 2; dy++) {
      for (int dx = 0; dx < 2; dx++) {
        double r = y0 + dy;
        double q = x0 + dx;
        if (r < 0 || r >= h || q < 0 || q >= w) {
          continue;
        }
        double weight = (dy == 0 ? 1 - fy : fy) * (dx == 0 ? 1 - fx : fx);
        acc += weight * x[base + (int) r * w + (int) q];
      }
    }
    return acc;
  }

  /**
   * One accumulator per output element; each tap samples its input channel at the offset position
   * from the four neighbouring elements, each read under a bounds check.
   */
  @Override
  public void lower(LowerContext ctx) {
    long[] xs = ctx.operandDims(0);
    long[] ws = ctx.operandDims(1);
    long[] os = ctx.resultDims(0);
    Scalar t = ctx.resultScalar(0);
    long kh = ws[2];
    long kw = ws[3];
    long taps = kh * kw;
    long cg = xs[1] / group;
    long mg = ws[0] / group;
    long cPerOffset = xs[1] / offsetGroup;
    long[] st = WindowLoops.orOnes(strides, 2);
    long[] dl = WindowLoops.orOnes(dilations, 2);
    long[] pb = WindowLoops.padBegins(pads, 2);
    boolean mask = ctx.numOperands() > 4;
    WindowLowering.nest(ctx, "n", new long[] { os[0], group, mg, os[2], os[3] }, idx -> {
      Expr b = idx.get(0);
      Expr oc = Ex.add(Ex.mul(idx.get(1), Ex.i64(mg)), idx.get(2));
      Expr py = idx.get(3);
      Expr px = idx.get(4);
      Expr.Var acc = ctx.let("acc", ctx.load(3, List.of(oc)));
      WindowLowering.nest(ctx, "k", new long[] { cg, kh, kw }, k -> {
        Expr ic = k.get(0);
        Expr ch = Ex.add(Ex.mul(idx.get(1), Ex.i64(cg)), ic);
        Expr tap = Ex.add(
          Ex.mul(Ex.div(ch, Ex.i64(cPerOffset)), Ex.i64(taps)),
          Ex.add(Ex.mul(k.get(1), Ex.i64(kw)), k.get(2))
        );
        Expr offY = ctx.load(2, List.of(b, Ex.mul(tap, Ex.i64(2)), py, px));
        Expr offX = ctx.load(2, List.of(b, Ex.add(Ex.mul(tap, Ex.i64(2)), Ex.i64(1)), py, px));
        Expr.Var yy = ctx.let("yy", Ex.add(position(t, py, k.get(1), st[0], pb[0], dl[0]), offY));
        Expr.Var xx = ctx.let("xx", Ex.add(position(t, px, k.get(2), st[1], pb[1], dl[1]), offX));
        Expr.Var y0 = ctx.let("y0", Ex.floor(yy));
        Expr.Var x0 = ctx.let("x0", Ex.floor(xx));
        Expr fy = Ex.sub(yy, y0);
        Expr fx = Ex.sub(xx, x0);
        Expr.Var r0 = ctx.let("r", Ex.cast(Scalar.I64, y0));
        Expr.Var q0 = ctx.let("q", Ex.cast(Scalar.I64, x0));
        Expr.Var v = ctx.let("v", Ex.c(t, 0));
        for (int dy = 0; dy < 2; dy++) {
          for (int dx = 0; dx < 2; dx++) {
            Expr r = Ex.add(r0, Ex.i64(dy));
            Expr q = Ex.add(q0, Ex.i64(dx));
            Expr weight = Ex.mul(
              dy == 0 ? Ex.sub(Ex.one(fy), fy) : fy,
              dx == 0 ? Ex.sub(Ex.one(fx), fx) : fx
            );
            Expr inside = Ex.and(
              Ex.and(Ex.ge(r, Ex.i64(0)), Ex.lt(r, Ex.i64(xs[2]))),
              Ex.and(Ex.ge(q, Ex.i64(0)), Ex.lt(q, Ex.i64(xs[3])))
            );
            ctx.ifThen(
              inside,
              () -> ctx.assign(v, Ex.add(v, Ex.mul(weight, ctx.load(0, List.of(b, ch, r, q))))),
              null
            );
          }
        }
        Expr sample = mask ? Ex.mul(v, ctx.load(4, List.of(b, tap, py, px))) : v;
        Expr wv = ctx.load(1, List.of(oc, ic, k.get(1), k.get(2)));
        ctx.assign(acc, Ex.add(acc, Ex.mul(wv, sample)));
      });
      ctx.store(0, List.of(b, oc, py, px), acc);
    });
  }

  /** {@code out * stride - pad + k * dilation} as a float of type {@code t}. */
  private static Expr position(Scalar t, Expr out, Expr k, long stride, long pad, long dilation) {
    return Ex.cast(
      t,
      Ex.add(Ex.sub(Ex.mul(out, Ex.i64(stride)), Ex.i64(pad)), Ex.mul(k, Ex.i64(dilation)))
    );
  }
}
