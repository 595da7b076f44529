package dev.kiln.analysis;

import dev.kiln.ir.Func;
import dev.kiln.ir.Node;
import dev.kiln.ir.Region;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.op.Activation;
import dev.kiln.ir.op.Conv;
import dev.kiln.ir.op.Elementwise;
import dev.kiln.ir.op.Gemm;
import dev.kiln.ir.op.MatMul;
import dev.kiln.ir.op.QConv;
import dev.kiln.ir.op.QMatMul;

/**
 * Floating-point operation estimates, counting a multiply-add as two operations: convolution
 * {@code 2 * N * M * prod(O) * (C / group) * prod(K)}, matrix products {@code 2 * M * N * K} per
 * batch (their integer forms {@code q.conv} and {@code q.matmul} count the same, requantization
 * not counted), elementwise ops one per output element; data movement counts zero. A fused epilogue adds
 * one per output element for the activation, a convolution's residual and a matmul's bias, as the
 * standalone ops would. Unknown dimensions count as 1.
 */
public final class Flops {

  private Flops() {}

  public static long of(Func f) {
    return block(f.entry());
  }

  private static long block(dev.kiln.ir.Block b) {
    long total = 0;
    for (Node n : b.nodes()) {
      total = Math.addExact(total, of(n));
      for (Region r : n.regions()) {
        total = Math.addExact(total, block(r.block()));
      }
    }
    return total;
  }

  public static long of(Node n) {
    return switch (n.op()) {
      case Conv c -> {
        TensorType w = n.operand(1).type();
        long perOutput = 2 * dims(w, 1, w.rank());
        yield (perOutput + epilogue(c.activation(), n.numOperands() > 3)) *
        elements(n.result().type());
      }
      case MatMul m -> {
        TensorType a = n.operand(0).type();
        long perOutput = 2 * dims(a, a.rank() - 1, a.rank());
        yield (perOutput + epilogue(m.activation(), n.numOperands() > 2)) *
        elements(n.result().type());
      }
      case Gemm g -> {
        TensorType a = n.operand(0).type();
        long k = dims(a, g.transA() ? 0 : 1, g.transA() ? 1 : 2);
        yield (2 * k + epilogue(g.activation(), false)) * elements(n.result().type());
      }
      case QConv c -> {
        TensorType w = n.operand(1).type();
        yield 2 * dims(w, 1, w.rank()) * elements(n.result().type());
      }
      case QMatMul m -> {
        TensorType a = n.operand(0).type();
        yield 2 * dims(a, a.rank() - 1, a.rank()) * elements(n.result().type());
      }
      case Elementwise e -> elements(n.result().type());
      default -> 0;
    };
  }

  private static long epilogue(Activation a, boolean addend) {
    return (a == Activation.NONE ? 0 : 1) + (addend ? 1 : 0);
  }

  private static long elements(TensorType t) {
    return dims(t, 0, t.rank());
  }

  private static long dims(TensorType t, int from, int to) {
    long p = 1;
    for (int i = from; i < to; i++) {
      var d = t.shape().dim(i);
      p = Math.multiplyExact(p, d.isKnown() ? d.size() : 1);
    }
    return p;
  }
}
