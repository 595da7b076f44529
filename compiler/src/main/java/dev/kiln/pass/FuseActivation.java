package dev.kiln.pass;

import dev.kiln.ir.Builder;
import dev.kiln.ir.Module;
import dev.kiln.ir.Node;
import dev.kiln.ir.Rewriter;
import dev.kiln.ir.Tensor;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Value;
import dev.kiln.ir.op.Activation;
import dev.kiln.ir.op.Add;
import dev.kiln.ir.op.Clip;
import dev.kiln.ir.op.Conv;
import dev.kiln.ir.op.Gelu;
import dev.kiln.ir.op.Gemm;
import dev.kiln.ir.op.HardSigmoid;
import dev.kiln.ir.op.HardSwish;
import dev.kiln.ir.op.LeakyRelu;
import dev.kiln.ir.op.MatMul;
import dev.kiln.ir.op.Max;
import dev.kiln.ir.op.Mul;
import dev.kiln.ir.op.Op;
import dev.kiln.ir.op.Relu;
import dev.kiln.ir.op.Sigmoid;
import dev.kiln.ir.op.Tanh;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code fuse-activation}: folds elementwise work that follows an {@code nn.conv}, {@code nn.gemm}
 * or {@code nn.matmul} into that node's epilogue ({@code activation(y + bias + residual)}), when the
 * producer's result has no other use and the producer has no activation yet:
 *
 * <ul>
 *   <li>{@code relu}, {@code clip} (Relu6 included), {@code leaky_relu}, {@code hard_sigmoid},
 *       {@code hard_swish}, {@code sigmoid}, {@code gelu}, {@code tanh} become the activation;
 *   <li>{@code mul(y, sigmoid(y))} (SiLU, Swish) becomes {@code activation = silu};
 *   <li>{@code max(y, c)} with {@code c} a constant of one (non-NaN) value that does not widen
 *       {@code y}, after no activation, {@code relu} or {@code leaky_relu}, becomes {@code
 *       activation = leaky_relu_max} (alpha 1, 0 or the leaky relu's, beta {@code c});
 *   <li>{@code add(matmul(a, b), c)} becomes {@code gemm(a, b, c)} when {@code a} and {@code b} are
 *       2-D, else {@code matmul(a, b, c)}; {@code add(gemm(a, b), c)} becomes {@code gemm(a, b, c)};
 *       {@code c} must be available before the product and must not change the result shape;
 *   <li>{@code add(conv(x, w, b), r)} becomes {@code conv(x, w, b, r)} (a residual) when {@code r} is
 *       available before the convolution; a missing bias becomes zeros.
 * </ul>
 *
 * <pre>
 * %y = nn.conv(%x, %w, %b)              ==>   %y = nn.conv(%x, %w, %b, %r) {activation = relu}
 * %s = nn.add(%y, %r)
 * %z = nn.relu(%s)
 *
 * %y = nn.matmul(%a, %w)                ==>   %y = nn.gemm(%a, %w, %c) {activation = silu}
 * %s = nn.add(%y, %c)
 * %g = nn.sigmoid(%s)
 * %z = nn.mul(%s, %g)
 * </pre>
 */
public final class FuseActivation implements Pass {

  @Override
  public String name() {
    return "fuse-activation";
  }

  @Override
  public void run(Module module, PassContext ctx) {
    new PatternDriver(
      List.of(
        new FuseAddIntoProduct(),
        new FuseResidualIntoConv(),
        new FuseActivationIntoProducer(),
        new FuseSiluIntoProducer(),
        new FuseFloorIntoProducer()
      ),
      1_000_000
    ).run(module, ctx.rewriter());
  }

  private record Act(Activation kind, double alpha, double beta) {}

  private static Act activationOf(Op op) {
    return switch (op) {
      case Relu r -> new Act(Activation.RELU, 0, 0);
      case Clip c -> new Act(Activation.CLIP, c.min(), c.max());
      case LeakyRelu l -> new Act(Activation.LEAKY_RELU, l.alpha(), 0);
      case HardSigmoid h -> new Act(Activation.HARD_SIGMOID, h.alpha(), h.beta());
      case HardSwish h -> new Act(Activation.HARD_SWISH, 0, 0);
      case Sigmoid s -> new Act(Activation.SIGMOID, 0, 0);
      case Gelu g -> new Act(g.tanh() ? Activation.GELU_TANH : Activation.GELU, 0, 0);
      case Tanh t -> new Act(Activation.TANH, 0, 0);
      default -> null;
    };
  }

  /** Why {@code p}'s result may not take an epilogue, or null when it may. */
  private static String unfusable(Node p) {
    if (!Fusion.isFloat(p.result().type())) {
      return "producer result is not floating point";
    }
    if (Fusion.activation(p.op()) != Activation.NONE) {
      return "producer already has an activation";
    }
    return null;
  }

  private static void mergeInto(Node producer, Node consumer, Rewriter rw) {
    rw.setLocation(producer, Fusion.fuse(producer, consumer));
    if (producer.result().nameHint() == null) {
      producer.result().setNameHint(consumer.result().nameHint());
    }
  }

  /** {@code relu(conv(x, w))} becomes {@code conv(x, w) {activation = relu}}. */
  static final class FuseActivationIntoProducer implements Pattern {

    @Override
    public boolean matchAndRewrite(Node node, Rewriter rw) {
      Act a = activationOf(node.op());
      if (a == null) {
        return false;
      }
      Node p = Fusion.producer(node.operand(0));
      if (p == null) {
        return false;
      }
      String why = unfusable(p);
      if (why != null) {
        return rw.fail(node, why);
      }
      if (!Fusion.singleUse(p.result())) {
        return rw.fail(node, "producer result has more than one use");
      }
      rw.setOp(p, Fusion.withActivation(p.op(), a.kind, a.alpha, a.beta));
      mergeInto(p, node, rw);
      rw.replaceNode(node, List.of(p.result()));
      return true;
    }
  }

  /** {@code max(leaky_relu(conv(x, w)), c)} becomes {@code conv(x, w) {activation = leaky_relu_max}}. */
  static final class FuseFloorIntoProducer implements Pattern {

    @Override
    public boolean matchAndRewrite(Node node, Rewriter rw) {
      if (!(node.op() instanceof Max) || node.numOperands() != 2) {
        return false;
      }
      for (int side = 0; side < 2; side++) {
        Value y = node.operand(side);
        Tensor c = Fusion.constant(node.operand(1 - side));
        Node p = Fusion.producer(y);
        if (p == null || c == null || !c.isSplat() || c.size() == 0) {
          continue;
        }
        double floor = c.getDouble(0);
        if (Double.isNaN(floor) || !node.result().type().equals(y.type())) {
          return rw.fail(node, "the floor is NaN or widens the product");
        }
        if (!Fusion.isFloat(p.result().type()) || !Fusion.singleUse(p.result())) {
          return rw.fail(node, "producer result is not floating point or has more than one use");
        }
        double alpha = switch (Fusion.activation(p.op())) {
          case NONE -> 1;
          case RELU -> 0;
          case LEAKY_RELU -> Fusion.activationAlpha(p.op());
          default -> Double.NaN;
        };
        if (Double.isNaN(alpha)) {
          return rw.fail(node, "producer's activation takes no floor");
        }
        Value constant = node.operand(1 - side);
        rw.setOp(p, Fusion.withActivation(p.op(), Activation.LEAKY_RELU_MAX, alpha, floor));
        mergeInto(p, node, rw);
        rw.replaceNode(node, List.of(p.result()));
        Fusion.eraseIfDeadConstant(constant, rw);
        return true;
      }
      return false;
    }
  }

  /** {@code mul(y, sigmoid(y))} with {@code y = conv(x, w)} becomes {@code conv(x, w) {activation = silu}}. */
  static final class FuseSiluIntoProducer implements Pattern {

    @Override
    public boolean matchAndRewrite(Node node, Rewriter rw) {
      if (!(node.op() instanceof Mul)) {
        return false;
      }
      for (int i = 0; i < 2; i++) {
        Value y = node.operand(i);
        Node sig = node.operand(1 - i).definingNode();
        Node p = Fusion.producer(y);
        if (p == null || sig == null || !(sig.op() instanceof Sigmoid) || sig.operand(0) != y) {
          continue;
        }
        String why = unfusable(p);
        if (why != null) {
          return rw.fail(node, why);
        }
        if (y.uses().size() != 2 || !Fusion.singleUse(sig.result())) {
          return rw.fail(node, "producer or sigmoid result has other uses");
        }
        rw.setOp(p, Fusion.withActivation(p.op(), Activation.SILU, 0, 0));
        rw.setLocation(
          p,
          dev.kiln.ir.Location.fuse(List.of(p.location(), sig.location(), node.location()))
        );
        rw.replaceNode(node, List.of(p.result()));
        rw.erase(sig);
        return true;
      }
      return false;
    }
  }

  /** {@code add(matmul(a, b), c)} becomes {@code gemm(a, b, c)} (2-D) or {@code matmul(a, b, c)}. */
  static final class FuseAddIntoProduct implements Pattern {

    @Override
    public boolean matchAndRewrite(Node node, Rewriter rw) {
      if (!(node.op() instanceof Add)) {
        return false;
      }
      for (int i = 0; i < 2; i++) {
        Node p = node.operand(i).definingNode();
        if (
          p == null || !(p.op() instanceof MatMul || p.op() instanceof Gemm) || p.numOperands() > 2
        ) {
          continue;
        }
        Value c = node.operand(1 - i);
        String why = unfusable(p);
        if (why == null && !Fusion.singleUse(p.result())) {
          why = "product result has more than one use";
        }
        if (why == null && p.parent() != node.parent()) {
          why = "add is in another block than the product";
        }
        if (why == null && !Fusion.availableBefore(c, p)) {
          why = "addend is not available before the product";
        }
        if (why == null && !node.result().type().equals(p.result().type())) {
          why = "addend changes the result type";
        }
        if (why != null) {
          rw.fail(node, why);
          continue;
        }
        Value a = p.operand(0);
        Value b = p.operand(1);
        Op op;
        if (p.op() instanceof Gemm g) {
          op = new Gemm(g.alpha(), 1.0, g.transA(), g.transB());
        } else if (a.type().rank() == 2 && b.type().rank() == 2 && c.type().rank() <= 2) {
          op = new Gemm(1.0, 1.0, false, false);
        } else {
          op = new MatMul();
        }
        Node fused = Builder.before(p).create(op, List.of(a, b, c), Fusion.fuse(p, node));
        fused.result().setNameHint(p.result().nameHint());
        rw.replaceNode(node, List.of(fused.result()));
        rw.erase(p);
        return true;
      }
      return false;
    }
  }

  /** {@code add(conv(x, w, b), r)} becomes {@code conv(x, w, b, r)} when {@code r} is ready before the convolution. */
  static final class FuseResidualIntoConv implements Pattern {

    @Override
    public boolean matchAndRewrite(Node node, Rewriter rw) {
      if (!(node.op() instanceof Add)) {
        return false;
      }
      String why = null;
      for (int i = 0; i < 2; i++) {
        Node p = node.operand(i).definingNode();
        if (p == null || !(p.op() instanceof Conv)) {
          continue;
        }
        Value r = node.operand(1 - i);
        String no = unfusable(p);
        if (no == null && p.numOperands() > 3) {
          no = "convolution already has a residual";
        }
        if (no == null && !Fusion.singleUse(p.result())) {
          no = "convolution result has more than one use";
        }
        if (no == null && p.parent() != node.parent()) {
          no = "add is in another block than the convolution";
        }
        if (no == null && !Fusion.availableBefore(r, p)) {
          no = "residual is not available before the convolution";
        }
        if (no == null && !node.result().type().equals(p.result().type())) {
          no = "residual changes the result type";
        }
        if (no == null && p.numOperands() == 2 && !p.operand(1).type().shape().dim(0).isKnown()) {
          no = "output channel count is not static";
        }
        if (no != null) {
          why = no;
          continue;
        }
        List<Value> operands = new ArrayList<>(p.operands());
        if (operands.size() == 2) {
          TensorType w = p.operand(1).type();
          long m = w.shape().dim(0).size();
          operands.add(
            Fusion.newConstant(
              p,
              Tensor.splat(TensorType.of(w.elementType(), m), 0.0),
              p.result().nameHint() == null ? null : p.result().nameHint() + "_bias",
              p.location()
            )
          );
        }
        operands.add(r);
        Node fused = Builder.before(p).create(p.op(), operands, Fusion.fuse(p, node));
        fused.result().setNameHint(p.result().nameHint());
        rw.replaceNode(node, List.of(fused.result()));
        rw.erase(p);
        return true;
      }
      return why == null ? false : rw.fail(node, why);
    }
  }
}
