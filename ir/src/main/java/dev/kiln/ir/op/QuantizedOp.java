package dev.kiln.ir.op;

/**
 * The integer ops: {@code i8}/{@code u8} operands with per-tensor zero points, exact integer
 * accumulation, and requantization to {@code i8}/{@code u8} by a fixed-point multiplier and shift
 * ({@link Requantization}), then the output zero point and a clamp to {@code [qmin, qmax]}, which
 * also holds a fused Relu ({@code qmin = yZeroPoint}) or Clip. Scales and zero points are
 * attributes; what each op computes is in its Javadoc. {@code fuse-qdq} and the importer's {@code
 * QLinear*}/{@code *Integer} converters produce them. Textual names carry the prefix {@code q.}.
 */
public sealed interface QuantizedOp
  extends Op
  permits QConv, QMatMul, QAdd, QMul, QGlobalAveragePool, QRequantize {}
