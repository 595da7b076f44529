package dev.kiln.ir.op;

import dev.kiln.ir.ElementType;
import dev.kiln.ir.Tensor;
import dev.kiln.ir.TensorType;
import java.util.List;
import java.util.Map;

/**
 * Where {@code nn.max_pool} with the same attributes finds each maximum: the flat index into
 * {@code x: [N, C, D1..Dk]} of the first largest sample of every window (padding never wins), with
 * the spatial position laid out row-major, or column-major when {@code columnMajor}: {@code (n * C
 * + c) * D1 * ... * Dk + offset}. Output {@code i64}, shaped like the pooled output. ONNX {@code
 * MaxPool}'s {@code Indices} output ({@code storage_order} 1 is column-major).
 */
public record MaxPoolIndices(
  List<Long> kernel,
  List<Long> strides,
  List<Long> pads,
  List<Long> dilations,
  boolean ceilMode,
  boolean columnMajor
) implements Op {
  public static final OpSpec SPEC = OpSpec.of(
    "nn.max_pool_indices",
    List.of("x"),
    List.of("indices")
  ).withDefaults(
    Map.of(
      "strides",
      List.of(),
      "pads",
      List.of(),
      "dilations",
      List.of(),
      "ceilMode",
      false,
      "columnMajor",
      false
    )
  );

  public MaxPoolIndices {
    kernel = List.copyOf(kernel);
    strides = Windows.unlessAll(strides, 1);
    pads = Windows.unlessAll(pads, 0);
    dilations = Windows.unlessAll(dilations, 1);
  }

  @Override
  public List<TensorType> inferTypes(InferContext ctx) {
    TensorType pooled = Pooling.infer(ctx.operand(0), kernel, strides, pads, dilations, ceilMode);
    return List.of(new TensorType(ElementType.I64, pooled.shape()));
  }

  @Override
  public List<Tensor> evaluate(EvalContext ctx, List<Tensor> operands) {
    Tensor x = operands.getFirst();
    TensorType outType = inferTypes(new InferContext(List.of(x.type()), List.of())).getFirst();
    long[] xs = x.shape().sizes();
    long[] os = outType.shape().sizes();
    int k = xs.length - 2;
    long[] in = WindowLoops.spatial(xs);
    long[] out = WindowLoops.spatial(os);
    long[] kern = kernel.stream().mapToLong(Long::longValue).toArray();
    long[] st = WindowLoops.orOnes(strides, k);
    long[] dl = WindowLoops.orOnes(dilations, k);
    long[] pb = WindowLoops.padBegins(pads, k);
    long inPlane = Strides.product(in, 0, k);
    long outPlane = Strides.product(out, 0, k);
    long kPlane = Strides.product(kern, 0, k);
    long planes = xs[0] * xs[1];
    long[] layout = new long[k];
    long stride = 1;
    for (int d = 0; d < k; d++) {
      int axis = columnMajor ? d : k - 1 - d;
      layout[axis] = stride;
      stride *= in[axis];
    }
    double[] xv = x.toDoubles();
    long[] result = new long[Math.toIntExact(planes * outPlane)];
    long[] op = new long[k];
    long[] kp = new long[k];
    long[] ip = new long[k];
    for (long p = 0; p < planes; p++) {
      for (long o = 0; o < outPlane; o++) {
        Strides.unravel(o, out, op);
        double best = Double.NEGATIVE_INFINITY;
        long where = -1;
        for (long q = 0; q < kPlane; q++) {
          Strides.unravel(q, kern, kp);
          long off = WindowLoops.inputOffset(op, kp, in, st, dl, pb);
          if (off < 0) {
            continue;
          }
          double v = xv[(int) (p * inPlane + off)];
          if (where < 0 || v > best || (Double.isNaN(v) && !Double.isNaN(best))) {
            best = v;
            Strides.unravel(off, in, ip);
            long flat = 0;
            for (int d = 0; d < k; d++) {
              flat += ip[d] * layout[d];
            }
            where = p * inPlane + flat;
          }
        }
        result[(int) (p * outPlane + o)] = where;
      }
    }
    return List.of(Tensor.ofLongs(outType, result));
  }

  @Override
  public void lower(dev.kiln.ir.loop.LowerContext ctx) {
    WindowLowering.maxPoolIndices(ctx, this);
  }
}
