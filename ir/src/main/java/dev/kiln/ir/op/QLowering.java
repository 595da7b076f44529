package dev.kiln.ir.op;

import dev.kiln.ir.ElementType;
import dev.kiln.ir.Tensor;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.loop.BinaryOp;
import dev.kiln.ir.loop.Buffer;
import dev.kiln.ir.loop.Ex;
import dev.kiln.ir.loop.Expr;
import dev.kiln.ir.loop.KernelStruct;
import dev.kiln.ir.loop.KernelStructs;
import dev.kiln.ir.loop.LowerContext;
import dev.kiln.ir.loop.Scalar;
import dev.kiln.ir.loop.Stmt;
import java.util.ArrayList;
import java.util.List;

/**
 * Loop IR for the integer ops ({@link QuantizedOp}): operands are widened to {@code i64} before
 * their zero points are subtracted, accumulators are exact {@code i64} sums, and requantization is
 * {@link Requantization#apply} written with shifts and masks, so the lowered code gives the
 * reference interpreter's results bit for bit. Per-channel multipliers and shifts are read from
 * constant tables indexed by the channel. When the target links runtime-c, 2-D {@code i8}
 * convolutions and {@code i8} matrix products whose reductions stay exact in int32 call {@code
 * kiln_conv2d_s8}, {@code kiln_gemm_s8s8s8} or {@code kiln_gemm_s8s8s32}, which compute the same
 * values.
 */
final class QLowering {

  private QLowering() {}

  /** Operand {@code i}'s element at {@code idx} as {@code i64} minus {@code zeroPoint}. */
  static Expr centered(LowerContext ctx, int i, List<Expr> idx, long zeroPoint) {
    return Ex.sub(Ex.cast(Scalar.I64, ctx.load(i, idx)), Ex.i64(zeroPoint));
  }

  /**
   * {@code round_half_even(prod / 2^s)} for an {@code i64} {@code prod} with {@code |prod| <
   * 2^62} and {@code s} in {@code [0, 62]}: {@link Requantization#roundShift}.
   */
  static Expr roundShift(LowerContext ctx, Expr prod, Expr s) {
    if (Long.valueOf(0).equals(Ex.intValue(s))) {
      return prod;
    }
    Expr.Var p = ctx.let("prod", prod);
    Expr.Var mag = ctx.let("mag", Ex.abs(p));
    Expr.Var q = ctx.let("q", Ex.bin(BinaryOp.SHR, mag, s));
    Expr one = Ex.bin(BinaryOp.SHL, Ex.i64(1), s);
    Expr twiceRem = Ex.mul(Ex.sub(mag, Ex.bin(BinaryOp.SHL, q, s)), Ex.i64(2));
    Expr odd = Ex.eq(Ex.and(q, Ex.i64(1)), Ex.i64(1));
    Expr up = Ex.or(Ex.gt(twiceRem, one), Ex.and(Ex.eq(twiceRem, one), odd));
    Expr r = Ex.add(q, Ex.select(up, Ex.i64(1), Ex.i64(0)));
    return Ex.select(Ex.lt(p, Ex.i64(0)), Ex.neg(r), r);
  }

  /** {@code v} saturated to the int32 range. */
  static Expr saturateInt32(Expr v) {
    return Ex.min(Ex.max(v, Ex.i64(Integer.MIN_VALUE)), Ex.i64(Integer.MAX_VALUE));
  }

  /**
   * Stores {@code clamp(round_half_even(acc * multiplier / 2^(31 + shift)) + yZeroPoint, qmin,
   * qmax)} at {@code idx} of result 0, with {@code acc} an exact {@code i64}.
   */
  static void storeRequantized(
    LowerContext ctx,
    List<Expr> idx,
    Expr acc,
    Expr multiplier,
    Expr shift,
    long yZeroPoint,
    long qmin,
    long qmax
  ) {
    Expr r = roundShift(ctx, Ex.mul(acc, multiplier), Ex.add(shift, Ex.i64(31)));
    ctx.store(0, idx, output(ctx, r, yZeroPoint, qmin, qmax));
  }

  /** {@code clamp(rounded + yZeroPoint, qmin, qmax)} in result 0's compute type. */
  private static Expr output(
    LowerContext ctx,
    Expr rounded,
    long yZeroPoint,
    long qmin,
    long qmax
  ) {
    Expr v = Ex.min(Ex.max(Ex.add(rounded, Ex.i64(yZeroPoint)), Ex.i64(qmin)), Ex.i64(qmax));
    return Ex.cast(ctx.resultScalar(0), v);
  }

  /**
   * Stores an accumulator of {@code q.conv}/{@code q.matmul}: saturated to int32, then either kept
   * ({@code i32} output) or requantized with the factor of {@code channel} (per-tensor when the
   * lists hold one value).
   */
  static void storeAccumulator(
    LowerContext ctx,
    List<Expr> idx,
    Expr acc,
    Expr channel,
    List<Long> multipliers,
    List<Long> shifts,
    long yZeroPoint,
    long qmin,
    long qmax,
    ElementType outputType
  ) {
    Expr.Var sat = ctx.let("acc32", saturateInt32(acc));
    if (outputType == ElementType.I32) {
      ctx.store(0, idx, Ex.cast(ctx.resultScalar(0), sat));
      return;
    }
    storeRequantized(
      ctx,
      idx,
      sat,
      perChannel(ctx, multipliers, channel),
      perChannel(ctx, shifts, channel),
      yZeroPoint,
      qmin,
      qmax
    );
  }

  /** The value of {@code channel} in {@code values}: a constant when all are equal, else a table. */
  private static Expr perChannel(LowerContext ctx, List<Long> values, Expr channel) {
    if (values.stream().distinct().count() == 1) {
      return Ex.i64(values.getFirst());
    }
    long[] v = values.stream().mapToLong(Long::longValue).toArray();
    Buffer table = ctx.table(Tensor.ofLongs(TensorType.of(ElementType.I64, v.length), v));
    return new Expr.Load(table, channel);
  }

  /** {@link QConv}: one exact accumulator per output element over the in-bounds taps. */
  static void conv(LowerContext ctx, QConv op) {
    long[] x = ctx.operandDims(0);
    long[] w = ctx.operandDims(1);
    long[] y = ctx.resultDims(0);
    WindowLowering.Geometry g = WindowLowering.Geometry.of(
      x,
      WindowLoops.spatial(w),
      y,
      op.strides(),
      op.pads(),
      op.dilations()
    );
    if (convKernel(ctx, op, x, w, y, g)) {
      return;
    }
    long groups = op.group();
    long cg = x[1] / groups;
    long mg = w[0] / groups;
    boolean bias = ctx.numOperands() > 2;
    WindowLowering.range(ctx, "n", y[0], n ->
      WindowLowering.range(ctx, "g", groups, gi ->
        WindowLowering.range(ctx, "m", mg, mi -> {
          Expr oc = Ex.add(Ex.mul(gi, Ex.i64(mg)), mi);
          WindowLowering.nest(ctx, "o", g.out(), o -> {
            Expr.Var acc = ctx.let(
              "acc",
              bias ? Ex.cast(Scalar.I64, ctx.load(2, List.of(oc))) : Ex.i64(0)
            );
            WindowLowering.range(ctx, "c", cg, ci -> {
              Expr ic = Ex.add(Ex.mul(gi, Ex.i64(cg)), ci);
              WindowLowering.window(ctx, g, o, tap ->
                WindowLowering.guarded(ctx, tap.inside(), () -> {
                  Expr xv = centered(
                    ctx,
                    0,
                    WindowLowering.concat(List.of(n, ic), tap.positions()),
                    op.xZeroPoint()
                  );
                  Expr wv = centered(
                    ctx,
                    1,
                    WindowLowering.concat(List.of(oc, ci), tap.offsets()),
                    op.wZeroPoint()
                  );
                  ctx.assign(acc, Ex.add(acc, Ex.mul(xv, wv)));
                })
              );
            });
            storeAccumulator(
              ctx,
              WindowLowering.concat(List.of(n, oc), o),
              acc,
              oc,
              op.multipliers(),
              op.shifts(),
              op.yZeroPoint(),
              op.qmin(),
              op.qmax(),
              op.outputType()
            );
          });
        })
      )
    );
  }

  /** {@link QMatMul}: {@code a: [..., M, K]} times {@code b: [K, N]}, one accumulator per element. */
  static void matmul(LowerContext ctx, QMatMul op) {
    long[] a = ctx.operandDims(0);
    long[] y = ctx.resultDims(0);
    long k = a[a.length - 1];
    boolean bias = ctx.numOperands() > 2;
    if (matmulKernel(ctx, op, a, y)) {
      return;
    }
    ctx.forEach(y, idx -> {
      List<Expr> rows = idx.subList(0, idx.size() - 1);
      Expr j = idx.getLast();
      Expr.Var acc = ctx.let(
        "acc",
        bias ? Ex.cast(Scalar.I64, ctx.load(2, List.of(j))) : Ex.i64(0)
      );
      WindowLowering.range(ctx, "p", k, p -> {
        Expr av = centered(ctx, 0, WindowLowering.concat(rows, List.of(p)), op.aZeroPoint());
        Expr bv = centered(ctx, 1, List.of(p, j), op.bZeroPoint());
        ctx.assign(acc, Ex.add(acc, Ex.mul(av, bv)));
      });
      storeAccumulator(
        ctx,
        idx,
        acc,
        j,
        op.multipliers(),
        op.shifts(),
        op.yZeroPoint(),
        op.qmin(),
        op.qmax(),
        op.outputType()
      );
    });
  }

  /**
   * {@link QAdd}: both centered operands scaled by their multipliers, summed and rounded once with
   * the shared shift.
   */
  static void add(LowerContext ctx, QAdd op) {
    long[] y = ctx.resultDims(0);
    ctx.forEach(y, idx -> {
      Expr sum = Ex.add(
        Ex.mul(broadcastCentered(ctx, 0, idx, op.aZeroPoint()), Ex.i64(op.aMultiplier())),
        Ex.mul(broadcastCentered(ctx, 1, idx, op.bZeroPoint()), Ex.i64(op.bMultiplier()))
      );
      Expr r = roundShift(ctx, sum, Ex.i64(31 + op.shift()));
      ctx.store(0, idx, output(ctx, r, op.yZeroPoint(), op.qmin(), op.qmax()));
    });
  }

  /** {@link QMul}: the product of the centered operands, requantized. */
  static void mul(LowerContext ctx, QMul op) {
    long[] y = ctx.resultDims(0);
    ctx.forEach(y, idx -> {
      Expr p = Ex.mul(
        broadcastCentered(ctx, 0, idx, op.aZeroPoint()),
        broadcastCentered(ctx, 1, idx, op.bZeroPoint())
      );
      storeRequantized(
        ctx,
        idx,
        p,
        Ex.i64(op.multiplier()),
        Ex.i64(op.shift()),
        op.yZeroPoint(),
        op.qmin(),
        op.qmax()
      );
    });
  }

  private static Expr broadcastCentered(LowerContext ctx, int i, List<Expr> idx, long zeroPoint) {
    return centered(
      ctx,
      i,
      WindowLowering.broadcast(idx, ctx.operandDims(i), ctx.resultDims(0)),
      zeroPoint
    );
  }

  /** {@link QGlobalAveragePool}: the centered sum of every spatial plane, requantized. */
  static void globalAveragePool(LowerContext ctx, QGlobalAveragePool op) {
    long[] x = ctx.operandDims(0);
    long inner = Strides.product(x, 2, x.length);
    WindowLowering.range(ctx, "p", x[0] * x[1], p -> {
      Expr.Var acc = ctx.let("acc", Ex.i64(0));
      WindowLowering.range(ctx, "i", inner, i -> {
        Expr v = ctx.loadLinear(0, Ex.add(Ex.mul(p, Ex.i64(inner)), i));
        ctx.assign(acc, Ex.add(acc, Ex.sub(Ex.cast(Scalar.I64, v), Ex.i64(op.xZeroPoint()))));
      });
      Expr r = roundShift(ctx, Ex.mul(acc, Ex.i64(op.multiplier())), Ex.i64(31 + op.shift()));
      ctx.storeLinear(0, p, output(ctx, r, op.yZeroPoint(), op.qmin(), op.qmax()));
    });
  }

  /** {@link QRequantize}: every element moved to the output scale and zero point. */
  static void requantize(LowerContext ctx, QRequantize op) {
    ctx.forEach(ctx.resultDims(0), idx ->
      storeRequantized(
        ctx,
        idx,
        centered(ctx, 0, idx, op.xZeroPoint()),
        Ex.i64(op.multiplier()),
        Ex.i64(op.shift()),
        op.yZeroPoint(),
        op.qmin(),
        op.qmax()
      )
    );
  }

  /** The longest reduction the int8 kernels accumulate exactly in int32 ({@code 255^2 * n < 2^31}). */
  private static final long EXACT_REDUCTION = 33025;

  private static boolean bytes(ElementType e) {
    return e == ElementType.I8 || e == ElementType.U8;
  }

  /** What a {@code u8} value's codes move by to become the {@code i8} codes the kernels take. */
  private static long shift(ElementType e) {
    return e == ElementType.U8 ? 128 : 0;
  }

  /**
   * Operand {@code i} as {@code i8} codes for a kernel: itself when {@code i8}; a {@code u8}
   * operand's codes minus 128 (a constant converted at compile time, else into scratch space), which
   * with its zero point also moved by 128 leaves {@code x - zeroPoint} unchanged.
   */
  private static Stmt.Arg signedOperand(LowerContext ctx, int i) {
    if (ctx.operandType(i).elementType() == ElementType.I8) {
      return WindowLowering.pointer(ctx.operandBuffer(i));
    }
    Tensor c = ctx.constant(i);
    if (c != null) {
      Tensor.Builder b = new Tensor.Builder(c.type().withElementType(ElementType.I8));
      for (long k = 0; k < b.size(); k++) {
        b.setLong(k, c.getLong(k) - 128);
      }
      return WindowLowering.pointer(ctx.table(b.build()));
    }
    long n = Strides.product(ctx.operandDims(i), 0, ctx.operandDims(i).length);
    Buffer s = ctx.scratch(Scalar.I8, n);
    ctx.loop("k", n, k ->
      ctx.emit(
        new Stmt.Store(
          s,
          k,
          Ex.cast(
            Scalar.I8,
            Ex.sub(Ex.cast(Scalar.I32, ctx.loadLinear(i, k)), Ex.ci(Scalar.I32, 128))
          )
        )
      )
    );
    return WindowLowering.pointer(s);
  }

  /**
   * Calls a kernel with an {@code i8} result: straight into the result when it is {@code i8} or
   * {@code i32}; for a {@code u8} result into scratch space, then each code plus 128 into the result.
   */
  private static void signedResult(LowerContext ctx, java.util.function.Consumer<Stmt.Arg> call) {
    if (ctx.resultType(0).elementType() != ElementType.U8) {
      call.accept(WindowLowering.pointer(ctx.resultBuffer(0)));
      return;
    }
    long n = Strides.product(ctx.resultDims(0), 0, ctx.resultDims(0).length);
    Buffer s = ctx.scratch(Scalar.I8, n);
    call.accept(WindowLowering.pointer(s));
    ctx.loop("k", n, k ->
      ctx.storeLinear(
        0,
        k,
        Ex.cast(Scalar.U8, Ex.add(Ex.cast(Scalar.I32, new Expr.Load(s, k)), Ex.ci(Scalar.I32, 128)))
      )
    );
  }

  /**
   * Whether the int8 kernels apply: the target links them, operands 0 and 1 are {@code i8} or
   * {@code u8} (moved to {@code i8} by {@link #signedOperand}), the result is {@code i8} or {@code
   * u8} (or {@code i32} when {@code int32Output} is allowed), the reduction has at most {@link
   * #EXACT_REDUCTION} terms and every extent fits an {@code int32_t}.
   */
  private static boolean kernelEligible(
    LowerContext ctx,
    boolean int32Output,
    long reduction,
    long[]... extents
  ) {
    ElementType out = ctx.resultType(0).elementType();
    if (
      !ctx.kernelsAvailable() ||
      !bytes(ctx.operandType(0).elementType()) ||
      !bytes(ctx.operandType(1).elementType()) ||
      !(bytes(out) || (int32Output && out == ElementType.I32)) ||
      reduction > EXACT_REDUCTION
    ) {
      return false;
    }
    return WindowLowering.fitInt32(extents);
  }

  /** The bias operand's buffer, or a null pointer when the node has none. */
  private static Stmt.Arg bias(LowerContext ctx) {
    return ctx.numOperands() > 2 ? WindowLowering.pointer(ctx.operandBuffer(2)) : new Stmt.Null();
  }

  /** Per-channel factors as an {@code i32} table for a kernel, or a null pointer for one factor. */
  private static Stmt.Arg factorTable(LowerContext ctx, List<Long> values) {
    if (values.size() == 1) {
      return new Stmt.Null();
    }
    long[] v = values.stream().mapToLong(Long::longValue).toArray();
    return WindowLowering.pointer(
      ctx.table(Tensor.ofLongs(TensorType.of(ElementType.I32, v.length), v))
    );
  }

  /** Emits {@code kiln_conv2d_s8} for a 2-D {@code i8} convolution when eligible; false otherwise. */
  private static boolean convKernel(
    LowerContext ctx,
    QConv op,
    long[] x,
    long[] w,
    long[] y,
    WindowLowering.Geometry g
  ) {
    if (
      x.length != 4 ||
      op.outputType() == ElementType.I32 ||
      !kernelEligible(
        ctx,
        false,
        w[1] * w[2] * w[3],
        x,
        w,
        y,
        g.strides(),
        g.dilations(),
        g.padBegin(),
        new long[] { op.group() }
      )
    ) {
      return false;
    }
    KernelStruct.Builder fields = KernelStructs.CONV2D_S8.builder().i32s(
      "batch",
      x[0],
      x[1],
      x[2],
      x[3],
      w[0]
    );
    Stmt.Struct params = WindowLowering.windowFields(fields, y, w, g)
      .i32s(
        "groups",
        op.group(),
        op.xZeroPoint() - shift(ctx.operandType(0).elementType()),
        op.wZeroPoint() - shift(ctx.operandType(1).elementType()),
        op.yZeroPoint() - shift(op.outputType()),
        op.multipliers().getFirst(),
        op.shifts().getFirst(),
        op.qmin() - shift(op.outputType()),
        op.qmax() - shift(op.outputType())
      )
      .build();
    Stmt.Arg in = signedOperand(ctx, 0);
    Stmt.Arg weights = signedOperand(ctx, 1);
    signedResult(ctx, out ->
      ctx.call(
        "kiln_conv2d_s8",
        List.of(
          params,
          in,
          weights,
          bias(ctx),
          factorTable(ctx, op.multipliers()),
          factorTable(ctx, op.shifts()),
          out
        )
      )
    );
    return true;
  }

  /**
   * Emits {@code kiln_gemm_s8s8s8} ({@code i8} result) or {@code kiln_gemm_s8s8s32} ({@code i32})
   * over all rows of {@code a} at once when eligible; false otherwise.
   */
  private static boolean matmulKernel(LowerContext ctx, QMatMul op, long[] a, long[] y) {
    long k = a[a.length - 1];
    long n = y[y.length - 1];
    long m = Strides.product(a, 0, a.length - 1);
    if (!kernelEligible(ctx, true, k, new long[] { m, n, k })) {
      return false;
    }
    boolean wide = op.outputType() == ElementType.I32;
    Stmt.Struct params = KernelStructs.GEMM_S8.builder()
      .i32s(
        "m",
        m,
        n,
        k,
        k,
        n,
        n,
        op.aZeroPoint() - shift(ctx.operandType(0).elementType()),
        op.bZeroPoint() - shift(ctx.operandType(1).elementType()),
        op.yZeroPoint() - shift(op.outputType()),
        wide ? 0 : op.multipliers().getFirst(),
        wide ? 0 : op.shifts().getFirst(),
        op.qmin() - shift(op.outputType()),
        op.qmax() - shift(op.outputType())
      )
      .build();
    List<Stmt.Arg> args = new ArrayList<>(
      List.of(params, signedOperand(ctx, 0), signedOperand(ctx, 1), bias(ctx))
    );
    if (!wide) {
      args.add(factorTable(ctx, op.multipliers()));
      args.add(factorTable(ctx, op.shifts()));
    }
    signedResult(ctx, out -> {
      args.add(out);
      ctx.call(wide ? "kiln_gemm_s8s8s32" : "kiln_gemm_s8s8s8", args);
    });
    return true;
  }
}
