package dev.kiln.ir.op;

import dev.kiln.ir.loop.Ex;
import dev.kiln.ir.loop.Expr;

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

  @Override
  public Expr lowerScalar(Expr a, Expr b) {
    return Ex.add(a, b);
  }
}
