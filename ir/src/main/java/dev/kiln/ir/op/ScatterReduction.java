package dev.kiln.ir.op;

/**
 * How a scatter combines an update with the value already at its target: {@code none} replaces
 * it (later updates win), the others fold it in. ONNX's {@code reduction} attribute of {@code
 * ScatterElements} and {@code ScatterND}.
 */
public enum ScatterReduction {
  NONE,
  ADD,
  MUL,
  MAX,
  MIN,
}
