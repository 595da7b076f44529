package dev.kiln.ir.op;

import dev.kiln.ir.Dim;
import dev.kiln.ir.TensorType;
import java.util.List;

/** Sliding-window arithmetic shared by convolution and pooling. */
public final class Windows {

  private Windows() {}

  /**
   * The output extent of a window of size {@code k} sliding over {@code in}: {@code floor((in + pb +
   * pe - (d * (k - 1) + 1)) / s) + 1}, or with {@code ceil} instead of floor when {@code ceilMode},
   * dropping a last window that would start in the end padding.
   */
  public static Dim outputDim(
    Dim in,
    Dim k,
    long stride,
    long dilation,
    long padBegin,
    long padEnd,
    boolean ceilMode
  ) {
    if (!in.isKnown() || !k.isKnown()) {
      return Dim.UNKNOWN;
    }
    long effective = dilation * (k.size() - 1) + 1;
    long span = in.size() + padBegin + padEnd - effective;
    OpError.check(
      span >= 0,
      "window of %d (kernel %d, dilation %d) exceeds padded input %d",
      effective,
      k.size(),
      dilation,
      in.size() + padBegin + padEnd
    );
    long out = ceilMode ? Math.ceilDiv(span, stride) + 1 : span / stride + 1;
    if (ceilMode && (out - 1) * stride >= in.size() + padBegin) {
      out--;
    }
    return Dim.of(out);
  }

  /** Checks that non-empty window attribute lists have the lengths {@code k} spatial axes need. */
  public static void checkLengths(
    int k,
    List<Long> strides,
    List<Long> pads,
    List<Long> dilations
  ) {
    OpError.check(
      strides.isEmpty() || strides.size() == k,
      "strides need %d values, got %s",
      k,
      strides
    );
    OpError.check(
      pads.isEmpty() || pads.size() == 2 * k,
      "pads need %d values, got %s",
      2 * k,
      pads
    );
    OpError.check(
      dilations.isEmpty() || dilations.size() == k,
      "dilations need %d values, got %s",
      k,
      dilations
    );
    for (long s : strides) {
      OpError.check(s >= 1, "strides must be positive, got %s", strides);
    }
    for (long d : dilations) {
      OpError.check(d >= 1, "dilations must be positive, got %s", dilations);
    }
    for (long p : pads) {
      OpError.check(p >= 0, "pads must not be negative, got %s", pads);
    }
  }

  /**
   * Checks a per-channel bias of a convolution-like op over {@code x}: rank 1, the element type of
   * {@code x}, and {@code channels} long where both lengths are known.
   */
  public static void checkBias(TensorType x, TensorType bias, Dim channels) {
    OpError.check(
      bias.rank() == 1 && bias.elementType() == x.elementType(),
      "bias must be 1-D %s, got %s",
      x.elementType(),
      bias
    );
    Dim length = bias.shape().dim(0);
    OpError.check(
      !length.isKnown() || !channels.isKnown() || length.size() == channels.size(),
      "bias length (%s) must equal output channels (%s)",
      length,
      channels
    );
  }

  /** {@code values} as an immutable list, or the empty list when every entry equals {@code fill}. */
  public static List<Long> unlessAll(List<Long> values, long fill) {
    return values.stream().allMatch(v -> v == fill) ? List.of() : List.copyOf(values);
  }
}
