package dev.kiln.ir.op;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.kiln.ir.ElementType;
import dev.kiln.ir.Shape;
import dev.kiln.ir.Tensor;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.loop.Buffer;
import dev.kiln.ir.loop.Expr;
import dev.kiln.ir.loop.LoopFunc;
import dev.kiln.ir.loop.LoopInterpreter;
import dev.kiln.ir.loop.Scalar;
import dev.kiln.ir.loop.Schedule;
import dev.kiln.ir.loop.Stmt;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** {@link Activation#lower} computes what {@link Activation#apply} computes, in f32 and f64. */
class ActivationLowerTest {

  private static final double[] XS = {
    -30,
    -6,
    -3.5,
    -1,
    -0.25,
    -1e-4,
    -0.0,
    0,
    1e-4,
    0.3,
    1,
    2.5,
    3,
    6,
    30,
    Double.NaN,
  };

  /** Runs {@code y[i] = a.lower(x[i], alpha, beta)} over {@link #XS} with elements of {@code s}. */
  private static Tensor run(Activation a, Scalar s, double alpha, double beta) {
    long n = XS.length;
    Buffer in = Buffer.param(Buffer.Kind.INPUT, "in0", s, 0, new long[] { n }, "x");
    Buffer out = Buffer.param(Buffer.Kind.OUTPUT, "out0", s, 0, new long[] { n }, "y");
    Expr.Var i = new Expr.Var("i", Scalar.I64);
    Stmt body = new Stmt.Store(out, i, a.lower(new Expr.Load(in, i), alpha, beta));
    Stmt loop = new Stmt.For(i, Expr.i64(0), Expr.i64(n), Schedule.DEFAULT, List.of(body));
    LoopFunc f = new LoopFunc(
      "t",
      List.of(in),
      List.of(out),
      List.of(),
      List.of(),
      0,
      List.of(loop)
    );
    Tensor x = Tensor.ofDoubles(new TensorType(s.elementType(), Shape.of(n)), XS);
    return LoopInterpreter.run(f, List.of(x)).getFirst();
  }

  @ParameterizedTest
  @EnumSource(Activation.class)
  void lowering_matches_apply(Activation a) {
    double alpha = a == Activation.CLIP ? -0.5 : 0.2;
    double beta = a == Activation.CLIP ? 2.0 : 0.5;
    for (Scalar s : List.of(Scalar.F32, Scalar.F64)) {
      Tensor y = run(a, s, alpha, beta);
      for (int k = 0; k < XS.length; k++) {
        double x = s == Scalar.F32 ? (float) XS[k] : XS[k];
        double expected = a.apply(x, alpha, beta);
        double actual = y.getDouble(k);
        if (Double.isNaN(expected)) {
          assertEquals(expected, actual, a + " " + s + " at " + x);
        } else {
          double tol = (s == Scalar.F32 ? 2e-6 : 1e-12) * Math.max(1, Math.abs(expected));
          assertEquals(expected, actual, tol, a + " " + s + " at " + x);
        }
      }
    }
  }
}
