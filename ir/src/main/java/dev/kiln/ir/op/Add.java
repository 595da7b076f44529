package dev.kiln.ir.op;

/** {@code z = a + b}. Broadcasting; ONNX {@code Add}. */
public record Add() implements BinaryOp, Commutative {
  public static final OpSpec SPEC = BinaryOp.spec("nn.add");

  @Override
  public long applyInt(long a, long b) {
    return a + b;
  }

  @Override
  public double apply(double a, double b) {
    return a + b;
  }
}
