package dev.kiln.ir.op;

import dev.kiln.ir.ElementType;
import dev.kiln.ir.Tensor;
import dev.kiln.ir.TensorType;
import java.util.List;

/**
 * Converts elements to {@code to}: floats to integers truncate toward zero, anything to bool is
 * {@code x != 0}, floats round to nearest-even in narrower float types. ONNX {@code Cast}.
 */
public record Cast(ElementType to) implements Op, Elementwise {
  public static final OpSpec SPEC = OpSpec.of("nn.cast", List.of("x"), List.of("y"));

  @Override
  public List<TensorType> inferTypes(InferContext ctx) {
    return List.of(ctx.operand(0).withElementType(to));
  }

  @Override
  public List<Tensor> evaluate(EvalContext ctx, List<Tensor> operands) {
    Tensor x = operands.getFirst();
    Tensor.Builder b = new Tensor.Builder(x.type().withElementType(to));
    boolean fromFloat = x.elementType().isFloat();
    for (long i = 0; i < x.size(); i++) {
      if (to == ElementType.BOOL) {
        b.setLong(i, fromFloat ? (x.getDouble(i) != 0 ? 1 : 0) : (x.getLong(i) != 0 ? 1 : 0));
      } else if (fromFloat && to.isFloat()) {
        b.setDouble(i, x.getDouble(i));
      } else if (fromFloat) {
        double v = x.getDouble(i);
        b.setLong(i, Double.isNaN(v) ? 0 : (long) v);
      } else if (to.isFloat()) {
        long v = x.getLong(i);
        b.setDouble(i, x.elementType() == ElementType.U64 ? x.getDouble(i) : (double) v);
      } else {
        b.setLong(i, x.getLong(i));
      }
    }
    return List.of(b.build());
  }
}
