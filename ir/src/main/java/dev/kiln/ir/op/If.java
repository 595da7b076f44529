package dev.kiln.ir.op;

import dev.kiln.ir.ElementType;
import dev.kiln.ir.Node;
import dev.kiln.ir.Region;
import dev.kiln.ir.TensorType;
import java.util.List;

/**
 * Runs the first region when the scalar {@code cond} is true, the second otherwise, and returns the
 * results of the region that ran. Both regions take no arguments and return the same number of
 * values with compatible types; where their shapes differ the result dimension is unknown. ONNX
 * {@code If}.
 */
public record If() implements Op {
  public static final OpSpec SPEC = OpSpec.of(
    "nn.if",
    List.of("cond"),
    List.of("results...")
  ).withRegions(2);

  @Override
  public List<TensorType> inferTypes(InferContext ctx) {
    TensorType cond = ctx.operand(0);
    OpError.check(
      cond.elementType() == ElementType.BOOL && cond.shape().numElements().orElse(1L) == 1,
      "condition must be a single bool, got %s",
      cond
    );
    List<Region> regions = ctx.regions();
    OpError.check(regions.size() == 2, "nn.if needs two regions, got %d", regions.size());
    List<TensorType> then = regions.get(0).resultTypes();
    List<TensorType> otherwise = regions.get(1).resultTypes();
    OpError.check(
      then.size() == otherwise.size(),
      "branches return %d and %d values",
      then.size(),
      otherwise.size()
    );
    return java.util.stream.IntStream.range(0, then.size())
      .mapToObj(i -> Merge.join(then.get(i), otherwise.get(i), i))
      .toList();
  }

  @Override
  public List<dev.kiln.ir.Tensor> evaluate(EvalContext ctx, List<dev.kiln.ir.Tensor> operands) {
    return ctx.runRegion(operands.getFirst().getLong(0) != 0 ? 0 : 1, List.of());
  }

  @Override
  public void verify(Node node) {
    for (Region r : node.regions()) {
      OpError.check(r.block().arguments().isEmpty(), "nn.if regions take no arguments");
    }
  }
}
