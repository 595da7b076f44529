package dev.kiln.ir.op;

/** {@code z = a && b} on bool tensors, broadcasting. ONNX {@code And}. */
public record And() implements LogicOp {
  public static final OpSpec SPEC = LogicOp.spec("nn.and");

  @Override
  public boolean apply(boolean a, boolean b) {
    return a && b;
  }
}
