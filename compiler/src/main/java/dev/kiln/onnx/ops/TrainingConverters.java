package dev.kiln.onnx.ops;

import static dev.kiln.onnx.ops.ElementwiseConverters.scalar;

import dev.kiln.ir.Tensor;
import dev.kiln.ir.Value;
import dev.kiln.ir.op.Add;
import dev.kiln.ir.op.Div;
import dev.kiln.ir.op.Mul;
import dev.kiln.ir.op.Sqrt;
import dev.kiln.ir.op.Sub;
import dev.kiln.onnx.ConverterRegistry;
import dev.kiln.onnx.ImportContext;
import dev.kiln.onnx.OnnxError;
import dev.kiln.onnx.OnnxNode;
import java.util.ArrayList;
import java.util.List;

/**
 * The optimizer steps of the {@code ai.onnx.preview.training} domain ({@code Adagrad}, {@code
 * Momentum}, {@code Adam}) as elementwise arithmetic. Each takes a learning rate {@code R}, an
 * update count {@code T} that must be known at compile time, then {@code n} tensors {@code X}, their
 * gradients {@code G} and one or two state tensors per {@code X}; it returns the new {@code X}s
 * followed by the new states, in input order. The L2 term {@code norm_coefficient * X} is added
 * to every gradient first.
 */
public final class TrainingConverters {

  /** The ONNX domain of the training operators. */
  public static final String DOMAIN = "ai.onnx.preview.training";

  private TrainingConverters() {}

  public static void register(ConverterRegistry r) {
    r.add(DOMAIN, "Adagrad", 1, TrainingConverters::adagrad);
    r.add(DOMAIN, "Momentum", 1, TrainingConverters::momentum);
    r.add(DOMAIN, "Adam", 1, TrainingConverters::adam);
  }

  /** Inputs after {@code R, T}, split into {@code groups} equal lists. */
  private static List<List<Value>> operands(OnnxNode n, int groups) {
    int count = n.inputs().size() - 2;
    OnnxError.check(
      count > 0 && count % groups == 0,
      "expects R, T and %d groups of tensors of equal length, got %d tensors after R and T",
      groups,
      count
    );
    int per = count / groups;
    OnnxError.check(
      n.numOutputs() == count - per,
      "expects %d outputs for %d optimized tensors, got %d",
      count - per,
      per,
      n.numOutputs()
    );
    List<List<Value>> out = new ArrayList<>();
    for (int g = 0; g < groups; g++) {
      out.add(new ArrayList<>(n.inputs().subList(2 + g * per, 2 + (g + 1) * per)));
    }
    return out;
  }

  private static long updateCount(OnnxNode n, ImportContext c) {
    Tensor t = c.requireConstant(n.input(1), "the update count T");
    OnnxError.check(t.size() == 1, "T must hold one element, got %d", t.size());
    return t.getLong(0);
  }

  private static Value regularized(OnnxNode n, ImportContext c, Value x, Value g) {
    double lambda = n.getFloat("norm_coefficient", 0);
    return lambda == 0 ? g : c.emit(new Add(), c.emit(new Mul(), x, scalar(c, x, lambda)), g);
  }

  private static Value scaled(ImportContext c, Value x, double k) {
    return c.emit(new Mul(), x, scalar(c, x, k));
  }

  /**
   * {@code r = R / (1 + T * decay_factor)}, {@code H' = H + G^2}, {@code X' = X - r * G / (sqrt(H')
   * + epsilon)}.
   */
  private static List<Value> adagrad(OnnxNode n, ImportContext c) {
    List<List<Value>> in = operands(n, 3);
    long t = updateCount(n, c);
    double epsilon = n.getFloat("epsilon", 0);
    Value r = c.emit(
      new Div(),
      n.input(0),
      scalar(c, n.input(0), 1 + t * n.getFloat("decay_factor", 0))
    );
    List<Value> xs = new ArrayList<>();
    List<Value> hs = new ArrayList<>();
    for (int i = 0; i < in.get(0).size(); i++) {
      Value x = in.get(0).get(i);
      Value g = regularized(n, c, x, in.get(1).get(i));
      Value h = c.emit(new Add(), in.get(2).get(i), c.emit(new Mul(), g, g));
      Value denominator = c.emit(new Add(), c.emit(new Sqrt(), h), scalar(c, h, epsilon));
      Value step = c.emit(new Div(), c.emit(new Mul(), g, r), denominator);
      xs.add(c.emit(new Sub(), x, step));
      hs.add(h);
    }
    xs.addAll(hs);
    return xs;
  }

  /**
   * {@code V' = alpha * V + beta' * G} with {@code beta' = T > 0 ? beta : 1}; standard mode {@code
   * X' = X - R * V'}, nesterov mode {@code X' = X - R * (G + alpha * V')}.
   */
  private static List<Value> momentum(OnnxNode n, ImportContext c) {
    List<List<Value>> in = operands(n, 3);
    long t = updateCount(n, c);
    double alpha = n.getFloat("alpha", 0);
    double beta = t > 0 ? n.getFloat("beta", 0) : 1;
    String mode = n.getString("mode", "standard");
    OnnxError.check(
      mode.equals("standard") || mode.equals("nesterov"),
      "mode must be standard or nesterov, got '%s'",
      mode
    );
    List<Value> xs = new ArrayList<>();
    List<Value> vs = new ArrayList<>();
    for (int i = 0; i < in.get(0).size(); i++) {
      Value x = in.get(0).get(i);
      Value g = regularized(n, c, x, in.get(1).get(i));
      Value v = c.emit(new Add(), scaled(c, in.get(2).get(i), alpha), scaled(c, g, beta));
      Value direction = mode.equals("standard") ? v : c.emit(new Add(), g, scaled(c, v, alpha));
      xs.add(c.emit(new Sub(), x, c.emit(new Mul(), direction, n.input(0))));
      vs.add(v);
    }
    xs.addAll(vs);
    return xs;
  }

  /**
   * {@code V' = alpha * V + (1 - alpha) * G}, {@code H' = beta * H + (1 - beta) * G^2}, {@code R' =
   * T > 0 ? R * sqrt(1 - beta^T) / (1 - alpha^T) : R}, {@code X' = (1 - norm_coefficient_post) *
   * (X - R' * V' / (sqrt(H') + epsilon))}.
   */
  private static List<Value> adam(OnnxNode n, ImportContext c) {
    List<List<Value>> in = operands(n, 4);
    long t = updateCount(n, c);
    double alpha = n.getFloat("alpha", 0.9);
    double beta = n.getFloat("beta", 0.999);
    double epsilon = n.getFloat("epsilon", 0);
    double post = n.getFloat("norm_coefficient_post", 0);
    double correction = t > 0 ? Math.sqrt(1 - Math.pow(beta, t)) / (1 - Math.pow(alpha, t)) : 1;
    Value rate = scaled(c, n.input(0), correction);
    List<Value> xs = new ArrayList<>();
    List<Value> vs = new ArrayList<>();
    List<Value> hs = new ArrayList<>();
    for (int i = 0; i < in.get(0).size(); i++) {
      Value x = in.get(0).get(i);
      Value g = regularized(n, c, x, in.get(1).get(i));
      Value v = c.emit(new Add(), scaled(c, in.get(2).get(i), alpha), scaled(c, g, 1 - alpha));
      Value h = c.emit(
        new Add(),
        scaled(c, in.get(3).get(i), beta),
        scaled(c, c.emit(new Mul(), g, g), 1 - beta)
      );
      Value denominator = c.emit(new Add(), c.emit(new Sqrt(), h), scalar(c, h, epsilon));
      Value step = c.emit(new Mul(), c.emit(new Div(), v, denominator), rate);
      xs.add(scaled(c, c.emit(new Sub(), x, step), 1 - post));
      vs.add(v);
      hs.add(h);
    }
    xs.addAll(vs);
    xs.addAll(hs);
    return xs;
  }
}
