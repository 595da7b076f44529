package dev.kiln.ir.op;

import dev.kiln.ir.Tensor;
import dev.kiln.ir.loop.Buffer;
import dev.kiln.ir.loop.Ex;
import dev.kiln.ir.loop.Expr;
import dev.kiln.ir.loop.LowerContext;
import dev.kiln.ir.loop.Scalar;
import dev.kiln.ir.loop.Stmt;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Loop IR for {@link MatMul} and {@link Gemm}: a loop nest with one accumulator per output element,
 * or, for {@code f32} when the target links runtime-c, one {@code kiln_gemm_f32} call per matrix
 * of the batch.
 */
final class MatMulLowering {

  private MatMulLowering() {}

  /** The shapes of a (batched) product: batch extents and the matrix sizes. */
  private record Dims(long[] batch, long m, long k, long n, boolean vecA, boolean vecB) {}

  private static Dims dims(long[] a, long[] b, long[] y) {
    boolean vecA = a.length == 1;
    boolean vecB = b.length == 1;
    long m = vecA ? 1 : a[a.length - 2];
    long k = a[a.length - 1];
    long n = vecB ? 1 : b[b.length - 1];
    int nb = y.length - (vecA ? 0 : 1) - (vecB ? 0 : 1);
    return new Dims(Arrays.copyOf(y, nb), m, k, n, vecA, vecB);
  }

  /** The batch dims of a matrix operand (none for a vector). */
  private static long[] batchOf(long[] dims, boolean vector) {
    return vector ? new long[0] : Arrays.copyOf(dims, dims.length - 2);
  }

  /** {@link MatMul}: {@code y = activation(a x b + bias)} with NumPy batch broadcasting. */
  static void matmul(LowerContext ctx, MatMul op) {
    long[] a = ctx.operandDims(0);
    long[] b = ctx.operandDims(1);
    long[] y = ctx.resultDims(0);
    Dims d = dims(a, b, y);
    if (matmulKernel(ctx, op, a, b, y, d)) {
      return;
    }
    long[] ba = batchOf(a, d.vecA());
    long[] bb = batchOf(b, d.vecB());
    Scalar t = ctx.resultScalar(0);
    ctx.forEach(y, idx -> {
      List<Expr> batch = idx.subList(0, d.batch().length);
      Expr i = d.vecA() ? Ex.i64(0) : idx.get(d.batch().length);
      Expr j = d.vecB() ? Ex.i64(0) : idx.getLast();
      Expr.Var acc = ctx.let("acc", Ex.c(t, 0));
      WindowLowering.range(ctx, "p", d.k(), p -> {
        List<Expr> ai = d.vecA()
          ? List.of(p)
          : WindowLowering.concat(WindowLowering.broadcast(batch, ba, d.batch()), List.of(i, p));
        List<Expr> bi = d.vecB()
          ? List.of(p)
          : WindowLowering.concat(WindowLowering.broadcast(batch, bb, d.batch()), List.of(p, j));
        ctx.assign(acc, Ex.add(acc, Ex.mul(ctx.load(0, ai), ctx.load(1, bi))));
      });
      WindowLowering.finish(
        ctx,
        op.activation(),
        op.activationAlpha(),
        op.activationBeta(),
        2,
        idx,
        acc
      );
    });
  }

  private static boolean matmulKernel(
    LowerContext ctx,
    MatMul op,
    long[] a,
    long[] b,
    long[] y,
    Dims d
  ) {
    if (!WindowLowering.kernelEligible(ctx, a, b, y)) {
      return false;
    }
    boolean bias = ctx.numOperands() > 2;
    long[] full = new long[d.batch().length + 2];
    System.arraycopy(d.batch(), 0, full, 0, d.batch().length);
    full[full.length - 2] = d.m();
    full[full.length - 1] = d.n();
    long[] biasDims = bias ? matrixDims(ctx.operandDims(2), y.length, d) : null;
    boolean post = !ActivationLowering.inKernel(op.activation());
    long[] ba = batchOf(a, d.vecA());
    long[] bb = batchOf(b, d.vecB());
    long bm = bias ? biasDims[biasDims.length - 2] : 1;
    long bn = bias ? biasDims[biasDims.length - 1] : 1;
    long[] biasBatch = bias ? Arrays.copyOf(biasDims, biasDims.length - 2) : new long[0];
    Tensor constB = ctx.constant(1);
    boolean packB = GemmKernel.packable(constB);
    Stmt.Struct params = GemmKernel.params(
      ctx,
      d.m(),
      d.n(),
      d.k(),
      false,
      false,
      d.k(),
      d.n(),
      d.n(),
      bm == 1 ? 0 : bn,
      bn == 1 ? 0 : 1,
      1.0,
      1.0,
      packB,
      post ? Activation.NONE : op.activation(),
      op.activationAlpha(),
      op.activationBeta()
    );
    int nr = packB ? ctx.target().gemmNr() : 0;
    long n = d.n();
    Buffer bBuf = packB
      ? ctx.table(
        GemmKernel.pack(
          constB,
          Strides.product(bb, 0, bb.length),
          d.k() * n,
          n,
          d.k(),
          nr,
          (j, q) -> q * n + j
        )
      )
      : ctx.operandBuffer(1);
    long bMatrix = packB ? GemmKernel.panelsSize(n, d.k(), nr) : d.k() * n;
    Buffer out = ctx.resultBuffer(0);
    WindowLowering.nest(ctx, "b", d.batch(), batch -> {
      Expr ao = Ex.mul(
        Ex.linear(ba, WindowLowering.broadcast(batch, ba, d.batch())),
        Ex.i64(d.m() * d.k())
      );
      Expr bo = Ex.mul(
        Ex.linear(bb, WindowLowering.broadcast(batch, bb, d.batch())),
        Ex.i64(bMatrix)
      );
      Expr yo = Ex.mul(Ex.linear(d.batch(), batch), Ex.i64(d.m() * d.n()));
      Stmt.Arg biasArg = new Stmt.Null();
      if (bias) {
        Expr co = Ex.mul(
          Ex.linear(biasBatch, WindowLowering.broadcast(batch, biasBatch, d.batch())),
          Ex.i64(bm * bn)
        );
        biasArg = new Stmt.Pointer(ctx.operandBuffer(2), co);
      }
      ctx.call(
        "kiln_gemm_f32",
        List.of(
          params,
          new Stmt.Pointer(ctx.operandBuffer(0), ao),
          new Stmt.Pointer(bBuf, bo),
          biasArg,
          new Stmt.Null(),
          new Stmt.Pointer(out, yo),
          new Stmt.Exec()
        )
      );
    });
    if (post) {
      WindowLowering.epiloguePass(
        ctx,
        op.activation(),
        op.activationAlpha(),
        op.activationBeta(),
        -1
      );
    }
    return true;
  }

  /**
   * The dims of an addend that broadcasts to a product's result (rank {@code rank}), padded with
   * leading ones to that rank and with the matrix axes a vector operand removed put back as 1, so
   * the last two are its row and column extents.
   */
  private static long[] matrixDims(long[] addend, int rank, Dims d) {
    List<Long> r = new ArrayList<>();
    for (int i = 0; i < rank - addend.length; i++) {
      r.add(1L);
    }
    for (long v : addend) {
      r.add(v);
    }
    if (d.vecA()) {
      r.add(d.batch().length, 1L);
    }
    if (d.vecB()) {
      r.add(1L);
    }
    return r.stream().mapToLong(Long::longValue).toArray();
  }

  /** {@link Gemm}: {@code y = activation(alpha * op(a) op(b) + beta * c)}. */
  static void gemm(LowerContext ctx, Gemm op) {
    long[] a = ctx.operandDims(0);
    long[] b = ctx.operandDims(1);
    long[] y = ctx.resultDims(0);
    long k = op.transA() ? a[0] : a[1];
    boolean c = ctx.numOperands() > 2;
    if (WindowLowering.kernelEligible(ctx, a, b, y)) {
      long[] cd = c
        ? matrixDims(ctx.operandDims(2), 2, new Dims(new long[0], y[0], k, y[1], false, false))
        : new long[] { 1, 1 };
      boolean post = !ActivationLowering.inKernel(op.activation());
      Tensor constB = ctx.constant(1);
      boolean packB = GemmKernel.packable(constB);
      Stmt.Struct params = GemmKernel.params(
        ctx,
        y[0],
        y[1],
        k,
        op.transA(),
        op.transB(),
        a[1],
        b[1],
        y[1],
        cd[0] == 1 ? 0 : cd[1],
        cd[1] == 1 ? 0 : 1,
        op.alpha(),
        op.beta(),
        packB,
        post ? Activation.NONE : op.activation(),
        op.activationAlpha(),
        op.activationBeta()
      );
      long n = y[1];
      long ldb = b[1];
      Buffer bBuf = packB
        ? ctx.table(
          GemmKernel.pack(
            constB,
            1,
            0,
            n,
            k,
            ctx.target().gemmNr(),
            op.transB() ? (j, q) -> j * ldb + q : (j, q) -> q * ldb + j
          )
        )
        : ctx.operandBuffer(1);
      ctx.call(
        "kiln_gemm_f32",
        List.of(
          params,
          WindowLowering.pointer(ctx.operandBuffer(0)),
          WindowLowering.pointer(bBuf),
          c ? WindowLowering.pointer(ctx.operandBuffer(2)) : new Stmt.Null(),
          new Stmt.Null(),
          WindowLowering.pointer(ctx.resultBuffer(0)),
          new Stmt.Exec()
        )
      );
      if (post) {
        WindowLowering.epiloguePass(
          ctx,
          op.activation(),
          op.activationAlpha(),
          op.activationBeta(),
          -1
        );
      }
      return;
    }
    Scalar t = ctx.resultScalar(0);
    Scalar acc = t.isFloat() ? t : Scalar.F64;
    ctx.forEach(y, idx -> {
      Expr i = idx.get(0);
      Expr j = idx.get(1);
      Expr.Var sum = ctx.let("acc", Ex.c(acc, 0));
      WindowLowering.range(ctx, "p", k, p -> {
        Expr av = ctx.load(0, op.transA() ? List.of(p, i) : List.of(i, p));
        Expr bv = ctx.load(1, op.transB() ? List.of(j, p) : List.of(p, j));
        ctx.assign(sum, Ex.add(sum, Ex.mul(Ex.cast(acc, av), Ex.cast(acc, bv))));
      });
      Expr v = Ex.mul(Ex.c(acc, op.alpha()), sum);
      if (c) {
        Expr cv = ctx.load(2, WindowLowering.broadcast(idx, ctx.operandDims(2), y));
        v = Ex.add(v, Ex.mul(Ex.c(acc, op.beta()), Ex.cast(acc, cv)));
      }
      ctx.store(
        0,
        idx,
        Ex.cast(
          t,
          ActivationLowering.apply(op.activation(), op.activationAlpha(), op.activationBeta(), v)
        )
      );
    });
  }
}
