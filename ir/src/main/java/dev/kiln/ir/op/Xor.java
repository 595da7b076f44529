package dev.kiln.ir.op;

/** {@code z = a ^ b} on bool tensors, broadcasting. ONNX {@code Xor}. */
public record Xor() implements LogicOp {
  public static final OpSpec SPEC = LogicOp.spec("nn.xor");

  @Override
  public boolean apply(boolean a, boolean b) {
    return a ^ b;
  }
}
