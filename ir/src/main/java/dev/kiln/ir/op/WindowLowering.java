package dev.kiln.ir.op;

import dev.kiln.ir.ElementType;
import dev.kiln.ir.Tensor;
import dev.kiln.ir.loop.Buffer;
import dev.kiln.ir.loop.Ex;
import dev.kiln.ir.loop.Expr;
import dev.kiln.ir.loop.KernelStruct;
import dev.kiln.ir.loop.KernelStructs;
import dev.kiln.ir.loop.LowerContext;
import dev.kiln.ir.loop.Scalar;
import dev.kiln.ir.loop.Stmt;
import dev.kiln.ir.loop.UnaryOp;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;

/**
 * Loop IR for the sliding-window ops (convolution and pooling) and the micro-kernel calls that
 * replace it for 2-D {@code f32} windows when the target links runtime-c. The loop nests read
 * every input element through a bounds condition that is emitted only for the axes where padding
 * (or {@code ceil_mode}) can place a window position outside the input, so no load is ever out of
 * range.
 */
final class WindowLowering {

  private WindowLowering() {}

  /** Where a window slides: spatial extents and the window attributes, one entry per axis. */
  record Geometry(
    long[] in,
    long[] kernel,
    long[] out,
    long[] strides,
    long[] dilations,
    long[] padBegin,
    long[] padEnd
  ) {
    static Geometry of(
      long[] x,
      long[] kernel,
      long[] y,
      List<Long> strides,
      List<Long> pads,
      List<Long> dilations
    ) {
      int k = x.length - 2;
      return new Geometry(
        WindowLoops.spatial(x),
        kernel,
        WindowLoops.spatial(y),
        WindowLoops.orOnes(strides, k),
        WindowLoops.orOnes(dilations, k),
        WindowLoops.padBegins(pads, k),
        WindowLoops.padEnds(pads, k)
      );
    }

    int rank() {
      return in.length;
    }

    /** The last position a window reaches along {@code d}, relative to the unpadded input. */
    long reach(int d) {
      return (out[d] - 1) * strides[d] - padBegin[d] + (kernel[d] - 1) * dilations[d];
    }

    /** True when some window position along {@code d} lies before or after the input. */
    boolean leaves(int d) {
      return out[d] > 0 && (padBegin[d] > 0 || reach(d) >= in[d]);
    }

    /** True when every window position lies inside the input. */
    boolean inside() {
      for (int d = 0; d < rank(); d++) {
        if (leaves(d)) {
          return false;
        }
      }
      return true;
    }

    long kernelSize() {
      return Strides.product(kernel, 0, kernel.length);
    }
  }

  /** A kernel position of a window: its offsets, the input positions and whether they are inside. */
  record Tap(List<Expr> offsets, List<Expr> positions, Expr inside) {}

  /** {@code for i in [0, n)}, or the body with the constant 0 when {@code n == 1}. */
  static void range(LowerContext ctx, String hint, long n, Consumer<Expr> body) {
    if (n == 1) {
      body.accept(Ex.i64(0));
    } else {
      ctx.loop(hint, n, body::accept);
    }
  }

  /** Loops over every index of {@code dims} (outermost first) without the vectorized default. */
  static void nest(LowerContext ctx, String hint, long[] dims, Consumer<List<Expr>> body) {
    nest(ctx, hint, dims, 0, new ArrayList<>(), body);
  }

  private static void nest(
    LowerContext ctx,
    String hint,
    long[] dims,
    int d,
    List<Expr> idx,
    Consumer<List<Expr>> body
  ) {
    if (d == dims.length) {
      body.accept(List.copyOf(idx));
      return;
    }
    range(ctx, hint, dims[d], i -> {
      idx.add(i);
      nest(ctx, hint, dims, d + 1, idx, body);
      idx.removeLast();
    });
  }

  /**
   * Runs {@code body} for every kernel position of the window at output position {@code out}: the
   * input position along axis {@code d} is {@code out_d * stride_d - padBegin_d + k_d *
   * dilation_d}; {@link Tap#inside} is null when the geometry keeps every position inside.
   */
  static void window(LowerContext ctx, Geometry g, List<Expr> out, Consumer<Tap> body) {
    nest(ctx, "k", g.kernel(), ks -> {
      List<Expr> pos = new ArrayList<>();
      Expr inside = null;
      for (int d = 0; d < g.rank(); d++) {
        Expr p = Ex.add(
          Ex.sub(Ex.mul(out.get(d), Ex.i64(g.strides()[d])), Ex.i64(g.padBegin()[d])),
          Ex.mul(ks.get(d), Ex.i64(g.dilations()[d]))
        );
        pos.add(p);
        if (g.leaves(d)) {
          Expr c = Ex.and(Ex.ge(p, Ex.i64(0)), Ex.lt(p, Ex.i64(g.in()[d])));
          inside = inside == null ? c : Ex.and(inside, c);
        }
      }
      body.accept(new Tap(ks, pos, inside));
    });
  }

  /** Runs {@code then} under {@code cond}, or unconditionally when {@code cond} is null. */
  static void guarded(LowerContext ctx, Expr cond, Runnable then) {
    if (cond == null) {
      then.run();
    } else {
      ctx.ifThen(cond, then, null);
    }
  }

  /** The index into an operand of {@code dims} that broadcasting to {@code out} reads at {@code idx}. */
  static List<Expr> broadcast(List<Expr> idx, long[] dims, long[] out) {
    int shift = out.length - dims.length;
    List<Expr> r = new ArrayList<>(dims.length);
    for (int d = 0; d < dims.length; d++) {
      r.add(dims[d] == 1 && out[d + shift] != 1 ? Ex.i64(0) : idx.get(d + shift));
    }
    return r;
  }

  static List<Expr> concat(List<Expr> a, List<Expr> b) {
    List<Expr> r = new ArrayList<>(a);
    r.addAll(b);
    return r;
  }

  // ---- convolution ----

  /** {@link Conv}'s loop nest: one accumulator per output element, then bias, residual, activation. */
  static void conv(LowerContext ctx, Conv op) {
    long[] x = ctx.operandDims(0);
    long[] w = ctx.operandDims(1);
    long[] y = ctx.resultDims(0);
    Geometry g = Geometry.of(x, WindowLoops.spatial(w), y, op.strides(), op.pads(), op.dilations());
    if (convAsRowGemm(ctx, op, x, w, y, g) || convKernel(ctx, op, x, w, y, g)) {
      return;
    }
    long groups = op.group();
    long cg = x[1] / groups;
    long mg = w[0] / groups;
    Scalar t = ctx.resultScalar(0);
    boolean bias = ctx.numOperands() > 2;
    range(ctx, "n", y[0], n ->
      range(ctx, "g", groups, gi ->
        range(ctx, "m", mg, mi -> {
          Expr oc = Ex.add(Ex.mul(gi, Ex.i64(mg)), mi);
          nest(ctx, "o", g.out(), o -> {
            Expr.Var acc = ctx.let("acc", bias ? ctx.load(2, List.of(oc)) : Ex.c(t, 0));
            range(ctx, "c", cg, ci -> {
              Expr ic = Ex.add(Ex.mul(gi, Ex.i64(cg)), ci);
              window(ctx, g, o, tap ->
                guarded(ctx, tap.inside(), () -> {
                  Expr xv = ctx.load(0, concat(List.of(n, ic), tap.positions()));
                  Expr wv = ctx.load(1, concat(List.of(oc, ci), tap.offsets()));
                  ctx.assign(acc, Ex.add(acc, Ex.mul(xv, wv)));
                })
              );
            });
            List<Expr> yi = concat(List.of(n, oc), o);
            finish(ctx, op.activation(), op.activationAlpha(), op.activationBeta(), 3, yi, acc);
          });
        })
      )
    );
  }

  /**
   * Stores {@code activation(acc + addend)} at {@code idx} of the result, where the addend is
   * operand {@code addend} broadcast to the result when the node has it.
   */
  static void finish(
    LowerContext ctx,
    Activation a,
    double alpha,
    double beta,
    int addend,
    List<Expr> idx,
    Expr acc
  ) {
    Expr v = acc;
    if (ctx.numOperands() > addend) {
      v = Ex.add(v, ctx.load(addend, broadcast(idx, ctx.operandDims(addend), ctx.resultDims(0))));
    }
    ctx.store(0, idx, ActivationLowering.apply(a, alpha, beta, v));
  }

  /**
   * After a micro-kernel wrote the result without (part of) its epilogue: adds operand {@code
   * addend} (broadcast, when {@code addend >= 0} and the node has it) and applies {@code a} to
   * every result element in place.
   */
  static void epiloguePass(LowerContext ctx, Activation a, double alpha, double beta, int addend) {
    long[] y = ctx.resultDims(0);
    Buffer out = ctx.resultBuffer(0);
    ctx.forEach(y, idx -> {
      Expr v = new Expr.Load(out, Ex.linear(y, idx));
      if (addend >= 0 && ctx.numOperands() > addend) {
        v = Ex.add(v, ctx.load(addend, broadcast(idx, ctx.operandDims(addend), y)));
      }
      ctx.store(0, idx, ActivationLowering.apply(a, alpha, beta, v));
    });
  }

  /** Whether node operand 0 and result 0 are {@code f32} and every extent fits a C {@code int32_t}. */
  static boolean kernelEligible(LowerContext ctx, long[]... extents) {
    if (
      !ctx.kernelsAvailable() ||
      ctx.operandType(0).elementType() != ElementType.F32 ||
      ctx.resultType(0).elementType() != ElementType.F32
    ) {
      return false;
    }
    return fitInt32(extents);
  }

  /** Whether every value of {@code extents} fits a C {@code int32_t}. */
  static boolean fitInt32(long[]... extents) {
    for (long[] e : extents) {
      for (long v : e) {
        if (v < Integer.MIN_VALUE || v > Integer.MAX_VALUE) {
          return false;
        }
      }
    }
    return true;
  }

  /**
   * Sets the window members the 2-D kernel structs share ({@code out_h, out_w, kernel_h,
   * kernel_w, stride_h, stride_w, pad_top, pad_left, dilation_h, dilation_w}) from the result's
   * dims {@code y}, the last two of {@code kernel} and {@code g}.
   */
  static KernelStruct.Builder windowFields(
    KernelStruct.Builder b,
    long[] y,
    long[] kernel,
    Geometry g
  ) {
    return b
      .i32("out_h", y[2])
      .i32("out_w", y[3])
      .i32("kernel_h", kernel[kernel.length - 2])
      .i32("kernel_w", kernel[kernel.length - 1])
      .i32("stride_h", g.strides()[0])
      .i32("stride_w", g.strides()[1])
      .i32("pad_top", g.padBegin()[0])
      .i32("pad_left", g.padBegin()[1])
      .i32("dilation_h", g.dilations()[0])
      .i32("dilation_w", g.dilations()[1]);
  }

  static Stmt.Arg pointer(Buffer b) {
    return new Stmt.Pointer(b, Ex.i64(0));
  }

  /** The share of {@code ceil(extent / block) * block} that {@code extent} fills. */
  private static double filled(long extent, long block) {
    return (double) extent / (((extent + block - 1) / block) * block);
  }

  /**
   * How much fuller the register blocks must be with output positions as rows before {@link
   * #convAsRowGemm} pays for its im2col copy and transpose (measured: ResNet-50's 7x7 layers, 1.3x
   * fuller, run slower that way; a spectrogram's 5-position convolution, 2.4x, twice as fast).
   */
  private static final double ROW_GEMM_GAIN = 1.5;

  /**
   * A convolution with few output positions and constant weights, as one GEMM whose rows are the
   * output positions: the im2col matrix ({@code positions x in_channels * kernel}) is built in
   * scratch, multiplied by the weights packed at compile time as the GEMM's B ({@code in_channels
   * * kernel x out_channels}) with the bias per column and the kernel epilogue, and the product is
   * transposed into the NCHW result (adding a residual and the remaining activation). With fewer
   * positions than half a register block's columns, the usual orientation (positions as columns)
   * would leave most of every micro-kernel tile empty. Batch 1 and one group only.
   */
  private static boolean convAsRowGemm(
    LowerContext ctx,
    Conv op,
    long[] x,
    long[] w,
    long[] y,
    Geometry g
  ) {
    if (
      !kernelEligible(ctx, x, w, y) ||
      x[0] != 1 ||
      op.group() != 1 ||
      !GemmKernel.packable(ctx.constant(1))
    ) {
      return false;
    }
    int nr = ctx.target().gemmNr();
    long positions = Strides.product(y, 2, y.length);
    long channels = x[1];
    long taps = Strides.product(w, 2, w.length);
    long k = channels * taps;
    long m = y[1];
    int mr = ctx.target().gemmMr();
    if (
      filled(positions, mr) * filled(m, nr) <=
        ROW_GEMM_GAIN * filled(positions, nr) * filled(m, mr) ||
      !fitInt32(new long[] { positions * k, positions * m })
    ) {
      return false;
    }
    Buffer col = ctx.scratch(Scalar.F32, positions * k);
    long[] out = Arrays.copyOfRange(y, 2, y.length);
    long[] kernel = Arrays.copyOfRange(w, 2, w.length);
    nest(ctx, "o", out, o -> {
      Expr row = Ex.mul(Ex.linear(out, o), Ex.i64(k));
      range(ctx, "c", channels, c ->
        window(ctx, g, o, tap -> {
          Expr at = Ex.add(row, Ex.add(Ex.mul(c, Ex.i64(taps)), Ex.linear(kernel, tap.offsets())));
          if (tap.inside() != null) {
            ctx.emit(new Stmt.Store(col, at, Ex.c(Scalar.F32, 0)));
          }
          guarded(ctx, tap.inside(), () ->
            ctx.emit(
              new Stmt.Store(col, at, ctx.load(0, concat(List.of(Ex.i64(0), c), tap.positions())))
            )
          );
        })
      );
    });
    boolean residual = ctx.numOperands() > 3;
    boolean post = !ActivationLowering.inKernel(op.activation()) || residual;
    Stmt.Struct params = GemmKernel.params(
      ctx,
      positions,
      m,
      k,
      false,
      false,
      k,
      m,
      m,
      0,
      1,
      1.0,
      1.0,
      true,
      post ? Activation.NONE : op.activation(),
      op.activationAlpha(),
      op.activationBeta()
    );
    Buffer weights = ctx.table(
      GemmKernel.pack(ctx.constant(1), 1, 0, m, k, nr, (j, q) -> j * k + q)
    );
    Buffer product = ctx.scratch(Scalar.F32, positions * m);
    ctx.call(
      "kiln_gemm_f32",
      List.of(
        params,
        pointer(col),
        pointer(weights),
        ctx.numOperands() > 2 ? pointer(ctx.operandBuffer(2)) : new Stmt.Null(),
        new Stmt.Null(),
        pointer(product),
        new Stmt.Exec()
      )
    );
    ctx.forEach(y, idx -> {
      Expr p = Ex.linear(out, idx.subList(2, idx.size()));
      Expr v = new Expr.Load(product, Ex.add(Ex.mul(p, Ex.i64(m)), idx.get(1)));
      if (residual) {
        v = Ex.add(v, ctx.load(3, broadcast(idx, ctx.operandDims(3), y)));
      }
      if (post) {
        v = ActivationLowering.apply(op.activation(), op.activationAlpha(), op.activationBeta(), v);
      }
      ctx.store(0, idx, v);
    });
    return true;
  }

  /**
   * Emits {@code kiln_conv2d_f32}, {@code kiln_conv2d_winograd_f32} where {@link WinogradKernel}
   * applies or, for a grouped convolution with one input channel per group, {@code
   * kiln_depthwise_conv2d_f32}, when eligible; false otherwise. A 1-D convolution is the 2-D
   * one of a single input row ({@code [N, C, W]} as {@code [N, C, 1, W]}).
   */
  private static boolean convKernel(
    LowerContext ctx,
    Conv op,
    long[] x,
    long[] w,
    long[] y,
    Geometry g
  ) {
    if (x.length == 3) {
      x = new long[] { x[0], x[1], 1, x[2] };
      w = new long[] { w[0], w[1], 1, w[2] };
      y = new long[] { y[0], y[1], 1, y[2] };
      g = new Geometry(
        new long[] { 1, g.in()[0] },
        new long[] { 1, g.kernel()[0] },
        new long[] { 1, g.out()[0] },
        new long[] { 1, g.strides()[0] },
        new long[] { 1, g.dilations()[0] },
        new long[] { 0, g.padBegin()[0] },
        new long[] { 0, g.padEnd()[0] }
      );
    }
    if (
      x.length != 4 ||
      !kernelEligible(
        ctx,
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
    boolean residual = ctx.numOperands() > 3;
    boolean post =
      !ActivationLowering.inKernel(op.activation()) ||
      (residual && !Arrays.equals(ctx.operandDims(3), ctx.resultDims(0)));
    List<Expr> epilogue = ActivationLowering.kernelEpilogue(
      post ? Activation.NONE : op.activation(),
      op.activationAlpha(),
      op.activationBeta()
    );
    if (WinogradKernel.applies(ctx, op, x, w, y, g)) {
      Stmt.Struct params = WinogradKernel.params(ctx, x, w, y, g.padBegin(), epilogue);
      Buffer u = ctx.table(
        WinogradKernel.transformedWeights(ctx.target(), ctx.constant(1), w[0], w[1])
      );
      List<Stmt.Arg> args = kernelArgs(ctx, params, u, residual && !post);
      args.add(new Stmt.Exec());
      ctx.call("kiln_conv2d_winograd_f32", args);
    } else {
      convCall(ctx, op, x, w, y, g, epilogue, residual && !post);
    }
    if (post) {
      epiloguePass(ctx, op.activation(), op.activationAlpha(), op.activationBeta(), 3);
    }
    return true;
  }

  /** The buffers of a convolution kernel call after its params: x, weights, bias, residual, y. */
  private static List<Stmt.Arg> kernelArgs(
    LowerContext ctx,
    Stmt.Struct params,
    Buffer weights,
    boolean residual
  ) {
    return new ArrayList<>(
      List.of(
        params,
        pointer(ctx.operandBuffer(0)),
        pointer(weights),
        ctx.numOperands() > 2 ? pointer(ctx.operandBuffer(2)) : new Stmt.Null(),
        residual ? pointer(ctx.operandBuffer(3)) : new Stmt.Null(),
        pointer(ctx.resultBuffer(0))
      )
    );
  }

  /** {@code kiln_conv2d_f32} or {@code kiln_depthwise_conv2d_f32}, with the kernel's epilogue. */
  private static void convCall(
    LowerContext ctx,
    Conv op,
    long[] x,
    long[] w,
    long[] y,
    Geometry g,
    List<Expr> epilogue,
    boolean residual
  ) {
    boolean depthwise = op.group() > 1 && op.group() == x[1] && w[1] == 1;
    KernelStruct.Builder fields = (depthwise
        ? KernelStructs.DEPTHWISE_CONV2D_F32.builder().i32s(
          "batch",
          x[0],
          x[1],
          x[2],
          x[3],
          w[0] / x[1]
        )
        : KernelStructs.CONV2D_F32.builder().i32s("batch", x[0], x[1], x[2], x[3], w[0])).epilogue(
      "epilogue",
      epilogue
    );
    windowFields(fields, y, w, g);
    Buffer weights = ctx.operandBuffer(1);
    if (!depthwise) {
      fields.i32("groups", op.group());
      long groups = op.group();
      long go = w[0] / groups;
      long kk = w[1] * w[2] * w[3];
      GemmKernel gk = GemmKernel.of(ctx.target(), go, y[2] * y[3], kk);
      Tensor constW = ctx.constant(1);
      int packed = GemmKernel.packable(constW) ? GemmKernel.PACKED_A : 0;
      if (packed != 0) {
        int mr = ctx.target().gemmMr();
        weights = ctx.table(
          GemmKernel.pack(constW, groups, go * kk, go, kk, mr, (r, q) -> r * kk + q)
        );
      }
      long inPlace = packed == 0
        ? 0
        : GemmKernel.convInPlaceScratchBytes(
          ctx.target(),
          x[1] / groups,
          w,
          y,
          x,
          g.strides(),
          g.dilations(),
          g.padBegin()
        );
      ctx.reserveThreadScratch(Math.max(gk.scratchBytes(packed), inPlace));
      gk.blocks(fields, packed);
    }
    List<Stmt.Arg> args = kernelArgs(ctx, fields.build(), weights, residual);
    args.add(new Stmt.Exec());
    ctx.call(depthwise ? "kiln_depthwise_conv2d_f32" : "kiln_conv2d_f32", args);
  }

  /**
   * {@link ConvTranspose} as a gather: output position {@code o} along axis {@code d} takes input
   * position {@code t / stride} for each kernel offset {@code q} with {@code t = o + padBegin - q *
   * dilation} divisible by the stride and inside the input.
   */
  static void convTranspose(LowerContext ctx, ConvTranspose op) {
    long[] x = ctx.operandDims(0);
    long[] w = ctx.operandDims(1);
    long[] y = ctx.resultDims(0);
    int rank = x.length - 2;
    long[] in = WindowLoops.spatial(x);
    long[] kern = WindowLoops.spatial(w);
    long[] out = WindowLoops.spatial(y);
    long[] st = WindowLoops.orOnes(op.strides(), rank);
    long[] dl = WindowLoops.orOnes(op.dilations(), rank);
    long[] pb = WindowLoops.padBegins(op.pads(), rank);
    long groups = op.group();
    long cg = x[1] / groups;
    long mg = w[1];
    Scalar t = ctx.resultScalar(0);
    boolean bias = ctx.numOperands() > 2;
    range(ctx, "n", y[0], n ->
      range(ctx, "g", groups, gi ->
        range(ctx, "m", mg, mi -> {
          Expr oc = Ex.add(Ex.mul(gi, Ex.i64(mg)), mi);
          nest(ctx, "o", out, o -> {
            Expr.Var acc = ctx.let("acc", bias ? ctx.load(2, List.of(oc)) : Ex.c(t, 0));
            range(ctx, "c", cg, ci -> {
              Expr ic = Ex.add(Ex.mul(gi, Ex.i64(cg)), ci);
              nest(ctx, "k", kern, ks -> {
                List<Expr> pos = new ArrayList<>();
                Expr cond = null;
                for (int d = 0; d < rank; d++) {
                  Expr s = Ex.i64(st[d]);
                  Expr off = Ex.sub(
                    Ex.add(o.get(d), Ex.i64(pb[d])),
                    Ex.mul(ks.get(d), Ex.i64(dl[d]))
                  );
                  List<Expr> checks = new ArrayList<>();
                  if (st[d] != 1) {
                    checks.add(Ex.eq(Ex.rem(off, s), Ex.i64(0)));
                  }
                  if (pb[d] - (kern[d] - 1) * dl[d] < 0) {
                    checks.add(Ex.ge(off, Ex.i64(0)));
                  }
                  if (out[d] - 1 + pb[d] >= in[d] * st[d]) {
                    checks.add(Ex.lt(off, Ex.i64(in[d] * st[d])));
                  }
                  for (Expr c : checks) {
                    cond = cond == null ? c : Ex.and(cond, c);
                  }
                  pos.add(Ex.div(off, s));
                }
                guarded(ctx, cond, () -> {
                  Expr xv = ctx.load(0, concat(List.of(n, ic), pos));
                  Expr wv = ctx.load(1, concat(List.of(ic, mi), ks));
                  ctx.assign(acc, Ex.add(acc, Ex.mul(xv, wv)));
                });
              });
            });
            ctx.store(0, concat(List.of(n, oc), o), acc);
          });
        })
      )
    );
  }

  // ---- pooling ----

  /** Max or average pooling over the spatial axes of operand 0. */
  static void pool(
    LowerContext ctx,
    List<Long> kernel,
    List<Long> strides,
    List<Long> pads,
    List<Long> dilations,
    Pooling.Kind kind
  ) {
    long[] x = ctx.operandDims(0);
    long[] y = ctx.resultDims(0);
    long[] kern = kernel.stream().mapToLong(Long::longValue).toArray();
    Geometry g = Geometry.of(x, kern, y, strides, pads, dilations);
    Scalar t = ctx.resultScalar(0);
    if (kind != Pooling.Kind.MAX && !t.isFloat()) {
      throw new UnsupportedOperationException("average pooling of " + t + " is not supported");
    }
    if (
      x.length == 4 &&
      kernelEligible(ctx, x, y, kern, g.strides(), g.dilations(), g.padBegin(), g.padEnd())
    ) {
      KernelStruct.Builder fields = KernelStructs.POOL2D_F32.builder()
        .i32s("batch", x[0], x[1], x[2], x[3])
        .i32("pad_bottom", g.padEnd()[0])
        .i32("pad_right", g.padEnd()[1])
        .i32("count_include_pad", kind == Pooling.Kind.AVERAGE_INCLUDE_PAD ? 1 : 0);
      Stmt.Struct params = windowFields(fields, y, kern, g)
        .epilogue("epilogue", ActivationLowering.kernelEpilogue(Activation.NONE, 0, 0))
        .build();
      ctx.call(
        kind == Pooling.Kind.MAX ? "kiln_maxpool2d_f32" : "kiln_avgpool2d_f32",
        List.of(
          params,
          pointer(ctx.operandBuffer(0)),
          new Stmt.Null(),
          new Stmt.Null(),
          pointer(ctx.resultBuffer(0)),
          new Stmt.Exec()
        )
      );
      return;
    }
    nest(ctx, "p", new long[] { y[0], y[1] }, p ->
      nest(ctx, "o", g.out(), o -> {
        Expr.Var acc = ctx.let("acc", kind == Pooling.Kind.MAX ? lowest(t) : Ex.c(t, 0));
        Expr.Var count = g.inside() ? null : ctx.let("count", Ex.i64(0));
        window(ctx, g, o, tap -> {
          guarded(ctx, tap.inside(), () -> {
            Expr v = ctx.load(0, concat(p, tap.positions()));
            ctx.assign(acc, kind == Pooling.Kind.MAX ? Ex.max(acc, v) : Ex.add(acc, v));
            if (count != null && kind == Pooling.Kind.AVERAGE) {
              ctx.assign(count, Ex.add(count, Ex.i64(1)));
            }
          });
          if (count != null && kind == Pooling.Kind.AVERAGE_INCLUDE_PAD) {
            guarded(ctx, inPadding(g, tap), () -> ctx.assign(count, Ex.add(count, Ex.i64(1))));
          }
        });
        Expr r = acc;
        if (kind != Pooling.Kind.MAX) {
          Expr divisor = count == null ? Ex.c(t, g.kernelSize()) : Ex.cast(t, count);
          r = Ex.div(acc, divisor);
        }
        ctx.store(0, concat(p, o), r);
      })
    );
  }

  /** Whether a tap lies inside the input or its explicit padding (null: always). */
  private static Expr inPadding(Geometry g, Tap tap) {
    Expr c = null;
    for (int d = 0; d < g.rank(); d++) {
      if (g.reach(d) >= g.in()[d] + g.padEnd()[d]) {
        Expr e = Ex.lt(tap.positions().get(d), Ex.i64(g.in()[d] + g.padEnd()[d]));
        c = c == null ? e : Ex.and(c, e);
      }
    }
    return c;
  }

  /** The smallest value of {@code t}: -infinity for floats. */
  static Expr lowest(Scalar t) {
    if (t.isFloat()) {
      return Ex.c(t, Double.NEGATIVE_INFINITY);
    }
    if (t.isUnsigned() || t == Scalar.BOOL) {
      return Ex.ci(t, 0);
    }
    return Ex.ci(t, -(1L << (t.bits() - 1)));
  }

  /** {@link MaxPoolIndices}: the flat index of the first maximum of every window. */
  static void maxPoolIndices(LowerContext ctx, MaxPoolIndices op) {
    long[] x = ctx.operandDims(0);
    long[] y = ctx.resultDims(0);
    long[] kern = op.kernel().stream().mapToLong(Long::longValue).toArray();
    Geometry g = Geometry.of(x, kern, y, op.strides(), op.pads(), op.dilations());
    int k = g.rank();
    long[] layout = new long[k];
    long stride = 1;
    for (int d = 0; d < k; d++) {
      int axis = op.columnMajor() ? d : k - 1 - d;
      layout[axis] = stride;
      stride *= g.in()[axis];
    }
    long inPlane = stride;
    Scalar t = ctx.operandScalar(0);
    nest(ctx, "p", new long[] { y[0], y[1] }, p ->
      nest(ctx, "o", g.out(), o -> {
        Expr.Var best = ctx.let("best", lowest(t));
        Expr.Var where = ctx.let("where", Ex.i64(-1));
        window(ctx, g, o, tap ->
          guarded(ctx, tap.inside(), () -> {
            Expr.Var v = ctx.let("v", ctx.load(0, concat(p, tap.positions())));
            Expr better = Ex.or(Ex.lt(where, Ex.i64(0)), Ex.gt(v, best));
            if (t.isFloat()) {
              better = Ex.or(
                better,
                Ex.and(Ex.un(UnaryOp.IS_NAN, v), Ex.not(Ex.un(UnaryOp.IS_NAN, best)))
              );
            }
            Expr flat = Ex.mul(Ex.add(Ex.mul(p.get(0), Ex.i64(x[1])), p.get(1)), Ex.i64(inPlane));
            for (int d = 0; d < k; d++) {
              flat = Ex.add(flat, Ex.mul(tap.positions().get(d), Ex.i64(layout[d])));
            }
            Expr at = flat;
            ctx.ifThen(
              better,
              () -> {
                ctx.assign(best, v);
                ctx.assign(where, at);
              },
              null
            );
          })
        );
        ctx.store(0, concat(p, o), where);
      })
    );
  }

  /** {@link GlobalAveragePool}: the mean of every spatial plane. */
  static void globalAveragePool(LowerContext ctx) {
    long[] x = ctx.operandDims(0);
    long inner = Strides.product(x, 2, x.length);
    if (x.length == 4 && kernelEligible(ctx, x)) {
      pool(ctx, List.of(x[2], x[3]), List.of(), List.of(), List.of(), Pooling.Kind.AVERAGE);
      return;
    }
    Scalar t = ctx.resultScalar(0);
    long planes = x[0] * x[1];
    range(ctx, "p", planes, p -> {
      Expr.Var acc = ctx.let("acc", Ex.c(t, 0));
      range(ctx, "i", inner, i ->
        ctx.assign(acc, Ex.add(acc, ctx.loadLinear(0, Ex.add(Ex.mul(p, Ex.i64(inner)), i))))
      );
      ctx.storeLinear(0, p, Ex.div(acc, Ex.c(t, inner)));
    });
  }
}
