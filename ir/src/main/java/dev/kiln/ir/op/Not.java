package dev.kiln.ir.op;

import dev.kiln.ir.ElementType;
import dev.kiln.ir.Tensor;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.loop.Ex;
import dev.kiln.ir.loop.Expr;
import dev.kiln.ir.loop.LowerContext;
import java.util.List;

/** Logical negation of a bool tensor; output shape equals the input shape. ONNX {@code Not}. */
public record Not() implements Op, Elementwise {
  public static final OpSpec SPEC = OpSpec.of("nn.not", List.of("x"), List.of("y"));

  @Override
  public List<TensorType> inferTypes(InferContext ctx) {
    TensorType x = ctx.operand(0);
    OpError.check(x.elementType() == ElementType.BOOL, "operand must be bool, got %s", x);
    return List.of(x);
  }

  @Override
  public List<Tensor> evaluate(EvalContext ctx, List<Tensor> operands) {
    Tensor x = operands.getFirst();
    Tensor.Builder b = new Tensor.Builder(x.type());
    for (long i = 0; i < x.size(); i++) {
      b.setLong(i, x.getLong(i) == 0 ? 1 : 0);
    }
    return List.of(b.build());
  }

  @Override
  public Expr lowerElement(LowerContext ctx, List<Expr> xs) {
    return Ex.not(xs.getFirst());
  }
}
