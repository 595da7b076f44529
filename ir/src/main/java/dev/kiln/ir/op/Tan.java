package dev.kiln.ir.op;

/** {@code y = tan x}. Output shape equals the input shape. ONNX {@code Tan}. */
public record Tan() implements UnaryOp {
  public static final OpSpec SPEC = UnaryOp.spec("nn.tan");

  @Override
  public double apply(double x) {
    return Math.tan(x);
  }
}
