package dev.kiln.ir.op;

import dev.kiln.ir.ElementType;
import dev.kiln.ir.Tensor;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.loop.Ex;
import dev.kiln.ir.loop.Expr;
import dev.kiln.ir.loop.LowerContext;
import dev.kiln.ir.loop.Scalar;
import java.util.List;
import java.util.Map;

/**
 * A matrix of the shape of {@code x} with element type {@code dtype}: 1 where {@code j - i == k}
 * (the main diagonal for {@code k = 0}, above it for positive {@code k}), 0 elsewhere; only the
 * shape of {@code x} is read. Output shape {@code x.shape}, rank 2. ONNX {@code EyeLike}.
 */
public record EyeLike(long k, ElementType dtype) implements Op {
  public static final OpSpec SPEC = OpSpec.of(
    "nn.eye_like",
    List.of("x"),
    List.of("y")
  ).withDefaults(Map.of("k", 0L));

  @Override
  public List<TensorType> inferTypes(InferContext ctx) {
    TensorType x = ctx.operand(0);
    OpError.check(x.rank() == 2, "eye_like needs rank 2, got %s", x);
    return List.of(x.withElementType(dtype));
  }

  @Override
  public List<Tensor> evaluate(EvalContext ctx, List<Tensor> operands) {
    TensorType t = inferTypes(
      new InferContext(List.of(operands.getFirst().type()), List.of())
    ).getFirst();
    long cols = t.shape().sizes()[1];
    Tensor.Builder b = new Tensor.Builder(t);
    for (long e = 0; e < b.size(); e++) {
      if ((e % cols) - e / cols == k) {
        b.setLong(e, 1);
      }
    }
    return List.of(b.build());
  }

  @Override
  public void lower(LowerContext ctx) {
    Scalar t = ctx.resultScalar(0);
    ctx.forEach(ctx.resultDims(0), idx -> {
      Expr diagonal = Ex.eq(Ex.sub(idx.get(1), idx.get(0)), Ex.i64(k));
      ctx.store(0, idx, Ex.select(diagonal, Ex.c(t, 1), Ex.c(t, 0)));
    });
  }
}
