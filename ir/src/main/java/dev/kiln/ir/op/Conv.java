package dev.kiln.ir.op;

import dev.kiln.ir.Dim;
import dev.kiln.ir.Shape;
import dev.kiln.ir.TensorType;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * N-dimensional convolution (cross-correlation) in NCHW layout: {@code x: [N, C, D1..Dk]}, {@code
 * w: [M, C/group, K1..Kk]}, optional {@code bias: [M]}; output {@code [N, M, O1..Ok]} with {@code
 * Oi = floor((Di + padBegin_i + padEnd_i - dilation_i * (Ki - 1) - 1) / stride_i) + 1}. {@code
 * pads} holds all begins then all ends, as in ONNX; empty lists mean zeros (pads) and ones (strides,
 * dilations). ONNX {@code Conv} with {@code auto_pad} resolved by the frontend.
 */
public record Conv(List<Long> strides, List<Long> pads, List<Long> dilations, long group) implements
  Op {
  public static final OpSpec SPEC = OpSpec.of(
    "nn.conv",
    List.of("x", "w", "bias?"),
    List.of("y")
  ).withDefaults(
    Map.of("strides", List.of(), "pads", List.of(), "dilations", List.of(), "group", 1L)
  );

  public Conv {
    strides = Windows.unlessAll(strides, 1);
    pads = Windows.unlessAll(pads, 0);
    dilations = Windows.unlessAll(dilations, 1);
  }

  /** Stride along spatial axis {@code i}. */
  public long stride(int i) {
    return strides.isEmpty() ? 1 : strides.get(i);
  }

  public long dilation(int i) {
    return dilations.isEmpty() ? 1 : dilations.get(i);
  }

  public long padBegin(int i) {
    return pads.isEmpty() ? 0 : pads.get(i);
  }

  public long padEnd(int i, int spatialRank) {
    return pads.isEmpty() ? 0 : pads.get(i + spatialRank);
  }

  @Override
  public List<TensorType> inferTypes(InferContext ctx) {
    TensorType x = ctx.operand(0);
    TensorType w = ctx.operand(1);
    Shapes.requireFloat(x, "conv input");
    OpError.check(x.elementType() == w.elementType(), "weight type %s differs from input %s", w, x);
    OpError.check(x.rank() >= 3, "input must have rank >= 3 (N, C, spatial...), got %s", x);
    OpError.check(
      w.rank() == x.rank(),
      "weight rank %d must equal input rank %d",
      w.rank(),
      x.rank()
    );
    int k = x.rank() - 2;
    Windows.checkLengths(k, strides, pads, dilations);
    OpError.check(group >= 1, "group must be positive, got %d", group);
    Dim c = x.shape().dim(1);
    Dim wc = w.shape().dim(1);
    Dim m = w.shape().dim(0);
    if (c.isKnown() && wc.isKnown()) {
      OpError.check(
        c.size() == wc.size() * group,
        "input channels (%d) must equal weight in-channels (%d) * group (%d)",
        c.size(),
        wc.size(),
        group
      );
    }
    if (m.isKnown()) {
      OpError.check(
        m.size() % group == 0,
        "output channels (%d) must be divisible by group (%d)",
        m.size(),
        group
      );
    }
    if (ctx.operands().size() > 2) {
      TensorType b = ctx.operand(2);
      OpError.check(
        b.rank() == 1 && b.elementType() == x.elementType(),
        "bias must be 1-D %s, got %s",
        x.elementType(),
        b
      );
      Dim bm = b.shape().dim(0);
      OpError.check(
        !bm.isKnown() || !m.isKnown() || bm.size() == m.size(),
        "bias length (%s) must equal output channels (%s)",
        bm,
        m
      );
    }
    List<Dim> out = new ArrayList<>();
    out.add(x.shape().dim(0));
    out.add(m);
    for (int i = 0; i < k; i++) {
      Dim in = x.shape().dim(i + 2);
      Dim kern = w.shape().dim(i + 2);
      out.add(
        Windows.outputDim(in, kern, stride(i), dilation(i), padBegin(i), padEnd(i, k), false)
      );
    }
    return List.of(new TensorType(x.elementType(), new Shape(out)));
  }
}
