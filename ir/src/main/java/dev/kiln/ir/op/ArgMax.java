package dev.kiln.ir.op;

/** Index of the maximum along {@code axis}; see {@link ArgReduce}. ONNX {@code ArgMax}. */
public record ArgMax(long axis, boolean keepdims, boolean selectLastIndex) implements ArgReduce {
  public static final OpSpec SPEC = ArgReduce.spec("nn.arg_max");

  @Override
  public boolean better(double x, double best) {
    return x > best;
  }
}
