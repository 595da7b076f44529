package dev.kiln.ir.op;

import dev.kiln.ir.ElementType;
import dev.kiln.ir.Tensor;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.loop.Ex;
import dev.kiln.ir.loop.LowerContext;
import java.util.List;

/**
 * The sequence {@code 0, 1, ..., count - 1} in element type {@code dtype}; takes no operands.
 * Output shape {@code [count]}. ONNX {@code Range(start, limit, delta)} imports as
 * {@code start + delta * iota(count)} with {@code count = max(0, ceil((limit - start) / delta))},
 * so a range too large to fold stays a node instead of a constant.
 */
public record Iota(long count, ElementType dtype) implements Op {
  public static final OpSpec SPEC = OpSpec.of("nn.iota", List.of(), List.of("y"));

  @Override
  public List<TensorType> inferTypes(InferContext ctx) {
    OpError.check(count >= 0, "iota count must not be negative, got %d", count);
    OpError.check(
      dtype.isFloat() || dtype.isInteger(),
      "iota needs a numeric element type, got %s",
      dtype
    );
    return List.of(TensorType.of(dtype, count));
  }

  @Override
  public List<Tensor> evaluate(EvalContext ctx, List<Tensor> operands) {
    Tensor.Builder b = new Tensor.Builder(
      inferTypes(new InferContext(List.of(), List.of())).getFirst()
    );
    for (long i = 0; i < count; i++) {
      b.setLong(i, i);
    }
    return List.of(b.build());
  }

  @Override
  public void lower(LowerContext ctx) {
    ctx.forEach(ctx.resultDims(0), idx ->
      ctx.store(0, idx, Ex.cast(ctx.resultScalar(0), idx.getFirst()))
    );
  }
}
