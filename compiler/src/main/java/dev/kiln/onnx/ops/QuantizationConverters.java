package dev.kiln.onnx.ops;

import static dev.kiln.onnx.ops.ElementwiseConverters.one;
import static dev.kiln.onnx.ops.ElementwiseConverters.scalar;

import dev.kiln.ir.ElementType;
import dev.kiln.ir.Value;
import dev.kiln.ir.op.Cast;
import dev.kiln.ir.op.Clip;
import dev.kiln.ir.op.DequantizeLinear;
import dev.kiln.ir.op.Div;
import dev.kiln.ir.op.Max;
import dev.kiln.ir.op.Min;
import dev.kiln.ir.op.QuantizeLinear;
import dev.kiln.ir.op.ReduceMax;
import dev.kiln.ir.op.ReduceMin;
import dev.kiln.ir.op.Round;
import dev.kiln.ir.op.Sub;
import dev.kiln.onnx.ConverterRegistry;
import dev.kiln.onnx.ElementTypes;
import dev.kiln.onnx.ImportContext;
import dev.kiln.onnx.OnnxError;
import dev.kiln.onnx.OnnxNode;
import java.util.List;

/**
 * ONNX {@code QuantizeLinear} and {@code DequantizeLinear} (core ops {@code nn.quantize_linear},
 * {@code nn.dequantize_linear}) and {@code DynamicQuantizeLinear} (a composite of reductions and
 * {@code nn.quantize_linear}).
 */
public final class QuantizationConverters {

  private QuantizationConverters() {}

  public static void register(ConverterRegistry r) {
    r.add("QuantizeLinear", 10, QuantizationConverters::quantize);
    r.add("DequantizeLinear", 10, QuantizationConverters::dequantize);
    r.add("DynamicQuantizeLinear", 11, QuantizationConverters::dynamicQuantize);
  }

  private static List<Value> quantize(OnnxNode n, ImportContext c) {
    Value x = n.input(0);
    Value scale = n.input(1);
    Value zp = n.hasInput(2) ? n.input(2) : null;
    long dtype = n.getInt("output_dtype", 0);
    ElementType out;
    if (zp != null) {
      out = zp.type().elementType();
      OnnxError.check(
        dtype == 0 || ElementTypes.fromOnnx((int) dtype) == out,
        "output_dtype %d differs from the zero point type %s",
        dtype,
        out
      );
    } else {
      out = dtype == 0 ? ElementType.U8 : ElementTypes.fromOnnx((int) dtype);
    }
    long precision = n.getInt("precision", 0);
    if (precision != 0) {
      ElementType p = ElementTypes.fromOnnx((int) precision);
      OnnxError.check(p.isFloat(), "precision must be a float type, got %s", p);
      x = cast(c, x, p);
      scale = cast(c, scale, p);
    }
    QuantizeLinear op = new QuantizeLinear(
      n.getInt("axis", 1),
      n.getInt("block_size", 0),
      out,
      n.getInt("saturate", 1) != 0
    );
    return one(zp == null ? c.emit(op, x, scale) : c.emit(op, x, scale, zp));
  }

  private static List<Value> dequantize(OnnxNode n, ImportContext c) {
    Value x = n.input(0);
    Value scale = n.input(1);
    long dtype = n.getInt("output_dtype", 0);
    ElementType out = dtype == 0 ? scale.type().elementType() : ElementTypes.fromOnnx((int) dtype);
    DequantizeLinear op = new DequantizeLinear(n.getInt("axis", 1), n.getInt("block_size", 0), out);
    return one(n.hasInput(2) ? c.emit(op, x, scale, n.input(2)) : c.emit(op, x, scale));
  }

  private static List<Value> dynamicQuantize(OnnxNode n, ImportContext c) {
    Value x = n.input(0);
    OnnxError.check(
      x.type().elementType() == ElementType.F32,
      "input must be float, got %s",
      x.type().elementType()
    );
    Value zero = scalar(c, x, 0);
    Value min = c.emit(new Min(), c.emit(new ReduceMin(List.of(), false), x), zero);
    Value max = c.emit(new Max(), c.emit(new ReduceMax(List.of(), false), x), zero);
    Value scale = c.emit(new Div(), c.emit(new Sub(), max, min), scalar(c, x, 255));
    Value izp = c.emit(new Sub(), zero, c.emit(new Div(), min, scale));
    Value zp = c.emit(new Cast(ElementType.U8), c.emit(new Round(), c.emit(new Clip(0, 255), izp)));
    Value y = c.emit(new QuantizeLinear(1, 0, ElementType.U8, true), x, scale, zp);
    return List.of(y, scale, zp);
  }

  private static Value cast(ImportContext c, Value v, ElementType to) {
    return v.type().elementType() == to ? v : c.emit(new Cast(to), v);
  }
}
