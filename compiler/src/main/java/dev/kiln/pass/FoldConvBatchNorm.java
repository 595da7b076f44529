package dev.kiln.pass;

import dev.kiln.ir.Builder;
import dev.kiln.ir.ElementType;
import dev.kiln.ir.Location;
import dev.kiln.ir.Module;
import dev.kiln.ir.Node;
import dev.kiln.ir.Rewriter;
import dev.kiln.ir.Shape;
import dev.kiln.ir.Tensor;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Value;
import dev.kiln.ir.op.Activation;
import dev.kiln.ir.op.Add;
import dev.kiln.ir.op.BatchNorm;
import dev.kiln.ir.op.Conv;
import dev.kiln.ir.op.Gemm;
import dev.kiln.ir.op.Layout;
import dev.kiln.ir.op.MatMul;
import dev.kiln.ir.op.Mul;
import dev.kiln.ir.op.Op;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code fold-conv-bn}: an inference batch normalization, or a multiplication or addition by a
 * per-channel constant, applied to the result of an {@code nn.conv}, {@code nn.gemm} or {@code
 * nn.matmul} is folded into that node's weights and bias. With {@code s = scale / sqrt(var +
 * epsilon)} per output channel: {@code w' = w * s}, {@code bias' = (bias - mean) * s + beta}
 * (a multiplication by {@code c} is {@code s = c}, an addition of {@code c} is {@code bias' = bias +
 * c}). The producer's result must have a single use, carry no epilogue yet, and the values folded
 * must be constants; the folded node's location fuses both. The output channel is axis 1 of a
 * convolution and the last axis of a matrix product (a batch normalization after {@code nn.matmul}
 * needs a 2-D result for the two to agree).
 *
 * <pre>
 * %y = nn.conv(%x, %w, %b)                       ==>   %y = nn.conv(%x, %w', %b')
 * %z = nn.batch_norm(%y, %g, %beta, %m, %v)
 *
 * %y = nn.gemm(%a, %w)                           ==>   %y = nn.gemm(%a, %w', %c')
 * %z = nn.mul(%y, %s)       (%s: [N] constant)
 * </pre>
 */
public final class FoldConvBatchNorm implements Pass {

  @Override
  public String name() {
    return "fold-conv-bn";
  }

  @Override
  public void run(Module module, PassContext ctx) {
    new PatternDriver(
      List.of(
        new FoldBatchNormIntoProducer(),
        new FoldMulIntoProducer(),
        new FoldAddIntoProducer()
      ),
      1_000_000
    ).run(module, ctx.rewriter());
  }

  /** {@code batch_norm(conv(x, w, b))} becomes {@code conv(x, w', b')}. */
  static final class FoldBatchNormIntoProducer implements Pattern {

    @Override
    public boolean matchAndRewrite(Node node, Rewriter rw) {
      if (!(node.op() instanceof BatchNorm bn)) {
        return false;
      }
      if (bn.layout() != Layout.NCHW) {
        return rw.fail(node, "batch_norm is not NCHW");
      }
      Node p = Fusion.producer(node.operand(0));
      if (p == null) {
        return false;
      }
      Target t = Target.of(p, rw);
      if (t == null) {
        return false;
      }
      if (t.axis != 1) {
        return rw.fail(node, "matmul result is not 2-D, its channel axis is not axis 1");
      }
      double[][] params = new double[4][];
      for (int i = 0; i < 4; i++) {
        Tensor c = Fusion.constant(node.operand(i + 1));
        if (c == null) {
          return rw.fail(node, "batch_norm parameters are not constants");
        }
        if (c.size() != t.channels) {
          return rw.fail(node, "batch_norm parameter length differs from the channel count");
        }
        params[i] = c.toDoubles();
      }
      double[] s = new double[(int) t.channels];
      double[] b = new double[(int) t.channels];
      for (int c = 0; c < s.length; c++) {
        s[c] = params[0][c] / Math.sqrt(params[3][c] + bn.epsilon());
        b[c] = params[1][c] - params[2][c] * s[c];
      }
      return t.fold(node, s, b, rw);
    }
  }

  /** {@code mul(conv(x, w, b), c)} with a per-channel constant {@code c} becomes {@code conv(x, w * c, b * c)}. */
  static final class FoldMulIntoProducer implements Pattern {

    @Override
    public boolean matchAndRewrite(Node node, Rewriter rw) {
      if (!(node.op() instanceof Mul)) {
        return false;
      }
      return foldBinary(node, true, rw);
    }
  }

  /** {@code add(conv(x, w, b), c)} with a per-channel constant {@code c} becomes {@code conv(x, w, b + c)}. */
  static final class FoldAddIntoProducer implements Pattern {

    @Override
    public boolean matchAndRewrite(Node node, Rewriter rw) {
      if (!(node.op() instanceof Add)) {
        return false;
      }
      return foldBinary(node, false, rw);
    }
  }

  private static boolean foldBinary(Node node, boolean mul, Rewriter rw) {
    for (int i = 0; i < 2; i++) {
      Node p = Fusion.producer(node.operand(i));
      Tensor c = Fusion.constant(node.operand(1 - i));
      if (p == null || c == null) {
        continue;
      }
      Target t = Target.of(p, rw);
      if (t == null) {
        return false;
      }
      double[] v = t.perChannel(c);
      if (v == null) {
        return rw.fail(node, "constant " + c.type() + " is not per output channel");
      }
      if (!node.result().type().equals(p.result().type())) {
        return rw.fail(node, "the constant changes the result type");
      }
      return mul ? t.fold(node, v, null, rw) : t.fold(node, null, v, rw);
    }
    return false;
  }

  /** A Conv, Gemm or MatMul node that a per-channel affine map may be folded into. */
  private record Target(Node node, int axis, long channels) {
    /** The target for {@code p}, or null after recording why {@code p} does not qualify. */
    static Target of(Node p, Rewriter rw) {
      TensorType y = p.result().type();
      if (!Fusion.isFloat(y)) {
        return failed(p, "result is not floating point", rw);
      }
      if (!Fusion.singleUse(p.result())) {
        return failed(p, "producer result has more than one use", rw);
      }
      if (Fusion.activation(p.op()) != Activation.NONE) {
        return failed(p, "producer already has an activation", rw);
      }
      int axis;
      Value w = p.operand(1);
      switch (p.op()) {
        case Conv c -> {
          if (c.layout() != Layout.NCHW) {
            return failed(p, "convolution is not NCHW", rw);
          }
          if (p.numOperands() > 3) {
            return failed(p, "convolution has a residual operand", rw);
          }
          axis = 1;
        }
        case Gemm g -> axis = 1;
        case MatMul m -> {
          if (w.type().rank() < 2) {
            return failed(p, "matmul right operand is 1-D", rw);
          }
          axis = y.rank() - 1;
        }
        default -> throw new IllegalStateException(p.op().name());
      }
      var d = y.shape().dim(axis);
      if (!d.isKnown()) {
        return failed(p, "output channel count is not static", rw);
      }
      return new Target(p, axis, d.size());
    }

    private static Target failed(Node p, String reason, Rewriter rw) {
      rw.fail(p, reason);
      return null;
    }

    /** The per-channel values of {@code c} when it varies along the channel axis only, else null. */
    double[] perChannel(Tensor c) {
      int r = node.result().type().rank();
      long[] cs = c.shape().sizes();
      if (cs.length > r) {
        return null;
      }
      boolean along = false;
      for (int d = 0; d < cs.length; d++) {
        int axisOfD = d + r - cs.length;
        if (axisOfD == axis && cs[d] == channels) {
          along = true;
        } else if (cs[d] != 1) {
          return null;
        }
      }
      double[] v = new double[(int) channels];
      for (int i = 0; i < v.length; i++) {
        v[i] = c.getDouble(along ? i : 0);
      }
      return v;
    }

    /**
     * Replaces {@code consumer} (which uses this node's result) by a copy of this node computing
     * {@code y * s + t} per channel; {@code s} or {@code t} may be null.
     */
    boolean fold(Node consumer, double[] s, double[] t, Rewriter rw) {
      Op op = node.op();
      Value w = node.operand(1);
      Value addend = node.numOperands() > 2 ? node.operand(2) : null;
      Tensor wc = Fusion.constant(w);
      Tensor ac = addend == null ? null : Fusion.constant(addend);
      if (s != null && wc == null) {
        return rw.fail(consumer, "weights are not constant");
      }
      if (addend != null && ac == null) {
        return rw.fail(consumer, op.name() + " bias is not constant");
      }
      ElementType e = node.result().type().elementType();
      Location loc = Fusion.fuse(node, consumer);
      Value newW = w;
      if (s != null) {
        int wAxis = switch (op) {
          case Conv c -> 0;
          case Gemm g -> g.transB() ? 0 : 1;
          default -> wc.type().rank() - 1;
        };
        newW = Fusion.newConstant(
          node,
          scale(wc, wAxis, s),
          w.nameHint(),
          w.definingNode().location()
        );
      }
      double factor = op instanceof Gemm g ? g.beta() : 1;
      Value newAddend = addend;
      if (addend != null || t != null) {
        long[] shape = addendShape(op, ac);
        Tensor a = affine(ac, factor, shape, TensorType.of(e, shape), s, t);
        String hint = addend != null ? addend.nameHint() : null;
        Location aloc = addend != null ? addend.definingNode().location() : loc;
        if (hint == null && node.result().nameHint() != null) {
          hint = node.result().nameHint() + "_bias";
        }
        newAddend = Fusion.newConstant(node, a, hint, aloc);
      }
      Op newOp = op instanceof Gemm g && newAddend != addend
        ? new Gemm(g.alpha(), 1.0, g.transA(), g.transB())
        : op;
      List<Value> operands = new ArrayList<>(List.of(node.operand(0), newW));
      if (newAddend != null) {
        operands.add(newAddend);
      }
      Node fused = Builder.before(node).create(newOp, operands, loc);
      fused.result().setNameHint(node.result().nameHint());
      List<Value> old = new ArrayList<>(consumer.operands());
      old.addAll(node.operands());
      rw.replaceNode(consumer, List.of(fused.result()));
      rw.erase(node);
      for (Value v : old) {
        Fusion.eraseIfDeadConstant(v, rw);
      }
      return true;
    }

    /** The shape of the new bias: the old one broadcast with {@code [channels]} on the channel axis. */
    private long[] addendShape(Op op, Tensor old) {
      if (op instanceof Conv || old == null || old.type().rank() == 0) {
        return new long[] { channels };
      }
      long[] s = old.shape().sizes().clone();
      s[s.length - 1] = channels;
      return s;
    }

    /** {@code (factor * old) * s + t} with {@code old} broadcast to {@code shape}, channel last. */
    private static Tensor affine(
      Tensor old,
      double factor,
      long[] shape,
      TensorType type,
      double[] s,
      double[] t
    ) {
      double[] v = old == null
        ? new double[(int) Shape.of(shape).numElements().orElseThrow().longValue()]
        : Fusion.expand(old, shape);
      int c = (int) shape[shape.length - 1];
      for (int i = 0; i < v.length; i++) {
        int ch = i % c;
        double x = v[i] * factor;
        if (s != null) {
          x *= s[ch];
        }
        if (t != null) {
          x += t[ch];
        }
        v[i] = x;
      }
      return Tensor.ofDoubles(type, v);
    }

    /** {@code w} with every slice along {@code axis} multiplied by its entry of {@code s}. */
    private static Tensor scale(Tensor w, int axis, double[] s) {
      long[] ws = w.shape().sizes();
      long inner = 1;
      for (int d = axis + 1; d < ws.length; d++) {
        inner *= ws[d];
      }
      double[] v = w.toDoubles();
      for (int i = 0; i < v.length; i++) {
        v[i] *= s[(int) ((i / inner) % s.length)];
      }
      return Tensor.ofDoubles(w.type(), v);
    }
  }
}
