package dev.kiln.ir.op;

import dev.kiln.ir.Dim;
import dev.kiln.ir.Shape;
import dev.kiln.ir.Tensor;
import dev.kiln.ir.TensorType;
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
}
