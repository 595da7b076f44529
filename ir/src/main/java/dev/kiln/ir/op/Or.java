package dev.kiln.ir.op;

/** {@code z = a || b} on bool tensors, broadcasting. ONNX {@code Or}. */
public record Or() implements LogicOp {
  public static final OpSpec SPEC = LogicOp.spec("nn.or");

  @Override
  public boolean apply(boolean a, boolean b) {
    return a || b;
  }
}
