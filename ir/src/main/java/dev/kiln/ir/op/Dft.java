package dev.kiln.ir.op;

import dev.kiln.ir.Dim;
import dev.kiln.ir.Shape;
import dev.kiln.ir.Tensor;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.loop.Ex;
import dev.kiln.ir.loop.Expr;
import dev.kiln.ir.loop.LowerContext;
import dev.kiln.ir.loop.Scalar;
import dev.kiln.ir.loop.UnaryOp;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Discrete Fourier transform along {@code axis} of {@code x: [..., L, ..., c]}, whose last axis
 * holds real ({@code c = 1}) or real and imaginary ({@code c = 2}) parts. With {@code n = length}
 * ({@code -1}: {@code L}, or {@code 2 * (L - 1)} for an inverse one-sided transform) the signal is
 * cut or zero-padded to {@code n} samples and {@code X[k] = sum_t x[t] * exp(-2 pi i k t / n)};
 * {@code inverse} uses {@code exp(+...)} and divides by {@code n}. {@code onesided} keeps the
 * first {@code n / 2 + 1} bins of a forward transform; for an inverse transform it reads those
 * bins as the half spectrum of a real signal (imaginary parts of the zero and Nyquist bins
 * ignored) and returns that real signal. Output: {@code axis} extent {@code n / 2 + 1} (forward,
 * one-sided) or {@code n}; last extent 1 (inverse one-sided) or 2. ONNX {@code DFT} (opsets 17,
 * 20) with the axis resolved by the frontend.
 */
public record Dft(long axis, boolean inverse, boolean onesided, long length) implements Op {
  public static final OpSpec SPEC = OpSpec.of("nn.dft", List.of("x"), List.of("y")).withDefaults(
    Map.of("inverse", false, "onesided", false, "length", -1L)
  );

  @Override
  public List<TensorType> inferTypes(InferContext ctx) {
    TensorType x = ctx.operand(0);
    Shapes.requireFloat(x, "dft input");
    int r = x.rank();
    OpError.check(r >= 2, "input must have rank >= 2, got %s", x);
    OpError.check(axis >= 0 && axis < r - 1, "axis %d must lie in [0, %d)", axis, r - 1);
    Dim c = x.shape().dim(r - 1);
    OpError.check(
      !c.isKnown() || c.size() == 1 || c.size() == 2,
      "last extent %s must be 1 (real) or 2 (complex)",
      c
    );
    OpError.check(length == -1 || length >= 1, "length must be positive, got %d", length);
    Dim in = x.shape().dim((int) axis);
    Dim n;
    if (length != -1) {
      n = Dim.of(length);
    } else if (inverse && onesided) {
      n = Shapes.map(in, v -> 2 * (v - 1));
    } else {
      n = in;
    }
    Dim bins = !inverse && onesided ? Shapes.map(n, v -> v / 2 + 1) : n;
    List<Dim> out = new ArrayList<>(x.shape().dims());
    out.set((int) axis, bins);
    out.set(r - 1, Dim.of(inverse && onesided ? 1 : 2));
    return List.of(x.withShape(new Shape(out)));
  }

  @Override
  public List<Tensor> evaluate(EvalContext ctx, List<Tensor> operands) {
    Tensor x = operands.getFirst();
    TensorType outType = inferTypes(new InferContext(List.of(x.type()), List.of())).getFirst();
    long[] xs = x.shape().sizes();
    long[] os = outType.shape().sizes();
    int r = xs.length;
    int a = (int) axis;
    long in = xs[a];
    long bins = os[a];
    long n = inverse && onesided ? bins : length != -1 ? length : in;
    int cin = (int) xs[r - 1];
    int cout = (int) os[r - 1];
    long outer = Strides.product(xs, 0, a);
    long inner = Strides.product(xs, a + 1, r - 1);
    double[] xv = x.toDoubles();
    double[] y = new double[Math.toIntExact(outer * bins * inner * cout)];
    double sign = inverse ? 1 : -1;
    double[] cos = new double[(int) n];
    double[] sin = new double[(int) n];
    for (int t = 0; t < n; t++) {
      double angle = (2 * Math.PI * t) / n;
      cos[t] = Math.cos(angle);
      sin[t] = sign * Math.sin(angle);
    }
    long samples = inverse && onesided ? Math.min(in, n / 2 + 1) : Math.min(in, n);
    for (long o = 0; o < outer; o++) {
      for (long i = 0; i < inner; i++) {
        for (long k = 0; k < bins; k++) {
          double re = 0;
          double im = 0;
          for (long t = 0; t < samples; t++) {
            int src = (int) (((o * in + t) * inner + i) * cin);
            double xr = xv[src];
            double xi = cin == 2 ? xv[src + 1] : 0;
            int ph = (int) ((k * t) % n);
            if (inverse && onesided) {
              boolean self = t == 0 || 2 * t == n;
              double weight = self ? 1 : 2;
              re += weight * (self ? xr * cos[ph] : xr * cos[ph] - xi * sin[ph]);
            } else {
              re += xr * cos[ph] - xi * sin[ph];
              im += xr * sin[ph] + xi * cos[ph];
            }
          }
          int dst = (int) (((o * bins + k) * inner + i) * cout);
          double scale = inverse ? 1.0 / n : 1;
          y[dst] = re * scale;
          if (cout == 2) {
            y[dst + 1] = im * scale;
          }
        }
      }
    }
    return List.of(Tensor.ofDoubles(outType, y));
  }

  /**
   * The direct O(n^2) sum of {@link #evaluate} per output bin, in F64, each twiddle factor
   * computed from the phase {@code (k * t) mod n} by {@code cos} and {@code sin}.
   */
  @Override
  public void lower(LowerContext ctx) {
    long[] xs = ctx.operandDims(0);
    long[] os = ctx.resultDims(0);
    int r = xs.length;
    int a = (int) axis;
    long in = xs[a];
    long bins = os[a];
    long n = inverse && onesided ? bins : length != -1 ? length : in;
    boolean complex = xs[r - 1] == 2;
    boolean half = inverse && onesided;
    long samples = half ? Math.min(in, n / 2 + 1) : Math.min(in, n);
    Scalar f64 = Scalar.F64;
    Scalar out = ctx.resultScalar(0);
    long[] lines = os.clone();
    lines[a] = 1;
    lines[r - 1] = 1;
    ctx.forEach(lines, idx ->
      AxisLowering.along(ctx, 0, bins, k -> {
        Expr.Var re = ctx.let("re", Ex.c(f64, 0));
        Expr.Var im = ctx.let("im", Ex.c(f64, 0));
        AxisLowering.along(ctx, 0, samples, t -> {
          List<Expr> at = AxisLowering.at(idx, a, t);
          Expr xr = Ex.cast(f64, ctx.load(0, at));
          Expr xi = complex
            ? Ex.cast(f64, ctx.load(0, AxisLowering.at(at, r - 1, Ex.i64(1))))
            : null;
          Expr phase = Ex.cast(f64, Ex.rem(Ex.mul(k, t), Ex.i64(n)));
          Expr.Var angle = ctx.let(
            "angle",
            Ex.div(Ex.mul(Ex.c(f64, 2 * Math.PI), phase), Ex.c(f64, n))
          );
          Expr.Var cos = ctx.let("cos", Ex.un(UnaryOp.COS, angle));
          Expr sine = Ex.un(UnaryOp.SIN, angle);
          Expr.Var sin = ctx.let("sin", inverse ? sine : Ex.neg(sine));
          Expr real = Ex.mul(xr, cos);
          Expr full = complex ? Ex.sub(real, Ex.mul(xi, sin)) : real;
          if (half) {
            Expr self = Ex.or(Ex.eq(t, Ex.i64(0)), Ex.eq(Ex.mul(t, Ex.i64(2)), Ex.i64(n)));
            ctx.assign(re, Ex.add(re, Ex.select(self, real, Ex.mul(Ex.c(f64, 2), full))));
          } else {
            ctx.assign(re, Ex.add(re, full));
            Expr imag = Ex.mul(xr, sin);
            ctx.assign(im, Ex.add(im, complex ? Ex.add(imag, Ex.mul(xi, cos)) : imag));
          }
        });
        Expr scale = Ex.c(f64, inverse ? 1.0 / n : 1);
        List<Expr> y = AxisLowering.at(idx, a, k);
        ctx.store(0, y, Ex.cast(out, Ex.mul(re, scale)));
        if (os[r - 1] == 2) {
          ctx.store(0, AxisLowering.at(y, r - 1, Ex.i64(1)), Ex.cast(out, Ex.mul(im, scale)));
        }
      })
    );
  }
}
