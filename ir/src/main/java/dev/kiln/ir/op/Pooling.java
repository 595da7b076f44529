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
}
