package dev.kiln.ir.op;

import dev.kiln.ir.Dim;
import dev.kiln.ir.Shape;
import dev.kiln.ir.Tensor;
import dev.kiln.ir.TensorType;
import java.util.ArrayList;
import java.util.List;

/**
 * Where the channel axis of an activation tensor sits, for the convolution, pooling and
 * normalization ops that carry a {@code layout} attribute. A rank-{@code r} tensor with {@code k = r
 * - 2} spatial axes is {@code [N, C, D1..Dk]} in {@link #NCHW} and {@code [N, D1..Dk, C]} in {@link
 * #NHWC}; the batch axis is always axis 0 and the spatial axes keep their order. Weights and
 * per-channel vectors (bias, scale) do not depend on the layout.
 */
public enum Layout {
  /** Channels first, {@code [N, C, D1..Dk]}: ONNX's layout and the default. */
  NCHW,
  /** Channels last, {@code [N, D1..Dk, C]}: TensorFlow's layout. */
  NHWC;

  /** The axis holding channels in a tensor of rank {@code rank} (at least 2). */
  public int channelAxis(int rank) {
    return this == NCHW ? 1 : rank - 1;
  }

  /** The axis holding spatial axis {@code i} (0-based) in a tensor of rank {@code rank}. */
  public int spatialAxis(int i, int rank) {
    return this == NCHW ? i + 2 : i + 1;
  }

  /**
   * The permutation that reorders a tensor in this layout into NCHW: {@code transpose(x, perm)} is
   * NCHW. The identity for {@code NCHW} and for ranks below 3.
   */
  public List<Long> toNchw(int rank) {
    List<Long> perm = new ArrayList<>();
    perm.add(0L);
    if (this == NHWC && rank >= 3) {
      perm.add((long) rank - 1);
      for (int i = 1; i < rank - 1; i++) {
        perm.add((long) i);
      }
    } else {
      for (int i = 1; i < rank; i++) {
        perm.add((long) i);
      }
    }
    return rank == 0 ? List.of() : perm;
  }

  /** The inverse of {@link #toNchw}: {@code transpose(nchw, perm)} is in this layout. */
  public List<Long> fromNchw(int rank) {
    return inverse(toNchw(rank));
  }

  /** {@code t} (in this layout) with its dimensions in NCHW order. */
  public TensorType toNchw(TensorType t) {
    return t.withShape(permute(t.shape(), toNchw(t.rank())));
  }

  /** {@code t} (in NCHW) with its dimensions in this layout's order. */
  public TensorType fromNchw(TensorType t) {
    return t.withShape(permute(t.shape(), fromNchw(t.rank())));
  }

  /** The values of {@code t} (in this layout) transposed to NCHW. */
  public Tensor toNchw(Tensor t) {
    return this == NCHW ? t : transpose(t, toNchw(t.shape().rank()));
  }

  /** The values of {@code t} (in NCHW) transposed to this layout. */
  public Tensor fromNchw(Tensor t) {
    return this == NCHW ? t : transpose(t, fromNchw(t.shape().rank()));
  }

  /** The inverse permutation: {@code inverse(p)[p[i]] = i}. */
  public static List<Long> inverse(List<Long> perm) {
    Long[] inv = new Long[perm.size()];
    for (int i = 0; i < perm.size(); i++) {
      inv[perm.get(i).intValue()] = (long) i;
    }
    return List.of(inv);
  }

  /** {@code shape} with dimension {@code i} taken from dimension {@code perm[i]}. */
  public static Shape permute(Shape shape, List<Long> perm) {
    List<Dim> out = new ArrayList<>();
    for (long p : perm) {
      out.add(shape.dim((int) p));
    }
    return new Shape(out);
  }

  /**
   * Lowerings compute channel-first tensors only; an NHWC node (from {@code convert-layout}) is
   * refused as not supported.
   */
  static void requireNchwForLowering(Layout layout) {
    if (layout != NCHW) {
      throw new UnsupportedOperationException("the " + layout + " layout is not supported");
    }
  }

  private static Tensor transpose(Tensor t, List<Long> perm) {
    return new Transpose(perm).evaluate(null, List.of(t)).getFirst();
  }
}
