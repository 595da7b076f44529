package dev.kiln.ir.op;

import dev.kiln.ir.Dim;
import dev.kiln.ir.Shape;
import dev.kiln.ir.Tensor;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.loop.Buffer;
import dev.kiln.ir.loop.Ex;
import dev.kiln.ir.loop.Expr;
import dev.kiln.ir.loop.LowerContext;
import dev.kiln.ir.loop.Scalar;
import dev.kiln.ir.loop.Schedule;
import dev.kiln.ir.loop.Stmt;
import java.util.List;

/**
 * The determinant of each square matrix in the last two dimensions of {@code x}, by Gaussian
 * elimination with partial pivoting in double precision. Input {@code [*, n, n]} (float), output
 * {@code [*]}. ONNX {@code Det}.
 */
public record Det() implements Op {
  public static final OpSpec SPEC = OpSpec.of("nn.det", List.of("x"), List.of("y"));

  @Override
  public List<TensorType> inferTypes(InferContext ctx) {
    TensorType x = ctx.operand(0);
    Shapes.requireFloat(x, "det input");
    OpError.check(x.rank() >= 2, "det needs rank >= 2, got %s", x);
    Dim rows = x.shape().dim(x.rank() - 2);
    Dim cols = x.shape().dim(x.rank() - 1);
    OpError.check(
      !rows.isKnown() || !cols.isKnown() || rows.size() == cols.size(),
      "det needs square matrices, got %s x %s",
      rows,
      cols
    );
    return List.of(x.withShape(new Shape(x.shape().dims().subList(0, x.rank() - 2))));
  }

  @Override
  public List<Tensor> evaluate(EvalContext ctx, List<Tensor> operands) {
    Tensor x = operands.getFirst();
    TensorType outType = inferTypes(new InferContext(List.of(x.type()), List.of())).getFirst();
    long[] shape = x.shape().sizes();
    int n = (int) shape[shape.length - 1];
    OpError.check(
      shape[shape.length - 2] == n,
      "det needs square matrices, got %d x %d",
      shape[shape.length - 2],
      n
    );
    double[] v = x.toDoubles();
    Tensor.Builder out = new Tensor.Builder(outType);
    long count = out.size();
    double[][] a = new double[n][n];
    for (long m = 0; m < count; m++) {
      for (int i = 0; i < n; i++) {
        for (int j = 0; j < n; j++) {
          a[i][j] = v[(int) (m * n * n + (long) i * n + j)];
        }
      }
      out.setDouble(m, determinant(a, n));
    }
    return List.of(out.build());
  }

  private static double determinant(double[][] a, int n) {
    double det = 1;
    for (int k = 0; k < n; k++) {
      int pivot = k;
      for (int i = k + 1; i < n; i++) {
        if (Math.abs(a[i][k]) > Math.abs(a[pivot][k])) {
          pivot = i;
        }
      }
      if (a[pivot][k] == 0) {
        return 0;
      }
      if (pivot != k) {
        double[] t = a[pivot];
        a[pivot] = a[k];
        a[k] = t;
        det = -det;
      }
      det *= a[k][k];
      for (int i = k + 1; i < n; i++) {
        double f = a[i][k] / a[k][k];
        for (int j = k; j < n; j++) {
          a[i][j] -= f * a[k][j];
        }
      }
    }
    return det;
  }

  /**
   * Per matrix: a copy in an F64 scratch buffer, then the elimination of {@link #evaluate} (row
   * swaps in place, a flag that stops at a zero pivot).
   */
  @Override
  public void lower(LowerContext ctx) {
    long[] in = ctx.operandDims(0);
    int rank = in.length;
    long n = in[rank - 1];
    Buffer a = ctx.scratch(Scalar.F64, Math.max(1, n * n));
    Scalar t = ctx.resultScalar(0);
    java.util.function.BinaryOperator<Expr> get = (i, j) -> new Expr.Load(a, at(n, i, j));
    ctx.forEach(java.util.Arrays.copyOf(in, rank - 2), m -> {
      ctx.forEach(new long[] { n, n }, ij -> {
        List<Expr> idx = new java.util.ArrayList<>(m);
        idx.addAll(ij);
        Expr x = Ex.cast(Scalar.F64, ctx.load(0, idx));
        ctx.emit(new Stmt.Store(a, at(n, ij.get(0), ij.get(1)), x));
      });
      Expr.Var det = ctx.let("det", Ex.c(Scalar.F64, 1));
      Expr.Var live = ctx.let("live", Ex.bool(true));
      ctx.loop("k", n, k ->
        ctx.ifThen(
          live,
          () -> {
            Expr.Var p = ctx.let("p", k);
            Expr.Var pv = ctx.let("pv", Ex.abs(get.apply(k, k)));
            ctx.loop("i", Ex.add(k, Ex.i64(1)), Ex.i64(n), Schedule.DEFAULT, i -> {
              Expr.Var v = ctx.let("v", Ex.abs(get.apply(i, k)));
              ctx.ifThen(
                Ex.gt(v, pv),
                () -> {
                  ctx.assign(p, i);
                  ctx.assign(pv, v);
                },
                null
              );
            });
            ctx.ifThen(
              Ex.eq(get.apply(p, k), Ex.c(Scalar.F64, 0)),
              () -> {
                ctx.assign(det, Ex.c(Scalar.F64, 0));
                ctx.assign(live, Ex.bool(false));
              },
              () -> eliminate(ctx, a, n, k, p, det)
            );
          },
          null
        )
      );
      ctx.store(0, m, Ex.cast(t, det));
    });
  }

  /** Swaps rows {@code p} and {@code k} when they differ, multiplies in the pivot, eliminates. */
  private static void eliminate(LowerContext ctx, Buffer a, long n, Expr k, Expr p, Expr.Var det) {
    ctx.ifThen(
      Ex.ne(p, k),
      () -> {
        ctx.loop("j", n, j -> {
          Expr.Var tmp = ctx.let("tmp", new Expr.Load(a, at(n, p, j)));
          ctx.emit(new Stmt.Store(a, at(n, p, j), new Expr.Load(a, at(n, k, j))));
          ctx.emit(new Stmt.Store(a, at(n, k, j), tmp));
        });
        ctx.assign(det, Ex.neg(det));
      },
      null
    );
    Expr.Var pivot = ctx.let("pivot", new Expr.Load(a, at(n, k, k)));
    ctx.assign(det, Ex.mul(det, pivot));
    ctx.loop("i", Ex.add(k, Ex.i64(1)), Ex.i64(n), Schedule.DEFAULT, i -> {
      Expr.Var f = ctx.let("f", Ex.div(new Expr.Load(a, at(n, i, k)), pivot));
      ctx.loop("j", k, Ex.i64(n), Schedule.DEFAULT, j -> {
        Expr aij = new Expr.Load(a, at(n, i, j));
        Expr akj = new Expr.Load(a, at(n, k, j));
        ctx.emit(new Stmt.Store(a, at(n, i, j), Ex.sub(aij, Ex.mul(f, akj))));
      });
    });
  }

  /** The offset of element {@code (i, j)} of a row-major {@code n x n} matrix. */
  private static Expr at(long n, Expr i, Expr j) {
    return Ex.add(Ex.mul(i, Ex.i64(n)), j);
  }
}
