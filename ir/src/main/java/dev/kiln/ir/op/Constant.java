package dev.kiln.ir.op;

import dev.kiln.ir.Tensor;
import dev.kiln.ir.TensorType;
import java.util.List;

/**
 * A compile-time tensor: {@code %w = nn.constant {value = dense<...> : tensor<...>}}. Large values
 * print as {@code resource<name>} with their bytes in the module's resource section. ONNX {@code
 * Constant} and initializers.
 */
public record Constant(Tensor value) implements Op {
  public static final OpSpec SPEC = OpSpec.of("nn.constant", List.of(), List.of("y"));

  @Override
  public List<TensorType> inferTypes(InferContext ctx) {
    return List.of(value.type());
  }

  @Override
  public List<Tensor> evaluate(EvalContext ctx, List<Tensor> operands) {
    if (!value.hasData()) {
      throw new UnsupportedOperationException(
        "constant " + value.elidedName() + " was elided and has no data"
      );
    }
    return List.of(value);
  }
}
