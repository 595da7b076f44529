package dev.kiln.ir.op;

import dev.kiln.ir.Tensor;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.loop.Ex;
import dev.kiln.ir.loop.Expr;
import dev.kiln.ir.loop.LowerContext;
import dev.kiln.ir.loop.Scalar;
import java.util.List;
import java.util.Map;

/**
 * 1 at the first maximum along {@code axis}, 0 elsewhere; output shape equals the input shape.
 * ONNX {@code Hardmax} (opset 13 semantics).
 */
public record Hardmax(long axis) implements Op, AlongAxis {
  public static final OpSpec SPEC = OpSpec.of(
    "nn.hardmax",
    List.of("x"),
    List.of("y")
  ).withDefaults(Map.of("axis", -1L));

  @Override
  public Hardmax withAxis(long a) {
    return new Hardmax(a);
  }

  @Override
  public List<TensorType> inferTypes(InferContext ctx) {
    TensorType x = ctx.operand(0);
    Shapes.axis(axis, x.rank());
    return List.of(x);
  }

  @Override
  public List<Tensor> evaluate(EvalContext ctx, List<Tensor> operands) {
    return List.of(
      AxisWise.map(operands.getFirst(), axis, v -> {
        int best = 0;
        for (int k = 1; k < v.length; k++) {
          if (v[k] > v[best]) {
            best = k;
          }
        }
        java.util.Arrays.fill(v, 0);
        if (v.length > 0) {
          v[best] = 1;
        }
      })
    );
  }

  /** Per line, the position of the first maximum, then a pass writing 1 there and 0 elsewhere. */
  @Override
  public void lower(LowerContext ctx) {
    long[] dims = ctx.operandDims(0);
    int a = Shapes.axis(axis, dims.length);
    long n = dims[a];
    if (n == 0) {
      return;
    }
    Scalar t = ctx.resultScalar(0);
    AxisLowering.lines(ctx, dims, a, idx -> {
      Expr.Var pos = AxisLowering.bestIndex(ctx, idx, a, n, false, Ex::gt);
      AxisLowering.along(ctx, 0, n, k ->
        ctx.store(0, AxisLowering.at(idx, a, k), Ex.select(Ex.eq(k, pos), Ex.c(t, 1), Ex.c(t, 0)))
      );
    });
  }
}
