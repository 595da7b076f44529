package dev.kiln.ir.op;

import dev.kiln.ir.loop.BinaryOp;
import dev.kiln.ir.loop.Buffer;
import dev.kiln.ir.loop.Ex;
import dev.kiln.ir.loop.Expr;
import dev.kiln.ir.loop.LowerContext;
import dev.kiln.ir.loop.Scalar;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * Loop IR building blocks shared by the data-movement and indexing lowerings: element copies
 * under an index map, bounds-safe resolution of indices read from data, and read-modify-write of
 * a result element for the scatters.
 */
final class MoveLowering {

  private MoveLowering() {}

  /**
   * Writes every element of result 0: {@code y[idx] = x[source(idx)]} with {@code x} operand 0.
   */
  static void gather(LowerContext ctx, Function<List<Expr>, List<Expr>> source) {
    ctx.forEach(ctx.resultDims(0), idx -> ctx.store(0, idx, ctx.load(0, source.apply(idx))));
  }

  /** Copies operand {@code i} into result 0, which has the same shape. */
  static void copy(LowerContext ctx, int i) {
    ctx.forEach(ctx.operandDims(i), idx -> ctx.store(0, idx, ctx.load(i, idx)));
  }

  /**
   * The index read from data resolved against extent {@code n} (negative values count from the
   * end) and clamped into {@code [0, n - 1]}, so an out-of-range index can never address memory
   * outside the axis. {@code n} must be positive.
   */
  static Expr resolve(Expr index, long n) {
    Expr i = Ex.cast(Scalar.I64, index);
    Expr wrapped = Ex.select(Ex.lt(i, Ex.i64(0)), Ex.add(i, Ex.i64(n)), i);
    return clamp(wrapped, 0, n - 1);
  }

  /** {@code i} clamped into {@code [lo, hi]}. */
  static Expr clamp(Expr i, long lo, long hi) {
    return Ex.min(Ex.max(i, Ex.i64(lo)), Ex.i64(hi));
  }

  /** {@code i} modulo {@code n} with a floored quotient: in {@code [0, n)} when {@code n > 0}. */
  static Expr floorMod(Expr i, long n) {
    Expr r = Ex.rem(i, Ex.i64(n));
    return Ex.select(Ex.lt(r, Ex.i64(0)), Ex.add(r, Ex.i64(n)), r);
  }

  /** Throws unless an axis that indices address has at least one entry. */
  static void requireNonEmpty(long n, long reads, String what) {
    if (n == 0 && reads > 0) {
      throw new UnsupportedOperationException(what + " from an empty axis is not supported");
    }
  }

  /** The number of elements of {@code dims}. */
  static long count(long[] dims) {
    return Strides.product(dims, 0, dims.length);
  }

  /** {@code idx} with entry {@code d} replaced by {@code value}. */
  static List<Expr> with(List<Expr> idx, int d, Expr value) {
    List<Expr> r = new ArrayList<>(idx);
    r.set(d, value);
    return r;
  }

  /**
   * Combines {@code update} into element {@code offset} of result 0 by {@code reduction}, reading
   * the element already written there.
   */
  static void combine(LowerContext ctx, Expr offset, Expr update, ScatterReduction reduction) {
    if (reduction == ScatterReduction.NONE) {
      ctx.storeLinear(0, offset, update);
      return;
    }
    Buffer out = ctx.resultBuffer(0);
    Expr old = Ex.cast(ctx.resultScalar(0), new Expr.Load(out, offset));
    if (old.type() == Scalar.BOOL) {
      throw new UnsupportedOperationException(
        "a " + reduction + " scatter of bool is not supported"
      );
    }
    BinaryOp op = switch (reduction) {
      case ADD -> BinaryOp.ADD;
      case MUL -> BinaryOp.MUL;
      case MAX -> BinaryOp.MAX;
      case MIN -> BinaryOp.MIN;
      case NONE -> throw new IllegalStateException();
    };
    ctx.storeLinear(0, offset, Ex.bin(op, old, update));
  }
}
