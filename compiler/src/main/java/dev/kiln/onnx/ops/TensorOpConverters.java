package dev.kiln.onnx.ops;

import static dev.kiln.onnx.ops.ElementwiseConverters.one;

import dev.kiln.ir.Dim;
import dev.kiln.ir.ElementType;
import dev.kiln.ir.Tensor;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Value;
import dev.kiln.ir.op.Add;
import dev.kiln.ir.op.BitCast;
import dev.kiln.ir.op.Cast;
import dev.kiln.ir.op.Det;
import dev.kiln.ir.op.Expand;
import dev.kiln.ir.op.Mod;
import dev.kiln.ir.op.Reshape;
import dev.kiln.ir.op.ScatterElements;
import dev.kiln.ir.op.ScatterReduction;
import dev.kiln.ir.op.Shapes;
import dev.kiln.onnx.ConverterRegistry;
import dev.kiln.onnx.ElementTypes;
import dev.kiln.onnx.ImportContext;
import dev.kiln.onnx.OnnxError;
import dev.kiln.onnx.OnnxNode;
import java.util.ArrayList;
import java.util.List;

/**
 * ONNX {@code BitCast} and {@code Det} (core ops) and {@code TensorScatter}, a scatter of the
 * update into the cache along the sequence axis at each batch entry's write index (modulo the
 * cache length in circular mode), composed as {@code nn.scatter_elements}.
 */
public final class TensorOpConverters {

  private TensorOpConverters() {}

  public static void register(ConverterRegistry r) {
    r.add("BitCast", 26, (n, c) ->
      one(c.emit(new BitCast(ElementTypes.fromOnnx((int) n.getInt("to"))), n.input(0)))
    );
    r.add("Det", 11, (n, c) -> one(c.emit(new Det(), n.input(0))));
    r.add("TensorScatter", 24, TensorOpConverters::tensorScatter);
  }

  private static List<Value> tensorScatter(OnnxNode n, ImportContext c) {
    Value past = n.input(0);
    Value update = n.input(1);
    int rank = past.type().rank();
    OnnxError.check(rank >= 2, "past_cache needs rank >= 2, got %s", past.type());
    OnnxError.check(
      update.type().rank() == rank,
      "update rank %d must equal past_cache rank %d",
      update.type().rank(),
      rank
    );
    long axisAttr = n.getInt("axis", -2);
    OnnxError.check(
      axisAttr >= -rank && axisAttr < rank,
      "axis %d is out of range for rank %d",
      axisAttr,
      rank
    );
    int axis = Shapes.axis(axisAttr, rank);
    OnnxError.check(axis != 0, "the sequence axis must not be the batch axis 0");
    String mode = n.getString("mode", "linear");
    OnnxError.check(
      mode.equals("linear") || mode.equals("circular"),
      "mode must be 'linear' or 'circular', got '%s'",
      mode
    );
    OnnxError.check(
      update.type().isStatic(),
      "TensorScatter with an update shape unknown at compile time is not supported, got %s",
      update.type()
    );
    long[] us = update.type().shape().sizes();
    long seq = us[axis];
    long[] iotaShape = new long[rank];
    java.util.Arrays.fill(iotaShape, 1);
    iotaShape[axis] = seq;
    long[] iota = new long[(int) seq];
    for (int i = 0; i < seq; i++) {
      iota[i] = i;
    }
    Value idx = c.constant(Tensor.ofLongs(TensorType.of(ElementType.I64, iotaShape), iota));
    if (n.hasInput(2)) {
      Value w = n.input(2);
      if (w.type().elementType() != ElementType.I64) {
        w = c.emit(new Cast(ElementType.I64), w);
      }
      List<Long> shape = new ArrayList<>();
      shape.add(-1L);
      for (int i = 1; i < rank; i++) {
        shape.add(1L);
      }
      idx = c.emit(new Add(), c.emit(new Reshape(shape), w), idx);
    }
    if (mode.equals("circular")) {
      Dim max = past.type().shape().dim(axis);
      OnnxError.check(
        max.isKnown(),
        "circular TensorScatter with a cache length unknown at compile time is not supported"
      );
      idx = c.emit(new Mod(false), idx, c.constant(Tensor.scalar(ElementType.I64, max.size())));
    }
    List<Long> target = new ArrayList<>();
    for (long s : us) {
      target.add(s);
    }
    idx = c.emit(new Expand(target), idx);
    return one(c.emit(new ScatterElements(axis, ScatterReduction.NONE), past, idx, update));
  }
}
