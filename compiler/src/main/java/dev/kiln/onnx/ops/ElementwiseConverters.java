package dev.kiln.onnx.ops;

import dev.kiln.ir.ElementType;
import dev.kiln.ir.LowPrecision;
import dev.kiln.ir.Tensor;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Value;
import dev.kiln.ir.op.*;
import dev.kiln.onnx.ConverterRegistry;
import dev.kiln.onnx.ElementTypes;
import dev.kiln.onnx.ImportContext;
import dev.kiln.onnx.OnnxError;
import dev.kiln.onnx.OnnxNode;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * ONNX's elementwise operators: unary math and activations, broadcasting binary arithmetic,
 * comparisons, logic, bitwise ops, {@code Where}, {@code Cast}, the variadic {@code Sum}/{@code
 * Mean}/{@code Max}/{@code Min}, and the inference-time identities {@code Identity} and {@code
 * Dropout}.
 */
public final class ElementwiseConverters {

  private ElementwiseConverters() {}

  public static void register(ConverterRegistry r) {
    unary(r, "Abs", Abs::new);
    unary(r, "Neg", Neg::new);
    unary(r, "Exp", Exp::new);
    unary(r, "Log", Log::new);
    unary(r, "Sqrt", Sqrt::new);
    unary(r, "Relu", Relu::new);
    unary(r, "Sigmoid", Sigmoid::new);
    unary(r, "Tanh", Tanh::new);
    unary(r, "Acos", Acos::new);
    unary(r, "Acosh", Acosh::new);
    unary(r, "Asin", Asin::new);
    unary(r, "Asinh", Asinh::new);
    unary(r, "Atan", Atan::new);
    unary(r, "Atanh", Atanh::new);
    unary(r, "Cos", Cos::new);
    unary(r, "Cosh", Cosh::new);
    unary(r, "Sin", Sin::new);
    unary(r, "Sinh", Sinh::new);
    unary(r, "Tan", Tan::new);
    unary(r, "Erf", Erf::new);
    unary(r, "Reciprocal", Reciprocal::new);
    unary(r, "Floor", Floor::new);
    unary(r, "Ceil", Ceil::new);
    unary(r, "Round", Round::new);
    unary(r, "Sign", Sign::new);
    unary(r, "Softplus", Softplus::new);
    unary(r, "Softsign", Softsign::new);
    unary(r, "Mish", Mish::new);
    unary(r, "HardSwish", HardSwish::new);
    unary(r, "BitwiseNot", BitwiseNot::new);
    r.add("Gelu", 20, (n, c) ->
      one(c.emit(new Gelu(n.getString("approximate", "none").equals("tanh")), n.input(0)))
    );
    r.add("LeakyRelu", 1, (n, c) ->
      one(c.emit(new LeakyRelu(n.getFloat("alpha", 0.01)), n.input(0)))
    );
    r.add("Elu", 1, (n, c) -> one(c.emit(new Elu(n.getFloat("alpha", 1.0)), n.input(0))));
    r.add("Selu", 1, (n, c) ->
      one(
        c.emit(
          new Selu(
            n.getFloat("alpha", 1.67326319217681884765625),
            n.getFloat("gamma", 1.05070102214813232421875)
          ),
          n.input(0)
        )
      )
    );
    r.add("Celu", 12, (n, c) -> one(c.emit(new Celu(n.getFloat("alpha", 1.0)), n.input(0))));
    r.add("HardSigmoid", 1, (n, c) ->
      one(c.emit(new HardSigmoid(n.getFloat("alpha", 0.2), n.getFloat("beta", 0.5)), n.input(0)))
    );
    r.add("ThresholdedRelu", 10, (n, c) ->
      one(c.emit(new ThresholdedRelu(n.getFloat("alpha", 1.0)), n.input(0)))
    );
    r.add("Shrink", 9, (n, c) ->
      one(c.emit(new Shrink(n.getFloat("bias", 0.0), n.getFloat("lambd", 0.5)), n.input(0)))
    );
    r.add("Clip", 1, (n, c) ->
      one(
        c.emit(
          new Clip(
            n.getFloat("min", Double.NEGATIVE_INFINITY),
            n.getFloat("max", Double.POSITIVE_INFINITY)
          ),
          n.input(0)
        )
      )
    );
    r.add("Clip", 11, ElementwiseConverters::clip);
    r.add("Swish", 24, (n, c) -> {
      double alpha = n.getFloat("alpha", 1.0);
      Value x = n.input(0);
      Value s = c.emit(new Sigmoid(), c.emit(new Mul(), x, scalar(c, x, alpha)));
      return one(c.emit(new Mul(), x, s));
    });

    binary(r, "Add", Add::new);
    binary(r, "Sub", Sub::new);
    binary(r, "Mul", Mul::new);
    binary(r, "Div", Div::new);
    legacyBinary(r, "Pow", Pow::new);
    r.add("Pow", 7, ElementwiseConverters::pow);
    r.add("PRelu", 1, (n, c) -> one(c.emit(new PRelu(), n.input(0), legacySlope(n, c))));
    binary(r, "PRelu", 7, PRelu::new);
    binary(r, "BitwiseAnd", BitwiseAnd::new);
    binary(r, "BitwiseOr", BitwiseOr::new);
    binary(r, "BitwiseXor", BitwiseXor::new);
    binary(r, "Equal", Equal::new);
    binary(r, "Less", Less::new);
    binary(r, "LessOrEqual", LessOrEqual::new);
    binary(r, "Greater", Greater::new);
    binary(r, "GreaterOrEqual", GreaterOrEqual::new);
    binary(r, "And", And::new);
    binary(r, "Or", Or::new);
    binary(r, "Xor", Xor::new);
    r.add("Mod", 10, (n, c) ->
      one(c.emit(new Mod(n.getInt("fmod", 0) != 0), n.input(0), n.input(1)))
    );
    r.add("BitShift", 11, (n, c) ->
      one(c.emit(new BitShift(n.getString("direction", "").equals("LEFT")), n.input(0), n.input(1)))
    );
    r.add("Not", 1, (n, c) -> one(c.emit(new Not(), n.input(0))));
    r.add("IsNaN", 9, (n, c) -> one(c.emit(new IsNan(), n.input(0))));
    r.add("IsInf", 10, (n, c) ->
      one(
        c.emit(
          new IsInf(n.getInt("detect_negative", 1) != 0, n.getInt("detect_positive", 1) != 0),
          n.input(0)
        )
      )
    );
    r.add("Where", 9, (n, c) -> one(c.emit(new Where(), n.input(0), n.input(1), n.input(2))));
    r.add("Cast", 1, (n, c) -> one(castNode(n, c, ElementTypes.fromOnnx((int) n.getInt("to")))));
    r.add("CastLike", 15, (n, c) -> one(castNode(n, c, n.input(1).type().elementType())));
    variadic(r, "Sum", Add::new);
    variadic(r, "Max", Max::new);
    variadic(r, "Min", Min::new);
    r.add("Mean", 1, (n, c) -> {
      Value sum = fold(n, c, Add::new);
      return one(c.emit(new Div(), sum, scalar(c, sum, present(n).size())));
    });
    r.add("Identity", 1, (n, c) -> one(n.input(0)));
    r.add("Dropout", 1, ElementwiseConverters::dropout);
  }

  static List<Value> one(Value v) {
    List<Value> out = new ArrayList<>(1);
    out.add(v);
    return out;
  }

  private static void unary(ConverterRegistry r, String op, Supplier<Op> make) {
    r.add(op, 1, (n, c) -> one(c.emit(make.get(), n.input(0))));
  }

  /**
   * {@code op} with NumPy broadcasting; before opset 7, with {@code broadcast = 1} and an {@code
   * axis}, {@code B}'s dims line up with {@code A}'s from {@code axis} on (legacy broadcasting):
   * {@code B} gets trailing ones.
   */
  private static void binary(ConverterRegistry r, String op, Supplier<Op> make) {
    legacyBinary(r, op, make);
    binary(r, op, 7, make);
  }

  private static void legacyBinary(ConverterRegistry r, String op, Supplier<Op> make) {
    r.add(op, 1, (n, c) -> one(c.emit(make.get(), n.input(0), legacyOperand(n, c))));
  }

  private static void binary(ConverterRegistry r, String op, int since, Supplier<Op> make) {
    r.add(op, since, (n, c) -> one(c.emit(make.get(), n.input(0), n.input(1))));
  }

  private static Value legacyOperand(OnnxNode n, ImportContext c) {
    Value a = n.input(0);
    Value b = n.input(1);
    if (n.getInt("broadcast", 0) == 0 || !n.has("axis")) {
      return b;
    }
    int ra = a.type().rank();
    int rb = b.type().rank();
    long axis = n.getInt("axis");
    long at = axis < 0 ? axis + ra : axis;
    OnnxError.check(
      at >= 0 && at + rb <= ra,
      "axis %d does not place B's %d dims inside A's %d (legacy broadcasting)",
      axis,
      rb,
      ra
    );
    return trailingOnes(c, b, ra - at - rb);
  }

  /**
   * PRelu before opset 7: a one-dimensional slope of more than one element is per channel, axis 1
   * of {@code X} (as ONNX's own PRelu-6 models use it), so it gets trailing ones.
   */
  private static Value legacySlope(OnnxNode n, ImportContext c) {
    Value x = n.input(0);
    Value slope = n.input(1);
    boolean perChannel =
      slope.type().rank() == 1 &&
      x.type().rank() > 2 &&
      !(slope.type().shape().dim(0).isKnown() && slope.type().shape().dim(0).size() == 1);
    return perChannel ? trailingOnes(c, slope, x.type().rank() - 2) : slope;
  }

  private static Value trailingOnes(ImportContext c, Value v, long count) {
    if (count <= 0) {
      return v;
    }
    List<Long> axes = new ArrayList<>();
    for (long i = 0; i < count; i++) {
      axes.add(v.type().rank() + i);
    }
    return ShapeConverters.unsqueeze(c, v, axes);
  }

  private static void variadic(ConverterRegistry r, String op, Supplier<Op> make) {
    r.add(op, 1, (n, c) -> one(fold(n, c, make)));
  }

  private static List<Value> present(OnnxNode n) {
    List<Value> in = new ArrayList<>();
    for (Value v : n.inputs()) {
      if (v != null) {
        in.add(v);
      }
    }
    OnnxError.check(!in.isEmpty(), "needs at least one input");
    return in;
  }

  private static Value fold(OnnxNode n, ImportContext c, Supplier<Op> make) {
    List<Value> in = present(n);
    Value acc = in.getFirst();
    for (int i = 1; i < in.size(); i++) {
      acc = c.emit(make.get(), acc, in.get(i));
    }
    return acc;
  }

  /** A scalar constant of {@code like}'s element type. */
  static Value scalar(ImportContext c, Value like, double v) {
    return c.constant(Tensor.scalar(like.type().elementType(), v));
  }

  private static Value castNode(OnnxNode n, ImportContext c, ElementType to) {
    Value x = n.input(0);
    if (x.type().elementType() == to) {
      return x;
    }
    boolean saturate = n.getInt("saturate", 1) != 0;
    String mode = n.getString("round_mode", "up");
    LowPrecision.RoundMode roundMode = switch (mode) {
      case "up" -> LowPrecision.RoundMode.UP;
      case "down" -> LowPrecision.RoundMode.DOWN;
      case "nearest" -> LowPrecision.RoundMode.NEAREST;
      default -> throw new OnnxError(
        "round_mode must be 'up', 'down' or 'nearest', got '" + mode + "'"
      );
    };
    return c.emit(new Cast(to, saturate, roundMode), x);
  }

  private static List<Value> clip(OnnxNode n, ImportContext c) {
    Value x = n.input(0);
    double min = Double.NEGATIVE_INFINITY;
    double max = Double.POSITIVE_INFINITY;
    if (n.hasInput(1)) {
      var t = c.constantValue(n.input(1));
      if (t.isEmpty()) {
        x = c.emit(new Max(), x, n.input(1));
      } else {
        min = x.type().elementType().isFloat() ? t.get().getDouble(0) : t.get().getLong(0);
      }
    }
    if (n.hasInput(2)) {
      var t = c.constantValue(n.input(2));
      if (t.isEmpty()) {
        x = c.emit(new Min(), x, n.input(2));
      } else {
        max = x.type().elementType().isFloat() ? t.get().getDouble(0) : t.get().getLong(0);
      }
    }
    return one(c.emit(new Clip(min, max), x));
  }

  private static List<Value> pow(OnnxNode n, ImportContext c) {
    Value x = n.input(0);
    Value y = n.input(1);
    if (x.type().elementType() != y.type().elementType()) {
      y = c.emit(new Cast(x.type().elementType()), y);
    }
    return one(c.emit(new Pow(), x, y));
  }

  private static List<Value> dropout(OnnxNode n, ImportContext c) {
    Value x = n.input(0);
    if (n.hasInput(2)) {
      Tensor training = c.requireConstant(n.input(2), "Dropout training_mode");
      if (training.getLong(0) != 0) {
        double ratio = n.hasInput(1)
          ? c.requireConstant(n.input(1), "Dropout ratio").getDouble(0)
          : 0.5;
        OnnxError.check(ratio == 0, "training mode with a nonzero ratio (random) is not supported");
      }
    }
    List<Value> out = one(x);
    if (n.numOutputs() > 1) {
      TensorType t = x.type();
      OnnxError.checkStatic(t.isStatic(), "the mask output needs a static shape, got %s", t);
      out.add(c.constant(Tensor.splat(t.withElementType(ElementType.BOOL), 1)));
    }
    return out;
  }
}
