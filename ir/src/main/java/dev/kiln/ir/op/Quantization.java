package dev.kiln.ir.op;

import dev.kiln.ir.Dim;
import dev.kiln.ir.ElementType;
import dev.kiln.ir.Tensor;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.loop.Ex;
import dev.kiln.ir.loop.Expr;
import dev.kiln.ir.loop.LowerContext;
import java.util.ArrayList;
import java.util.List;

/**
 * Scale layouts shared by {@link QuantizeLinear} and {@link DequantizeLinear}: per-tensor (a scale
 * with one element and rank at most 1), per-axis (a 1-D scale as long as {@code x.shape[axis]}) or
 * blocked ({@code blockSize > 0}: a scale of {@code x}'s rank whose extent on {@code axis} is {@code
 * ceil(x.shape[axis] / blockSize)} and equal to {@code x}'s elsewhere).
 */
final class Quantization {

  private Quantization() {}

  private static boolean perTensor(TensorType scale, long blockSize) {
    if (blockSize != 0 || scale.rank() > 1) {
      return false;
    }
    return (
      scale.rank() == 0 || (scale.shape().dim(0).isKnown() && scale.shape().dim(0).size() == 1)
    );
  }

  /** Checks scale, zero point and attributes against {@code x}; {@code what} names the op. */
  static void check(
    TensorType x,
    TensorType scale,
    TensorType zeroPoint,
    long axis,
    long blockSize,
    String what
  ) {
    Shapes.requireFloat(scale, what + " scale");
    OpError.check(blockSize >= 0, "%s block_size must be >= 0, got %d", what, blockSize);
    if (zeroPoint != null) {
      boolean bothOne =
        perTensor(scale, 0) &&
        (zeroPoint.rank() == 0 ||
          (zeroPoint.rank() == 1 &&
            zeroPoint.shape().dim(0).isKnown() &&
            zeroPoint.shape().dim(0).size() == 1));
      OpError.check(
        bothOne || zeroPoint.shape().equals(scale.shape()),
        "%s zero point shape %s must equal scale shape %s",
        what,
        Shapes.dims(zeroPoint.shape()),
        Shapes.dims(scale.shape())
      );
    }
    if (perTensor(scale, blockSize)) {
      return;
    }
    OpError.check(x.rank() >= 1, "%s of a scalar needs a one-element scale, got %s", what, scale);
    int a = Shapes.axis(axis, x.rank());
    Dim n = x.shape().dim(a);
    if (blockSize == 0) {
      OpError.check(
        scale.rank() == 1,
        "%s scale must be a scalar or 1-D without block_size, got rank %d",
        what,
        scale.rank()
      );
      Dim m = scale.shape().dim(0);
      OpError.check(
        !n.isKnown() || !m.isKnown() || n.size() == m.size(),
        "%s per-axis scale length (%s) must equal input extent (%s) on axis %d",
        what,
        m,
        n,
        a
      );
      return;
    }
    OpError.check(
      scale.rank() == x.rank(),
      "%s blocked scale rank (%d) must equal input rank (%d)",
      what,
      scale.rank(),
      x.rank()
    );
    for (int d = 0; d < x.rank(); d++) {
      Dim xd = x.shape().dim(d);
      Dim sd = scale.shape().dim(d);
      if (!xd.isKnown() || !sd.isKnown()) {
        continue;
      }
      long want = d == a ? (xd.size() + blockSize - 1) / blockSize : xd.size();
      OpError.check(
        sd.size() == want,
        "%s blocked scale extent (%d) on axis %d must be %d for input extent %d and block_size %d",
        what,
        sd.size(),
        d,
        want,
        xd.size(),
        blockSize
      );
    }
  }

  /** For each element of {@code x} (row-major), the flat index of its scale element. */
  static int[] scaleIndices(TensorType x, TensorType scale, long axis, long blockSize) {
    long[] xs = x.shape().sizes();
    int[] out = new int[Math.toIntExact(x.shape().numElements().orElseThrow())];
    if (perTensor(scale, blockSize)) {
      return out;
    }
    int a = Shapes.axis(axis, xs.length);
    long[] ss = scale.shape().sizes();
    long[] strides = Strides.of(ss);
    long[] idx = new long[xs.length];
    for (int i = 0; i < out.length; i++) {
      long off = 0;
      if (blockSize == 0) {
        off = idx[a];
      } else {
        for (int d = 0; d < xs.length; d++) {
          off += (d == a ? idx[d] / blockSize : idx[d]) * strides[d];
        }
      }
      out[i] = (int) off;
      Broadcast.increment(idx, xs);
    }
    return out;
  }

  /** The type a quotient or product of {@code a} and {@code b} elements is rounded to. */
  static ElementType computeType(ElementType a, ElementType b) {
    if (a == b) {
      return a;
    }
    return a == ElementType.F64 || b == ElementType.F64 ? ElementType.F64 : ElementType.F32;
  }

  /** {@code v} rounded to the nearest value of float type {@code e}. */
  static double roundTo(ElementType e, double v) {
    return switch (e) {
      case F64 -> v;
      case F32 -> (float) v;
      default -> Tensor.scalar(e, v).getDouble(0);
    };
  }

  /** The smallest value of integer type {@code e}. */
  static long min(ElementType e) {
    return e.kind() == ElementType.Kind.SIGNED ? -(1L << (e.bits() - 1)) : 0;
  }

  /** The largest value of integer type {@code e}. */
  static long max(ElementType e) {
    return e.kind() == ElementType.Kind.SIGNED ? (1L << (e.bits() - 1)) - 1 : (1L << e.bits()) - 1;
  }

  /**
   * The index of the scale (and zero point) element that element {@code idx} of the lowered
   * node's operand 0 uses; operand 1 is the scale.
   */
  static List<Expr> scaleIndex(LowerContext ctx, List<Expr> idx, long axis, long blockSize) {
    TensorType x = ctx.operandType(0);
    TensorType scale = ctx.operandType(1);
    if (perTensor(scale, blockSize)) {
      return scale.rank() == 0 ? List.of() : List.of(Ex.i64(0));
    }
    int a = Shapes.axis(axis, x.rank());
    if (blockSize == 0) {
      return List.of(idx.get(a));
    }
    List<Expr> r = new ArrayList<>(idx);
    r.set(a, Ex.div(idx.get(a), Ex.i64(blockSize)));
    return r;
  }

  /**
   * {@code si} (an index into the scale) fitted to operand {@code i}'s rank: a one-element zero
   * point of another rank than a per-tensor scale is read at zeros.
   */
  static List<Expr> paramIndex(LowerContext ctx, int i, List<Expr> si) {
    int rank = ctx.operandType(i).rank();
    return rank == si.size() ? si : java.util.Collections.nCopies(rank, Ex.i64(0));
  }
}
