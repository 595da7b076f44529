package dev.kiln.ir.op;

import dev.kiln.ir.Dim;
import dev.kiln.ir.Shape;
import dev.kiln.ir.TensorType;
import java.util.ArrayList;
import java.util.List;

/** Type inference shared by the windowed pooling ops. */
final class Pooling {

  private Pooling() {}

  static TensorType infer(
    TensorType x,
    List<Long> kernel,
    List<Long> strides,
    List<Long> pads,
    List<Long> dilations,
    boolean ceilMode
  ) {
    OpError.check(x.rank() >= 3, "input must have rank >= 3 (N, C, spatial...), got %s", x);
    int k = x.rank() - 2;
    OpError.check(kernel.size() == k, "kernel needs %d values, got %s", k, kernel);
    for (long v : kernel) {
      OpError.check(v >= 1, "kernel sizes must be positive, got %s", kernel);
    }
    Windows.checkLengths(k, strides, pads, dilations);
    List<Dim> out = new ArrayList<>(x.shape().dims().subList(0, 2));
    for (int i = 0; i < k; i++) {
      out.add(
        Windows.outputDim(
          x.shape().dim(i + 2),
          Dim.of(kernel.get(i)),
          strides.isEmpty() ? 1 : strides.get(i),
          dilations.isEmpty() ? 1 : dilations.get(i),
          pads.isEmpty() ? 0 : pads.get(i),
          pads.isEmpty() ? 0 : pads.get(i + k),
          ceilMode
        )
      );
    }
    return new TensorType(x.elementType(), new Shape(out));
  }

  /** How pooled values combine. */
  enum Kind {
    MAX,
    AVERAGE,
    AVERAGE_INCLUDE_PAD,
  }

  static dev.kiln.ir.Tensor evaluate(
    dev.kiln.ir.Tensor x,
    TensorType outType,
    List<Long> kernel,
    List<Long> strides,
    List<Long> pads,
    List<Long> dilations,
    Kind kind
  ) {
    long[] xs = x.shape().sizes();
    long[] os = outType.shape().sizes();
    int k = xs.length - 2;
    long[] in = WindowLoops.spatial(xs);
    long[] out = WindowLoops.spatial(os);
    long[] kern = kernel.stream().mapToLong(Long::longValue).toArray();
    long[] st = WindowLoops.orOnes(strides, k);
    long[] dl = WindowLoops.orOnes(dilations, k);
    long[] pb = WindowLoops.padBegins(pads, k);
    long[] pe = WindowLoops.padEnds(pads, k);
    long inPlane = Strides.product(in, 0, k);
    long outPlane = Strides.product(out, 0, k);
    long kPlane = Strides.product(kern, 0, k);
    long planes = xs[0] * xs[1];
    double[] xv = x.toDoubles();
    dev.kiln.ir.Tensor.Builder b = new dev.kiln.ir.Tensor.Builder(outType);
    long[] op = new long[k];
    long[] kp = new long[k];
    for (long p = 0; p < planes; p++) {
      for (long o = 0; o < outPlane; o++) {
        Strides.unravel(o, out, op);
        double acc = kind == Kind.MAX ? Double.NEGATIVE_INFINITY : 0;
        long count = 0;
        long padded = 0;
        for (long q = 0; q < kPlane; q++) {
          Strides.unravel(q, kern, kp);
          long off = WindowLoops.inputOffset(op, kp, in, st, dl, pb);
          if (off < 0) {
            boolean inPads = true;
            for (int d = 0; d < k; d++) {
              long pos = op[d] * st[d] - pb[d] + kp[d] * dl[d];
              inPads &= pos >= -pb[d] && pos < in[d] + pe[d];
            }
            padded += inPads ? 1 : 0;
            continue;
          }
          double v = xv[(int) (p * inPlane + off)];
          acc = kind == Kind.MAX ? (Double.isNaN(v) || v > acc ? v : acc) : acc + v;
          count++;
        }
        double r = switch (kind) {
          case MAX -> acc;
          case AVERAGE -> acc / count;
          case AVERAGE_INCLUDE_PAD -> acc / (count + padded);
        };
        b.setDouble(p * outPlane + o, r);
      }
    }
    return b.build();
  }
}
