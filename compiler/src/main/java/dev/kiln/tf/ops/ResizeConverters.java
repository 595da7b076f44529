package dev.kiln.tf.ops;

import dev.kiln.ir.ElementType;
import dev.kiln.ir.Value;
import dev.kiln.ir.op.Resize;
import dev.kiln.ir.op.Resize.CoordinateMode;
import dev.kiln.ir.op.Resize.Mode;
import dev.kiln.ir.op.Resize.NearestMode;
import dev.kiln.tf.TfContext;
import dev.kiln.tf.TfConverter;
import dev.kiln.tf.TfError;
import dev.kiln.tf.TfNode;
import java.util.List;
import java.util.Map;

/**
 * {@code ResizeBilinear} and {@code ResizeNearestNeighbor} on NHWC images, as {@code nn.resize}
 * over the two spatial axes (no layout change: the resize is separable). With {@code in} and
 * {@code out} the extents of an axis, TensorFlow maps output coordinate {@code x} to
 *
 * <ul>
 *   <li>{@code align_corners}: {@code x * (in - 1) / (out - 1)}, Kiln's {@code align_corners};
 *       nearest rounds half up;
 *   <li>{@code half_pixel_centers}: bilinear {@code (x + 0.5) * in / out - 0.5}, Kiln's {@code
 *       half_pixel}; nearest {@code floor((x + 0.5) * in / out)}, which is {@code half_pixel}
 *       rounded half up;
 *   <li>neither: {@code x * in / out}, Kiln's {@code asymmetric}; nearest rounds down.
 * </ul>
 *
 * Bilinear always returns {@code float32}; nearest keeps the element type (integers are resized
 * through {@code f64}, which holds them exactly). Both attributes set is an error, as in
 * TensorFlow.
 */
final class ResizeConverters {

  private ResizeConverters() {}

  static void register(Map<String, TfConverter> r) {
    r.put("ResizeBilinear", (n, c) -> List.of(resize(n, c, Mode.LINEAR)));
    r.put("ResizeNearestNeighbor", (n, c) -> List.of(resize(n, c, Mode.NEAREST)));
  }

  private static Value resize(TfNode n, TfContext c, Mode mode) {
    Value x = n.input(0);
    TfError.check(Tf.rank(x) == 4, "images must have rank 4 (NHWC), got %s", x.type());
    List<Long> size = Tf.longs(c, n.input(1), "size");
    TfError.check(size.size() == 2, "size must hold 2 values (height, width), got %s", size);
    boolean corners = n.b("align_corners", false);
    boolean half = n.b("half_pixel_centers", false);
    TfError.check(!(corners && half), "align_corners and half_pixel_centers cannot both be true");
    long h = Tf.dim(x, 1, "the image height");
    long w = Tf.dim(x, 2, "the image width");
    TfError.check(
      size.get(0) > 0 && size.get(1) > 0 && h > 0 && w > 0,
      "input %dx%d and output %dx%d sizes must be positive",
      h,
      w,
      size.get(0),
      size.get(1)
    );
    CoordinateMode coords = corners
      ? CoordinateMode.ALIGN_CORNERS
      : half ? CoordinateMode.HALF_PIXEL : CoordinateMode.ASYMMETRIC;
    NearestMode nearest = corners || half ? NearestMode.ROUND_PREFER_CEIL : NearestMode.FLOOR;
    ElementType in = x.type().elementType();
    ElementType work = mode == Mode.LINEAR ? ElementType.F32 : in.isFloat() ? in : ElementType.F64;
    Resize op = new Resize(
      List.of(-1L, size.get(0), size.get(1), -1L),
      List.of(1.0, (double) size.get(0) / h, (double) size.get(1) / w, 1.0),
      List.of(),
      mode,
      coords,
      nearest,
      -0.75,
      false,
      0.0,
      false
    );
    Value y = c.emit(op, Tf.cast(c, x, work));
    return mode == Mode.LINEAR ? y : Tf.cast(c, y, in);
  }
}
