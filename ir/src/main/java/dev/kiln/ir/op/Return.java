package dev.kiln.ir.op;

import dev.kiln.ir.Node;
import java.util.List;

/**
 * The terminator of every block: {@code return %a, %b : tensor<...>, tensor<...>}. In a function
 * body its operands are the function's results; in a region they are the region's results.
 */
public record Return() implements Op {
  public static final OpSpec SPEC = OpSpec.of("return", List.of("values..."), List.of());

  @Override
  public List<dev.kiln.ir.TensorType> inferTypes(InferContext ctx) {
    return List.of();
  }

  @Override
  public List<dev.kiln.ir.Tensor> evaluate(EvalContext ctx, List<dev.kiln.ir.Tensor> operands) {
    return operands;
  }

  @Override
  public void verify(Node node) {
    OpError.check(node.parent().terminator() == node, "return must be the last node of its block");
  }
}
