package dev.kiln.pass;

import dev.kiln.ir.Builder;
import dev.kiln.ir.Location;
import dev.kiln.ir.Node;
import dev.kiln.ir.OpResult;
import dev.kiln.ir.Rewriter;
import dev.kiln.ir.Tensor;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Value;
import dev.kiln.ir.op.Activation;
import dev.kiln.ir.op.Constant;
import dev.kiln.ir.op.Conv;
import dev.kiln.ir.op.Gemm;
import dev.kiln.ir.op.MatMul;
import dev.kiln.ir.op.Op;
import java.util.List;

/** Helpers shared by {@code fold-conv-bn} and {@code fuse-activation}. */
final class Fusion {

  private Fusion() {}

  /** The node producing {@code v} when it is a Conv, Gemm or MatMul, else null. */
  static Node producer(Value v) {
    Node d = v.definingNode();
    if (
      d != null && (d.op() instanceof Conv || d.op() instanceof Gemm || d.op() instanceof MatMul)
    ) {
      return d;
    }
    return null;
  }

  static Activation activation(Op op) {
    return switch (op) {
      case Conv c -> c.activation();
      case Gemm g -> g.activation();
      case MatMul m -> m.activation();
      default -> throw new IllegalArgumentException(op.name());
    };
  }

  /** The {@code activationAlpha} of a product op. */
  static double activationAlpha(Op op) {
    return switch (op) {
      case Conv c -> c.activationAlpha();
      case Gemm g -> g.activationAlpha();
      case MatMul m -> m.activationAlpha();
      default -> throw new IllegalArgumentException(op.name());
    };
  }

  static Op withActivation(Op op, Activation a, double alpha, double beta) {
    return switch (op) {
      case Conv c -> c.withActivation(a, alpha, beta);
      case Gemm g -> g.withActivation(a, alpha, beta);
      case MatMul m -> m.withActivation(a, alpha, beta);
      default -> throw new IllegalArgumentException(op.name());
    };
  }

  /** True when {@code v} has exactly one use. */
  static boolean singleUse(Value v) {
    return v.uses().size() == 1;
  }

  /** The value of {@code v} when an {@code nn.constant} with data defines it, else null. */
  static Tensor constant(Value v) {
    if (
      v.definingNode() != null && v.definingNode().op() instanceof Constant c && c.value().hasData()
    ) {
      return c.value();
    }
    return null;
  }

  /**
   * True when {@code v} is available right before {@code node}: a block argument, a value defined in
   * an enclosing block, or a result of an earlier node of {@code node}'s block. {@code v} must be
   * used in {@code node}'s block or a block nested in it.
   */
  static boolean availableBefore(Value v, Node node) {
    if (!(v instanceof OpResult r)) {
      return true;
    }
    Node d = r.definingNode();
    if (d.parent() != node.parent()) {
      return true;
    }
    return node.parent().nodes().indexOf(d) < node.parent().nodes().indexOf(node);
  }

  /** A new constant node right before {@code before}, named after {@code hint}. */
  static Value newConstant(Node before, Tensor t, String hint, Location loc) {
    OpResult v = Builder.before(before).value(new Constant(t), List.of(), loc);
    v.setNameHint(hint);
    return v;
  }

  /** Erases the constant defining {@code v} when nothing uses it any more. */
  static void eraseIfDeadConstant(Value v, Rewriter rw) {
    Node d = v.definingNode();
    if (d != null && d.parent() != null && d.op() instanceof Constant && !v.hasUses()) {
      rw.erase(d);
    }
  }

  static Location fuse(Node a, Node b) {
    return Location.fuse(List.of(a.location(), b.location()));
  }

  /** {@code t}'s values broadcast (right-aligned) to the static shape {@code out}. */
  static double[] expand(Tensor t, long[] out) {
    long[] in = t.shape().sizes();
    double[] v = t.toDoubles();
    int size = 1;
    for (long d : out) {
      size = Math.multiplyExact(size, Math.toIntExact(d));
    }
    double[] r = new double[size];
    long[] idx = new long[out.length];
    for (int i = 0; i < size; i++) {
      long off = 0;
      int shift = out.length - in.length;
      for (int d = 0; d < in.length; d++) {
        off = off * in[d] + (in[d] == 1 ? 0 : idx[d + shift]);
      }
      r[i] = v[(int) off];
      for (int d = out.length - 1; d >= 0; d--) {
        if (++idx[d] < out[d]) {
          break;
        }
        idx[d] = 0;
      }
    }
    return r;
  }

  /** True when the element type of {@code t} is floating point. */
  static boolean isFloat(TensorType t) {
    return t.elementType().isFloat();
  }
}
