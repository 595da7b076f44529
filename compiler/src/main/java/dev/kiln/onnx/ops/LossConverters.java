package dev.kiln.onnx.ops;

import static dev.kiln.onnx.ops.ElementwiseConverters.scalar;

import dev.kiln.ir.Dim;
import dev.kiln.ir.ElementType;
import dev.kiln.ir.Tensor;
import dev.kiln.ir.Value;
import dev.kiln.ir.op.Cast;
import dev.kiln.ir.op.Div;
import dev.kiln.ir.op.Equal;
import dev.kiln.ir.op.Gather;
import dev.kiln.ir.op.GatherElements;
import dev.kiln.ir.op.LogSoftmax;
import dev.kiln.ir.op.Mul;
import dev.kiln.ir.op.Neg;
import dev.kiln.ir.op.Not;
import dev.kiln.ir.op.ReduceMean;
import dev.kiln.ir.op.ReduceSum;
import dev.kiln.ir.op.Reshape;
import dev.kiln.ir.op.Where;
import dev.kiln.onnx.ConverterRegistry;
import dev.kiln.onnx.ImportContext;
import dev.kiln.onnx.OnnxError;
import dev.kiln.onnx.OnnxNode;
import java.util.ArrayList;
import java.util.List;

/**
 * ONNX's loss functions, composed from core ops: {@code NegativeLogLikelihoodLoss} gathers the
 * target class along axis 1, weights it and reduces; {@code SoftmaxCrossEntropyLoss} is the same
 * after a {@code log_softmax} along axis 1, whose result is also its optional second output.
 */
public final class LossConverters {

  private LossConverters() {}

  public static void register(ConverterRegistry r) {
    r.add("NegativeLogLikelihoodLoss", 12, (n, c) ->
      List.of(nll(n, c, n.input(0), n.input(1), n.input(2)))
    );
    r.add("SoftmaxCrossEntropyLoss", 12, LossConverters::softmaxCrossEntropy);
  }

  private static List<Value> softmaxCrossEntropy(OnnxNode n, ImportContext c) {
    Value scores = n.input(0);
    OnnxError.check(
      scores.type().rank() >= 2,
      "scores must have rank >= 2 (N, C, ...), got %s",
      scores.type()
    );
    Value logProb = c.emit(new LogSoftmax(1), scores);
    Value loss = nll(n, c, logProb, n.input(1), n.input(2));
    return n.numOutputs() > 1 ? List.of(loss, logProb) : List.of(loss);
  }

  /**
   * {@code loss[n, d...] = -x[n, t, d...] * w[t]} with {@code t = target[n, d...]}, zero where
   * {@code t} equals {@code ignore_index}; reduced by {@code reduction}, where {@code mean} divides
   * by the sum of the weights that were applied.
   */
  private static Value nll(OnnxNode n, ImportContext c, Value x, Value target, Value weight) {
    int rank = x.type().rank();
    OnnxError.check(rank >= 2, "input must have rank >= 2 (N, C, ...), got %s", x.type());
    OnnxError.check(
      target.type().rank() == rank - 1,
      "target rank (%d) must be input rank minus 1 (%d)",
      target.type().rank(),
      rank - 1
    );
    ElementType te = target.type().elementType();
    OnnxError.check(
      te == ElementType.I64 || te == ElementType.I32,
      "target must hold i32 or i64 class indices, got %s",
      target.type()
    );
    String reduction = n.getString("reduction", "mean");
    OnnxError.check(
      reduction.equals("none") || reduction.equals("sum") || reduction.equals("mean"),
      "reduction '%s' is not one of none, sum, mean",
      reduction
    );
    Value keep = null;
    Value safeTarget = target;
    if (n.has("ignore_index")) {
      Value ignored = c.emit(
        new Equal(),
        target,
        c.constant(Tensor.scalar(te, n.getInt("ignore_index")))
      );
      keep = c.emit(new Not(), ignored);
      safeTarget = c.emit(new Where(), ignored, c.constant(Tensor.scalar(te, 0)), target);
    }
    Value picked = c.emit(new GatherElements(1), x, insertUnitAxis(c, safeTarget));
    Value loss = c.emit(new Neg(), c.emit(new ReduceSum(List.of(1L), false), picked));
    Value w = null;
    if (weight != null) {
      w = c.emit(new Gather(0), weight, safeTarget);
      if (keep != null) {
        w = c.emit(new Where(), keep, w, scalar(c, x, 0));
      }
    } else if (keep != null) {
      w = c.emit(new Cast(x.type().elementType()), keep);
    }
    if (w != null) {
      loss = c.emit(new Mul(), loss, w);
    }
    return switch (reduction) {
      case "none" -> loss;
      case "sum" -> c.emit(new ReduceSum(List.of(), false), loss);
      default -> w == null
        ? c.emit(new ReduceMean(List.of(), false), loss)
        : c.emit(
          new Div(),
          c.emit(new ReduceSum(List.of(), false), loss),
          c.emit(new ReduceSum(List.of(), false), w)
        );
    };
  }

  /** {@code t} with a unit axis inserted at position 1. */
  private static Value insertUnitAxis(ImportContext c, Value t) {
    List<Long> target = new ArrayList<>();
    int unknown = 0;
    for (int i = 0; i < t.type().rank(); i++) {
      Dim d = t.type().shape().dim(i);
      if (i == 1) {
        target.add(1L);
      }
      if (d.isKnown()) {
        target.add(d.size());
      } else {
        target.add(-1L);
        unknown++;
      }
    }
    if (t.type().rank() == 1) {
      target.add(1L);
    }
    OnnxError.check(unknown <= 1, "target needs at most one unknown dimension, got %s", t.type());
    return c.emit(new Reshape(target), t);
  }
}
