package dev.kiln.onnx.ops;

import static dev.kiln.onnx.ops.ElementwiseConverters.one;

import dev.kiln.ir.Dim;
import dev.kiln.ir.ElementType;
import dev.kiln.ir.Shape;
import dev.kiln.ir.Tensor;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Value;
import dev.kiln.ir.op.Add;
import dev.kiln.ir.op.ConvTranspose;
import dev.kiln.ir.op.DeformConv;
import dev.kiln.ir.op.Div;
import dev.kiln.ir.op.GridSample;
import dev.kiln.ir.op.MatMul;
import dev.kiln.ir.op.Mod;
import dev.kiln.ir.op.Mul;
import dev.kiln.ir.op.Reshape;
import dev.kiln.ir.op.Resize;
import dev.kiln.ir.op.RoiAlign;
import dev.kiln.ir.op.ScatterElements;
import dev.kiln.ir.op.ScatterReduction;
import dev.kiln.ir.op.Strides;
import dev.kiln.ir.op.Transpose;
import dev.kiln.onnx.ConverterRegistry;
import dev.kiln.onnx.ImportContext;
import dev.kiln.onnx.OnnxError;
import dev.kiln.onnx.OnnxNode;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * ONNX's resampling and scatter-style spatial operators. {@code Resize} and {@code Upsample} become
 * {@code nn.resize} with the output extent and scale of every axis worked out here from the
 * constant {@code scales} or {@code sizes} input, {@code axes} and {@code keep_aspect_ratio_policy};
 * {@code GridSample}, {@code ConvTranspose} ({@code auto_pad} and {@code output_shape} resolved to
 * pads), {@code DeformConv} and {@code RoiAlign} map to their core ops; {@code AffineGrid}, {@code
 * Col2Im} and {@code MaxUnpool} are composed from core ops.
 */
public final class SamplingConverters {

  private SamplingConverters() {}

  public static void register(ConverterRegistry r) {
    r.add("Resize", 10, (n, c) -> resize(n, c, Inputs.LEGACY));
    r.add("Resize", 11, (n, c) -> resize(n, c, Inputs.ROI_SCALES_SIZES));
    r.add("Upsample", 7, (n, c) -> resize(n, c, Inputs.SCALES_ATTRIBUTE));
    r.add("Upsample", 9, (n, c) -> resize(n, c, Inputs.LEGACY));
    r.add("GridSample", 16, SamplingConverters::gridSample);
    r.add("AffineGrid", 20, SamplingConverters::affineGrid);
    r.add("ConvTranspose", 1, SamplingConverters::convTranspose);
    r.add("Col2Im", 18, SamplingConverters::col2im);
    r.add("MaxUnpool", 9, SamplingConverters::maxUnpool);
    r.add("DeformConv", 19, SamplingConverters::deformConv);
    r.add("RoiAlign", 10, (n, c) -> roiAlign(n, c, "output_half_pixel"));
    r.add("RoiAlign", 16, (n, c) -> roiAlign(n, c, "half_pixel"));
  }

  private static List<Value> roiAlign(OnnxNode n, ImportContext c, String defaultMode) {
    String coord = n.getString("coordinate_transformation_mode", defaultMode);
    OnnxError.check(
      coord.equals("half_pixel") || coord.equals("output_half_pixel"),
      "coordinate_transformation_mode '%s' is not supported",
      coord
    );
    RoiAlign op = new RoiAlign(
      enumValue(RoiAlign.Mode.class, n.getString("mode", "avg"), "mode"),
      n.getInt("output_height", 1),
      n.getInt("output_width", 1),
      n.getInt("sampling_ratio", 0),
      n.getFloat("spatial_scale", 1.0),
      coord.equals("half_pixel")
    );
    return one(c.emit(op, n.input(0), n.input(1), n.input(2)));
  }

  private static List<Value> deformConv(OnnxNode n, ImportContext c) {
    Value x = n.input(0);
    Value w = n.input(1);
    OnnxError.check(
      x.type().rank() == 4,
      "deformable convolution of rank %d is not supported (only 2-D)",
      x.type().rank()
    );
    DeformConv op = new DeformConv(
      n.getInts("strides", List.of()),
      n.getInts("pads", List.of()),
      n.getInts("dilations", List.of()),
      n.getInt("group", 1),
      n.getInt("offset_group", 1)
    );
    List<Value> operands = new ArrayList<>(List.of(x, w, n.input(2)));
    operands.add(
      n.hasInput(3)
        ? n.input(3)
        : c.constant(
          Tensor.splat(new TensorType(x.type().elementType(), Shape.of(extent(w, 0))), 0)
        )
    );
    if (n.hasInput(4)) {
      operands.add(n.input(4));
    }
    return one(c.emitAll(op, operands).getFirst());
  }

  /**
   * The values are scattered by their flat indices into a zero tensor of the output shape ({@code
   * output_shape}, or what the pooling window gives: {@code (in - 1) * stride + kernel - pads}).
   */
  private static List<Value> maxUnpool(OnnxNode n, ImportContext c) {
    Value x = n.input(0);
    Value indices = n.input(1);
    int rank = x.type().rank();
    int k = rank - 2;
    List<Long> kernel = n.getInts("kernel_shape", null);
    OnnxError.check(kernel != null && kernel.size() == k, "kernel_shape needs %d values", k);
    List<Long> strides = n.getInts("strides", java.util.Collections.nCopies(k, 1L));
    List<Long> pads = n.getInts("pads", java.util.Collections.nCopies(2 * k, 0L));
    long[] inferred = new long[rank];
    inferred[0] = extent(x, 0);
    inferred[1] = extent(x, 1);
    for (int i = 0; i < k; i++) {
      inferred[i + 2] =
        (extent(x, i + 2) - 1) * strides.get(i) + kernel.get(i) - pads.get(i) - pads.get(i + k);
    }
    long[] shape = inferred.clone();
    Value flatI = c.emit(new Reshape(List.of(-1L)), indices);
    if (n.hasInput(2)) {
      Tensor t = c.requireConstant(n.input(2), "input 'output_shape'");
      OnnxError.check(t.size() == rank, "output_shape needs %d values, got %d", rank, t.size());
      for (int i = 0; i < rank; i++) {
        shape[i] = t.getLong(i);
      }
      if (!Arrays.equals(shape, inferred)) {
        flatI = reindex(c, flatI, inferred, shape);
      }
    }
    long total = 1;
    for (long d : shape) {
      OnnxError.check(d >= 0, "output shape %s must not be negative", Arrays.toString(shape));
      total = Math.multiplyExact(total, d);
    }
    Value zeros = c.constant(
      Tensor.splat(new TensorType(x.type().elementType(), Shape.of(total)), 0)
    );
    Value flatX = c.emit(new Reshape(List.of(-1L)), x);
    Value y = c.emit(new ScatterElements(0, ScatterReduction.NONE), zeros, flatI, flatX);
    return one(c.emit(new Reshape(Arrays.stream(shape).boxed().toList()), y));
  }

  /**
   * Col2Im is a grouped transposed convolution: the columns {@code [N, C * K, L]} are viewed as
   * {@code [N, C * K, L1..Lr]} over the grid of block positions and scattered with a one-hot
   * weight {@code [C * K, 1, K1..Kr]} (group {@code C}); output padding makes up the image rows no
   * block reaches.
   */
  private static List<Value> col2im(OnnxNode n, ImportContext c) {
    Value x = n.input(0);
    Tensor image = c.requireConstant(n.input(1), "input 'image_shape'");
    Tensor block = c.requireConstant(n.input(2), "input 'block_shape'");
    int r = (int) image.size();
    OnnxError.check(
      block.size() == r && r >= 1,
      "image_shape and block_shape must have the same positive length"
    );
    OnnxError.check(x.type().rank() == 3, "input must be [N, C * K, L], got %s", x.type());
    List<Long> strides = n.getInts("strides", java.util.Collections.nCopies(r, 1L));
    List<Long> dilations = n.getInts("dilations", java.util.Collections.nCopies(r, 1L));
    List<Long> pads = n.getInts("pads", java.util.Collections.nCopies(2 * r, 0L));
    OnnxError.check(
      strides.size() == r && dilations.size() == r && pads.size() == 2 * r,
      "strides, dilations and pads need %d, %d and %d values",
      r,
      r,
      2 * r
    );
    long kernel = 1;
    long blocks = 1;
    long[] grid = new long[r];
    long[] outPad = new long[r];
    for (int i = 0; i < r; i++) {
      long img = image.getLong(i);
      long k = block.getLong(i);
      long s = strides.get(i);
      long d = dilations.get(i);
      OnnxError.check(k >= 1 && s >= 1 && d >= 1, "block, strides and dilations must be positive");
      kernel = Math.multiplyExact(kernel, k);
      long span = img + pads.get(i) + pads.get(i + r) - d * (k - 1) - 1;
      OnnxError.check(
        span >= 0,
        "block %d with dilation %d does not fit image extent %d",
        k,
        d,
        img
      );
      grid[i] = span / s + 1;
      blocks = Math.multiplyExact(blocks, grid[i]);
      outPad[i] = span % s;
    }
    long ck = extent(x, 1);
    OnnxError.check(
      ck % kernel == 0,
      "input channels (%d) must be divisible by the block size (%d)",
      ck,
      kernel
    );
    OnnxError.check(
      extent(x, 2) == blocks,
      "input has %d blocks, image and block shapes give %d",
      extent(x, 2),
      blocks
    );
    long ch = ck / kernel;
    List<Long> shape = new ArrayList<>(List.of(extent(x, 0), ck));
    List<Long> wShape = new ArrayList<>(List.of(ck, 1L));
    for (int i = 0; i < r; i++) {
      shape.add(grid[i]);
      wShape.add(block.getLong(i));
    }
    double[] w = new double[Math.toIntExact(ck * kernel)];
    for (long q = 0; q < ck; q++) {
      w[(int) (q * kernel + (q % kernel))] = 1;
    }
    Value weight = c.constant(
      Tensor.ofDoubles(new TensorType(x.type().elementType(), Shape.of(wShape)), w)
    );
    Value cols = c.emit(new Reshape(shape), x);
    ConvTranspose op = new ConvTranspose(
      strides,
      pads,
      dilations,
      Arrays.stream(outPad).boxed().toList(),
      ch
    );
    return one(c.emit(op, cols, weight));
  }

  /**
   * {@code output_shape} and {@code auto_pad} become explicit pads: the total padding is what the
   * unpadded output exceeds the requested shape by ({@code auto_pad} requests {@code in * stride}),
   * split with the larger half at the end for {@code SAME_UPPER}, at the beginning otherwise.
   */
  private static List<Value> convTranspose(OnnxNode n, ImportContext c) {
    Value x = n.input(0);
    Value w = n.input(1);
    int k = x.type().rank() - 2;
    OnnxError.check(k >= 1, "input must have rank >= 3, got %s", x.type());
    List<Long> kernel = n.getInts("kernel_shape", null);
    if (kernel == null) {
      kernel = new ArrayList<>();
      for (int i = 0; i < k; i++) {
        kernel.add(extent(w, i + 2));
      }
    }
    List<Long> strides = n.getInts("strides", java.util.Collections.nCopies(k, 1L));
    List<Long> dilations = n.getInts("dilations", java.util.Collections.nCopies(k, 1L));
    List<Long> outPad = n.getInts("output_padding", java.util.Collections.nCopies(k, 0L));
    OnnxError.check(
      kernel.size() == k && strides.size() == k && dilations.size() == k && outPad.size() == k,
      "kernel_shape, strides, dilations and output_padding need %d values each",
      k
    );
    String auto = n.getString("auto_pad", "NOTSET");
    List<Long> outputShape = n.getInts("output_shape", null);
    if (outputShape != null && outputShape.size() == k + 2) {
      outputShape = outputShape.subList(2, k + 2);
    }
    if (outputShape == null && (auto.equals("SAME_UPPER") || auto.equals("SAME_LOWER"))) {
      outputShape = new ArrayList<>();
      for (int i = 0; i < k; i++) {
        outputShape.add(extent(x, i + 2) * strides.get(i));
      }
    }
    List<Long> pads;
    if (outputShape != null) {
      OnnxError.check(
        outputShape.size() == k,
        "output_shape needs %d values, got %s",
        k,
        outputShape
      );
      Long[] p = new Long[2 * k];
      for (int i = 0; i < k; i++) {
        long total =
          strides.get(i) * (extent(x, i + 2) - 1) +
          outPad.get(i) +
          (kernel.get(i) - 1) * dilations.get(i) +
          1 -
          outputShape.get(i);
        long half = Math.floorDiv(total, 2);
        p[i] = auto.equals("SAME_UPPER") ? half : total - half;
        p[i + k] = total - p[i];
      }
      pads = List.of(p);
    } else if (auto.equals("VALID") || !n.has("pads")) {
      pads = java.util.Collections.nCopies(2 * k, 0L);
    } else {
      pads = n.getInts("pads", null);
    }
    ConvTranspose op = new ConvTranspose(strides, pads, dilations, outPad, n.getInt("group", 1));
    return one(n.hasInput(2) ? c.emit(op, x, w, n.input(2)) : c.emit(op, x, w));
  }

  /**
   * {@code grid[n, p] = theta[n] @ (x_p, y_p, [z_p,] 1)}: the normalized coordinates of every
   * output position form a constant {@code [1, P, r + 1]} matrix, multiplied by the transposed
   * {@code theta}.
   */
  private static List<Value> affineGrid(OnnxNode n, ImportContext c) {
    Value theta = n.input(0);
    Tensor size = c.requireConstant(n.input(1), "input 'size'");
    int len = (int) size.size();
    OnnxError.check(len == 4 || len == 5, "size must have 4 or 5 entries, got %d", len);
    int r = len - 2;
    boolean align = n.getInt("align_corners", 0) != 0;
    long batch = size.getLong(0);
    long[] dims = new long[r];
    long points = 1;
    for (int i = 0; i < r; i++) {
      dims[i] = size.getLong(i + 2);
      OnnxError.check(dims[i] >= 0, "size entry %d must not be negative", dims[i]);
      points = Math.multiplyExact(points, dims[i]);
    }
    double[] base = new double[Math.toIntExact(points * (r + 1))];
    long[] pos = new long[r];
    for (long p = 0; p < points; p++) {
      Strides.unravel(p, dims, pos);
      for (int k = 0; k < r; k++) {
        int axis = r - 1 - k;
        long d = dims[axis];
        double v = align
          ? d == 1 ? -1 : -1 + (2.0 * pos[axis]) / (d - 1)
          : (2.0 * pos[axis] + 1) / d - 1;
        base[(int) (p * (r + 1) + k)] = v;
      }
      base[(int) (p * (r + 1) + r)] = 1;
    }
    Value grid = c.constant(
      Tensor.ofDoubles(new TensorType(theta.type().elementType(), Shape.of(1, points, r + 1)), base)
    );
    Value thetaT = c.emit(new Transpose(List.of(0L, 2L, 1L)), theta);
    Value flat = c.emit(new MatMul(), grid, thetaT);
    List<Long> shape = new ArrayList<>();
    shape.add(batch);
    for (long d : dims) {
      shape.add(d);
    }
    shape.add((long) r);
    return one(c.emit(new Reshape(shape), flat));
  }

  private static List<Value> gridSample(OnnxNode n, ImportContext c) {
    String modeName = n.getString("mode", c.opset() >= 20 ? "linear" : "bilinear");
    GridSample.Mode mode = switch (modeName) {
      case "nearest" -> GridSample.Mode.NEAREST;
      case "linear", "bilinear" -> GridSample.Mode.LINEAR;
      case "cubic", "bicubic" -> GridSample.Mode.CUBIC;
      default -> throw new OnnxError("grid sample mode '" + modeName + "' is not supported");
    };
    GridSample.Padding padding = enumValue(
      GridSample.Padding.class,
      n.getString("padding_mode", "zeros"),
      "padding_mode"
    );
    GridSample op = new GridSample(mode, padding, n.getInt("align_corners", 0) != 0);
    return one(c.emit(op, n.input(0), n.input(1)));
  }

  /** Where a resize reads its parameters from, by operator version. */
  private enum Inputs {
    SCALES_ATTRIBUTE,
    LEGACY,
    ROI_SCALES_SIZES,
  }

  private static List<Value> resize(OnnxNode n, ImportContext c, Inputs inputs) {
    Value x = n.input(0);
    OnnxError.check(
      x.type().elementType().isFloat(),
      "resize of %s tensors is not supported",
      x.type().elementType()
    );
    int rank = x.type().rank();
    boolean legacy = inputs != Inputs.ROI_SCALES_SIZES;
    double[] scaleList = null;
    long[] sizeList = null;
    double[] roiList = null;
    switch (inputs) {
      case SCALES_ATTRIBUTE -> scaleList = n
        .getFloats("scales", List.of())
        .stream()
        .mapToDouble(Double::doubleValue)
        .toArray();
      case LEGACY -> scaleList = c.requireConstant(n.input(1), "input 'scales'").toDoubles();
      case ROI_SCALES_SIZES -> {
        if (n.hasInput(2)) {
          scaleList = c.requireConstant(n.input(2), "input 'scales'").toDoubles();
        }
        if (n.hasInput(3)) {
          Tensor t = c.requireConstant(n.input(3), "input 'sizes'");
          sizeList = new long[(int) t.size()];
          for (int i = 0; i < sizeList.length; i++) {
            sizeList[i] = t.getLong(i);
          }
        }
        if (n.hasInput(1)) {
          roiList = c.requireConstant(n.input(1), "input 'roi'").toDoubles();
        }
      }
    }
    if (scaleList != null && scaleList.length == 0) {
      scaleList = null;
    }
    if (sizeList != null && sizeList.length == 0) {
      sizeList = null;
    }
    OnnxError.check(
      (scaleList == null) != (sizeList == null),
      "exactly one of 'scales' and 'sizes' must be given"
    );
    List<Long> axes = n.getInts("axes", null);
    int[] ax = new int[axes == null ? rank : axes.size()];
    for (int i = 0; i < ax.length; i++) {
      long a = axes == null ? i : axes.get(i);
      OnnxError.check(a >= -rank && a < rank, "axis %d is out of range for rank %d", a, rank);
      ax[i] = (int) (a < 0 ? a + rank : a);
    }
    int given = scaleList != null ? scaleList.length : sizeList.length;
    OnnxError.check(
      given == ax.length,
      "%s has %d entries, expected %d",
      scaleList != null ? "scales" : "sizes",
      given,
      ax.length
    );

    String modeName = n.getString("mode", "nearest").toLowerCase(Locale.ROOT);
    Resize.Mode mode = switch (modeName) {
      case "nearest" -> Resize.Mode.NEAREST;
      case "linear", "bilinear" -> Resize.Mode.LINEAR;
      case "cubic" -> Resize.Mode.CUBIC;
      default -> throw new OnnxError("resize mode '" + modeName + "' is not supported");
    };
    Resize.CoordinateMode coord = legacy
      ? Resize.CoordinateMode.ASYMMETRIC
      : enumValue(
        Resize.CoordinateMode.class,
        n.getString("coordinate_transformation_mode", "half_pixel"),
        "coordinate_transformation_mode"
      );
    Resize.NearestMode nearest = legacy
      ? Resize.NearestMode.FLOOR
      : enumValue(
        Resize.NearestMode.class,
        n.getString("nearest_mode", "round_prefer_floor"),
        "nearest_mode"
      );
    String policy = n.getString("keep_aspect_ratio_policy", "stretch");
    OnnxError.check(
      policy.equals("stretch") || policy.equals("not_larger") || policy.equals("not_smaller"),
      "keep_aspect_ratio_policy '%s' is not supported",
      policy
    );

    double[] scales = new double[rank];
    long[] sizes = new long[rank];
    Arrays.fill(scales, 1.0);
    Arrays.fill(sizes, -1);
    if (sizeList != null) {
      double keep = policy.equals("not_larger")
        ? Double.POSITIVE_INFINITY
        : Double.NEGATIVE_INFINITY;
      for (int i = 0; i < ax.length; i++) {
        double s = (double) sizeList[i] / extent(x, ax[i]);
        keep = policy.equals("not_larger") ? Math.min(keep, s) : Math.max(keep, s);
      }
      for (int i = 0; i < ax.length; i++) {
        long in = extent(x, ax[i]);
        OnnxError.check(
          sizeList[i] >= 0,
          "sizes %s must not be negative",
          Arrays.toString(sizeList)
        );
        if (policy.equals("stretch")) {
          scales[ax[i]] = (double) sizeList[i] / in;
          sizes[ax[i]] = sizeList[i];
        } else {
          scales[ax[i]] = keep;
          sizes[ax[i]] = (long) Math.rint(keep * in);
        }
      }
    } else {
      for (int i = 0; i < ax.length; i++) {
        double s = scaleList[i];
        OnnxError.check(s > 0, "scales %s must be positive", Arrays.toString(scaleList));
        if (s == 1.0) {
          continue;
        }
        scales[ax[i]] = s;
        sizes[ax[i]] = (long) (s * extent(x, ax[i]));
      }
    }

    List<Double> roi = List.of();
    if (coord == Resize.CoordinateMode.TF_CROP_AND_RESIZE) {
      OnnxError.check(roiList != null, "tf_crop_and_resize needs input 'roi'");
      OnnxError.check(
        roiList.length == 2 * ax.length,
        "roi has %d entries, expected %d",
        roiList.length,
        2 * ax.length
      );
      Double[] full = new Double[2 * rank];
      for (int d = 0; d < rank; d++) {
        full[d] = 0.0;
        full[d + rank] = 1.0;
      }
      for (int i = 0; i < ax.length; i++) {
        full[ax[i]] = roiList[i];
        full[ax[i] + rank] = roiList[i + ax.length];
      }
      roi = List.of(full);
      for (int d = 0; d < rank; d++) {
        if (sizes[d] == -1 && (full[d] != 0.0 || full[d + rank] != 1.0)) {
          sizes[d] = extent(x, d);
        }
      }
    }
    for (int d = 0; d < rank; d++) {
      if (sizes[d] != -1 && scales[d] == 1.0 && roi.isEmpty() && sizes[d] == extent(x, d)) {
        sizes[d] = -1;
      }
    }
    boolean antialias = mode != Resize.Mode.NEAREST && n.getInt("antialias", 0) != 0;
    Resize op = new Resize(
      Arrays.stream(sizes).boxed().toList(),
      Arrays.stream(scales).boxed().toList(),
      roi,
      mode,
      coord,
      nearest,
      n.getFloat("cubic_coeff_a", -0.75),
      n.getInt("exclude_outside", 0) != 0,
      n.getFloat("extrapolation_value", 0.0),
      antialias
    );
    return one(c.emit(op, x));
  }

  /** Flat indices into a tensor shaped {@code from}, as flat indices into one shaped {@code to}. */
  private static Value reindex(ImportContext c, Value flat, long[] from, long[] to) {
    long[] fromStrides = Strides.of(from);
    long[] toStrides = Strides.of(to);
    Value result = null;
    for (int d = 0; d < from.length; d++) {
      Value coord = c.emit(new Div(), flat, longScalar(c, fromStrides[d]));
      coord = c.emit(new Mod(false), coord, longScalar(c, from[d]));
      Value term = c.emit(new Mul(), coord, longScalar(c, toStrides[d]));
      result = result == null ? term : c.emit(new Add(), result, term);
    }
    return result;
  }

  private static Value longScalar(ImportContext c, long v) {
    return c.constant(Tensor.ofLongs(new TensorType(ElementType.I64, Shape.SCALAR), v));
  }

  private static long extent(Value x, int axis) {
    Dim d = x.type().shape().dim(axis);
    OnnxError.check(d.isKnown(), "resized axis %d needs a known extent, got %s", axis, x.type());
    return d.size();
  }

  private static <E extends Enum<E>> E enumValue(Class<E> type, String name, String attr) {
    for (E e : type.getEnumConstants()) {
      if (e.name().equalsIgnoreCase(name)) {
        return e;
      }
    }
    throw new OnnxError(attr + " '" + name + "' is not supported");
  }
}
