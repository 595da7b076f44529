package dev.kiln.pass;

import dev.kiln.ir.Builder;
import dev.kiln.ir.ElementType;
import dev.kiln.ir.Location;
import dev.kiln.ir.Module;
import dev.kiln.ir.Node;
import dev.kiln.ir.Rewriter;
import dev.kiln.ir.Shape;
import dev.kiln.ir.Tensor;
import dev.kiln.ir.Value;
import dev.kiln.ir.op.Activation;
import dev.kiln.ir.op.Add;
import dev.kiln.ir.op.Clip;
import dev.kiln.ir.op.Concat;
import dev.kiln.ir.op.Conv;
import dev.kiln.ir.op.DequantizeLinear;
import dev.kiln.ir.op.Gemm;
import dev.kiln.ir.op.GlobalAveragePool;
import dev.kiln.ir.op.MatMul;
import dev.kiln.ir.op.MaxPool;
import dev.kiln.ir.op.Mul;
import dev.kiln.ir.op.Op;
import dev.kiln.ir.op.QAdd;
import dev.kiln.ir.op.QConv;
import dev.kiln.ir.op.QGlobalAveragePool;
import dev.kiln.ir.op.QMatMul;
import dev.kiln.ir.op.QMul;
import dev.kiln.ir.op.QRequantize;
import dev.kiln.ir.op.QuantizeLinear;
import dev.kiln.ir.op.Relu;
import dev.kiln.ir.op.Requantization;
import dev.kiln.ir.op.Reshape;
import dev.kiln.ir.op.Transpose;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code fuse-qdq}: turns the QDQ form of a quantized model (float ops between {@code
 * nn.dequantize_linear} and {@code nn.quantize_linear}) into the integer ops ({@code q.*}). Rooted
 * at a {@code nn.quantize_linear} to {@code i8}/{@code u8} with a constant per-tensor scale and zero
 * point, whose operand is, optionally through a single-use {@code nn.relu} or {@code nn.clip}
 * (absorbed into {@code [qmin, qmax]}: quantization is monotone, so {@code Q(clip(v, a, b)) =
 * clamp(Q(v), Q(a), Q(b))}), the single-use result of:
 *
 * <ul>
 *   <li>{@code nn.conv(DQ(x), DQ(w), DQ(bias)?)} ==> {@code q.conv}: {@code x} per-tensor, {@code w}
 *       constant with per-tensor or per-output-channel scales (axis 0) and one zero point, {@code
 *       bias} constant {@code i32} with zero point 0 and scale {@code x_scale * w_scale};
 *   <li>{@code nn.matmul(DQ(a), DQ(b))}, {@code nn.gemm(DQ(a), DQ(b), DQ(bias)?)} (alpha and beta 1,
 *       no {@code transA}; {@code transB} transposes the constant weights) ==> {@code q.matmul},
 *       with per-tensor or per-column weight scales;
 *   <li>{@code nn.add}, {@code nn.mul} of two per-tensor {@code DQ}s ==> {@code q.add}, {@code
 *       q.mul}; {@code nn.global_average_pool(DQ(x))} with static spatial extents ==> {@code
 *       q.global_average_pool};
 *   <li>data movement, a chain of single-use {@code nn.max_pool}, {@code nn.reshape} (Reshape,
 *       Flatten, Squeeze, Unsqueeze) and {@code nn.transpose} from a per-tensor {@code DQ}, or an
 *       {@code nn.concat} of per-tensor {@code DQ}s ==> the same ops on the integers, followed by
 *       {@code q.requantize} only where scales, zero points or the absorbed range differ (a concat
 *       requantizes each input that differs);
 *   <li>{@code DQ(x)} itself ==> {@code x} when the parameters are equal, else {@code
 *       q.requantize}.
 * </ul>
 *
 * <p>The requantization factor of each op (for a convolution {@code x_scale * w_scale[m] /
 * y_scale}) becomes a Q31 multiplier and shift ({@link Requantization}); the integer result can
 * differ from the float path by one step where that path's float32 roundings land on the other side
 * of a rounding tie. Runs before {@code constant-fold}, which would otherwise fold the weights'
 * {@code DQ}s into float constants.
 *
 * <pre>
 * %x = nn.dequantize_linear(%xq, %sx, %zx)              ==>   %y = q.conv(%xq, %wq, %bq) {multipliers = [...],
 * %w = nn.dequantize_linear(%wq, %sw) {axis = 0}                 shifts = [...], qmin = -128, qmax = 127, ...}
 * %b = nn.dequantize_linear(%bq, %sb) {axis = 0}
 * %c = nn.conv(%x, %w, %b)
 * %r = nn.relu(%c)
 * %y = nn.quantize_linear(%r, %sy, %zy)
 * </pre>
 */
public final class FuseQdq implements Pass {

  @Override
  public String name() {
    return "fuse-qdq";
  }

  @Override
  public void run(Module module, PassContext ctx) {
    new PatternDriver(List.of(new FuseIntoIntegerOp()), 1_000_000).run(module, ctx.rewriter());
  }

  /** Why a candidate does not fuse; caught at the pattern's root and reported there. */
  private static final class Mismatch extends RuntimeException {

    private static final long serialVersionUID = 1L;

    Mismatch(String reason) {
      super(reason, null, false, false);
    }
  }

  /** Per-tensor quantization parameters: the scale as stored, the zero point and the integer type. */
  record Params(double scale, long zeroPoint, ElementType type) {}

  private static Tensor constant(Value v, String what) {
    Tensor t = Rewrites.constantValue(v);
    if (t == null) {
      throw new Mismatch(what + " is not a constant");
    }
    return t;
  }

  private static boolean is8Bit(ElementType e) {
    return e == ElementType.I8 || e == ElementType.U8;
  }

  /** The zero points of a Q/DQ node {@code n} (zeros without one), as many as {@code scales}. */
  private static long[] zeroPoints(Node n, int count, String what) {
    if (n.numOperands() < 3) {
      return new long[count];
    }
    Tensor z = constant(n.operand(2), what + " zero point");
    long[] zs = z.toLongs();
    return zs.length == count ? zs : new long[] { zs[0] };
  }

  /** The per-tensor parameters of the Q or DQ node {@code n}, {@code what} naming its tensor. */
  private static Params perTensor(Node n, String what) {
    Tensor scale = constant(n.operand(1), what + " scale");
    if (scale.size() != 1) {
      throw new Mismatch(what + " scale is per-channel");
    }
    ElementType type = n.op() instanceof QuantizeLinear q
      ? q.outputType()
      : n.operand(0).type().elementType();
    if (!is8Bit(type)) {
      throw new Mismatch(what + " is not quantized to i8 or u8");
    }
    return new Params(scale.getDouble(0), zeroPoints(n, 1, what)[0], type);
  }

  /** The {@code nn.dequantize_linear} defining {@code v}. */
  private static Node dequantized(Value v, String what) {
    Node d = v.definingNode();
    if (d == null || !(d.op() instanceof DequantizeLinear)) {
      throw new Mismatch(what + " is not dequantized");
    }
    return d;
  }

  /** Constant quantized weights: values, per-channel (or one) scales along {@code axis}, one zero point. */
  private record Weights(Tensor values, double[] scales, long zeroPoint) {}

  private static Weights weights(Value v, int axis, String what) {
    Node d = dequantized(v, what);
    Tensor q = constant(d.operand(0), what);
    if (!is8Bit(q.elementType())) {
      throw new Mismatch(what + " is not quantized to i8 or u8");
    }
    Tensor s = constant(d.operand(1), what + " scale");
    DequantizeLinear op = (DequantizeLinear) d.op();
    if (s.size() > 1) {
      int rank = q.type().rank();
      if (op.blockSize() != 0 || s.type().rank() != 1 || Math.floorMod(op.axis(), rank) != axis) {
        throw new Mismatch(what + " scales are not per-tensor or along axis " + axis);
      }
    }
    long[] z = zeroPoints(d, (int) s.size(), what);
    for (long zi : z) {
      if (zi != z[0]) {
        throw new Mismatch(what + " zero point is per-channel");
      }
    }
    return new Weights(q, s.toDoubles(), z[0]);
  }

  /** {@code v} quantized exactly as the root {@code nn.quantize_linear} would quantize it. */
  private static long quantize(Node q, double v) {
    List<Tensor> in = new ArrayList<>();
    in.add(Tensor.scalar(q.operand(0).type().elementType(), v));
    in.add(Rewrites.constantValue(q.operand(1)));
    if (q.numOperands() > 2) {
      in.add(Rewrites.constantValue(q.operand(2)));
    }
    return q.op().evaluate(Op.EvalContext.NO_REGIONS, in).getFirst().getLong(0);
  }

  private static Requantization.Factor factor(double r) {
    Requantization.Factor f = Requantization.of(r);
    if (f == null) {
      throw new Mismatch("requantization factor " + r + " is out of range");
    }
    return f;
  }

  /** What the pattern builds: the integer result, given the output parameters and range. */
  private record Target(Node root, Params y, long qmin, long qmax, Location loc) {
    boolean fullRange() {
      return qmin == Requantization.min(y.type) && qmax == Requantization.max(y.type);
    }
  }

  /**
   * {@code Q(op(DQ(x), ...))}, optionally with a relu or clip before the quantization, becomes the
   * integer op.
   */
  static final class FuseIntoIntegerOp implements Pattern {

    @Override
    public boolean matchAndRewrite(Node q, Rewriter rw) {
      if (!(q.op() instanceof QuantizeLinear)) {
        return false;
      }
      try {
        Params y = perTensor(q, "output");
        long qmin = Requantization.min(y.type());
        long qmax = Requantization.max(y.type());
        List<Location> locs = new ArrayList<>(List.of(q.location()));
        Value v = q.operand(0);
        Node act = v.definingNode();
        if (act != null && (act.op() instanceof Relu || act.op() instanceof Clip)) {
          if (!Fusion.singleUse(v)) {
            throw new Mismatch("activation result has another use");
          }
          double lo = act.op() instanceof Clip c ? c.min() : 0;
          double hi = act.op() instanceof Clip c ? c.max() : Double.POSITIVE_INFINITY;
          qmin = Math.max(qmin, quantize(q, lo));
          qmax = Math.min(qmax, quantize(q, hi));
          if (qmin > qmax) {
            throw new Mismatch("clip range is empty after quantization");
          }
          locs.add(act.location());
          v = act.operand(0);
        }
        Node p = v.definingNode();
        if (p == null) {
          return false;
        }
        if (!(p.op() instanceof DequantizeLinear) && !Fusion.singleUse(v)) {
          throw new Mismatch("float result has another use");
        }
        locs.add(p.location());
        Target t = new Target(q, y, qmin, qmax, Location.fuse(locs));
        Value result = switch (p.op()) {
          case Conv c -> conv(p, c, t);
          case MatMul m -> matmul(p, m, t);
          case Gemm g -> gemm(p, g, t);
          case Add a -> add(p, t);
          case Mul m -> mul(p, t);
          case GlobalAveragePool g -> globalAveragePool(p, t);
          case DequantizeLinear d -> requantize(p.operand(0), perTensor(p, "input"), t);
          case MaxPool m -> move(p, t);
          case Reshape r -> move(p, t);
          case Transpose r -> move(p, t);
          case Concat c -> concat(p, t);
          default -> null;
        };
        if (result == null) {
          return false;
        }
        if (result.nameHint() == null) {
          result.setNameHint(q.result().nameHint());
        }
        Rewrites.replaceBy(q, result, rw);
        return true;
      } catch (Mismatch m) {
        return rw.fail(q, m.getMessage());
      }
    }
  }

  private static Value emit(Target t, Op op, List<Value> operands) {
    return Builder.before(t.root).value(op, operands, t.loc);
  }

  private static Value constantBefore(Target t, Tensor value, String hint) {
    return Fusion.newConstant(t.root, value, hint, t.loc);
  }

  /** The i32 bias dequantized by {@code DQ(bias)}, checked against {@code x_scale * w_scale}. */
  private static Tensor bias(Value v, double xScale, double[] wScales, long channels) {
    Node d = dequantized(v, "bias");
    Tensor b = constant(d.operand(0), "bias");
    if (b.elementType() != ElementType.I32 || b.type().rank() != 1 || b.size() != channels) {
      throw new Mismatch("bias is not an i32 vector of " + channels + " values");
    }
    Tensor s = constant(d.operand(1), "bias scale");
    for (long zi : zeroPoints(d, (int) s.size(), "bias")) {
      if (zi != 0) {
        throw new Mismatch("bias zero point is not 0");
      }
    }
    if (s.size() != 1 && s.size() != channels) {
      throw new Mismatch("bias scale is neither per-tensor nor per-channel");
    }
    for (int m = 0; m < channels; m++) {
      double want = xScale * wScales[wScales.length == 1 ? 0 : m];
      double got = s.getDouble(s.size() == 1 ? 0 : m);
      if (Math.abs(got - want) > 1e-6 * want) {
        throw new Mismatch("bias scale is not x_scale * w_scale");
      }
    }
    return b;
  }

  private static List<List<Long>> factors(double xScale, double[] wScales, double yScale) {
    List<Long> mults = new ArrayList<>();
    List<Long> shifts = new ArrayList<>();
    for (double ws : wScales) {
      Requantization.Factor f = factor((xScale * ws) / yScale);
      mults.add(f.multiplier());
      shifts.add(f.shift());
    }
    return List.of(mults, shifts);
  }

  private static Value conv(Node p, Conv c, Target t) {
    if (c.activation() != Activation.NONE || p.numOperands() > 3) {
      throw new Mismatch("convolution already has an epilogue");
    }
    Node dx = dequantized(p.operand(0), "input");
    Params x = perTensor(dx, "input");
    Weights w = weights(p.operand(1), 0, "weight");
    long channels = w.values.shape().sizes()[0];
    if (w.scales.length != 1 && w.scales.length != channels) {
      throw new Mismatch("weight scales are not per output channel");
    }
    List<Value> operands = new ArrayList<>(List.of(dx.operand(0), weightValue(p.operand(1))));
    if (p.numOperands() > 2) {
      bias(p.operand(2), x.scale, w.scales, channels);
      operands.add(dequantized(p.operand(2), "bias").operand(0));
    }
    List<List<Long>> f = factors(x.scale, w.scales, t.y.scale);
    QConv op = QConv.of(
      c,
      x.zeroPoint,
      w.zeroPoint,
      t.y.zeroPoint,
      f.get(0),
      f.get(1),
      t.qmin,
      t.qmax,
      t.y.type
    );
    return emit(t, op, operands);
  }

  private static Value weightValue(Value dequantizedWeight) {
    return dequantizedWeight.definingNode().operand(0);
  }

  private static Value matmul(Node p, MatMul m, Target t) {
    if (m.activation() != Activation.NONE || p.numOperands() > 2) {
      throw new Mismatch("matmul already has an epilogue");
    }
    return product(p, t, false, null);
  }

  private static Value gemm(Node p, Gemm g, Target t) {
    if (g.activation() != Activation.NONE || g.alpha() != 1 || g.transA()) {
      throw new Mismatch("gemm has alpha != 1, transA or an epilogue");
    }
    if (p.numOperands() > 2 && g.beta() != 1) {
      throw new Mismatch("gemm has beta != 1");
    }
    if (p.operand(0).type().rank() != 2) {
      throw new Mismatch("gemm input is not 2-D");
    }
    return product(p, t, g.transB(), p.numOperands() > 2 ? p.operand(2) : null);
  }

  private static Value product(Node p, Target t, boolean transB, Value biasValue) {
    Node da = dequantized(p.operand(0), "input");
    Params a = perTensor(da, "input");
    if (p.operand(0).type().rank() < 2 || p.operand(1).type().rank() != 2) {
      throw new Mismatch("product is not [..., M, K] x [K, N]");
    }
    Weights w = weights(p.operand(1), transB ? 0 : 1, "weight");
    Value b = weightValue(p.operand(1));
    long n = w.values.shape().sizes()[transB ? 0 : 1];
    if (w.scales.length != 1 && w.scales.length != n) {
      throw new Mismatch("weight scales are not per output column");
    }
    if (transB) {
      Tensor wt = new Transpose(List.of(1L, 0L))
        .evaluate(Op.EvalContext.NO_REGIONS, List.of(w.values))
        .getFirst();
      b = constantBefore(t, wt, "weight_t");
    }
    List<Value> operands = new ArrayList<>(List.of(da.operand(0), b));
    if (biasValue != null) {
      bias(biasValue, a.scale, w.scales, n);
      operands.add(dequantized(biasValue, "bias").operand(0));
    }
    List<List<Long>> f = factors(a.scale, w.scales, t.y.scale);
    QMatMul op = new QMatMul(
      a.zeroPoint,
      w.zeroPoint,
      t.y.zeroPoint,
      f.get(0),
      f.get(1),
      t.qmin,
      t.qmax,
      t.y.type
    );
    return emit(t, op, operands);
  }

  private static Value add(Node p, Target t) {
    Node da = dequantized(p.operand(0), "a");
    Node db = dequantized(p.operand(1), "b");
    Params a = perTensor(da, "a");
    Params b = perTensor(db, "b");
    double ra = a.scale / t.y.scale;
    double rb = b.scale / t.y.scale;
    Requantization.Factor f = factor(Math.max(ra, rb));
    long ma = Math.round(Math.scalb(ra, (int) (31 + f.shift())));
    long mb = Math.round(Math.scalb(rb, (int) (31 + f.shift())));
    QAdd op = new QAdd(
      a.zeroPoint,
      b.zeroPoint,
      t.y.zeroPoint,
      ma,
      mb,
      f.shift(),
      t.qmin,
      t.qmax,
      t.y.type
    );
    return emit(t, op, List.of(da.operand(0), db.operand(0)));
  }

  private static Value mul(Node p, Target t) {
    Node da = dequantized(p.operand(0), "a");
    Node db = dequantized(p.operand(1), "b");
    Params a = perTensor(da, "a");
    Params b = perTensor(db, "b");
    Requantization.Factor f = factor((a.scale * b.scale) / t.y.scale);
    QMul op = new QMul(
      a.zeroPoint,
      b.zeroPoint,
      t.y.zeroPoint,
      f.multiplier(),
      f.shift(),
      t.qmin,
      t.qmax,
      t.y.type
    );
    return emit(t, op, List.of(da.operand(0), db.operand(0)));
  }

  private static Value globalAveragePool(Node p, Target t) {
    Node dx = dequantized(p.operand(0), "input");
    Params x = perTensor(dx, "input");
    Shape s = p.operand(0).type().shape();
    long count = 1;
    for (int i = 2; i < s.rank(); i++) {
      if (!s.dim(i).isKnown()) {
        throw new Mismatch("spatial extents are not static");
      }
      count *= s.dim(i).size();
    }
    Requantization.Factor f = factor(x.scale / (t.y.scale * count));
    QGlobalAveragePool op = new QGlobalAveragePool(
      x.zeroPoint,
      t.y.zeroPoint,
      f.multiplier(),
      f.shift(),
      t.qmin,
      t.qmax,
      t.y.type
    );
    return emit(t, op, List.of(dx.operand(0)));
  }

  /**
   * {@code x} (quantized with {@code from}) moved to the output parameters and range of {@code t}:
   * {@code x} itself when nothing changes, else a {@code q.requantize}.
   */
  private static Value requantize(Value x, Params from, Target t) {
    if (from.equals(t.y) && t.fullRange()) {
      return x;
    }
    Requantization.Factor f = factor(from.scale / t.y.scale);
    QRequantize op = new QRequantize(
      from.zeroPoint,
      t.y.zeroPoint,
      f.multiplier(),
      f.shift(),
      t.qmin,
      t.qmax,
      t.y.type
    );
    return emit(t, op, List.of(x));
  }

  private static boolean isMovement(Op op) {
    return op instanceof MaxPool || op instanceof Reshape || op instanceof Transpose;
  }

  /**
   * A chain of single-input data-movement ops (each result used once) ending in {@code p}, run on
   * the integers of the {@code DQ} that starts it, then a requantization where needed.
   */
  private static Value move(Node p, Target t) {
    List<Node> chain = new ArrayList<>(List.of(p));
    Value v = p.operand(0);
    while (v.definingNode() instanceof Node d && isMovement(d.op())) {
      if (!Fusion.singleUse(v)) {
        throw new Mismatch("data movement result has another use");
      }
      chain.addFirst(d);
      v = d.operand(0);
    }
    Node dx = dequantized(v, "input");
    Params x = perTensor(dx, "input");
    Value moved = dx.operand(0);
    for (Node n : chain) {
      moved = emit(t, n.op(), List.of(moved));
    }
    return requantize(moved, x, t);
  }

  private static Value concat(Node p, Target t) {
    List<Params> inputs = new ArrayList<>();
    Target exact = new Target(
      t.root,
      t.y,
      Requantization.min(t.y.type),
      Requantization.max(t.y.type),
      t.loc
    );
    for (int i = 0; i < p.numOperands(); i++) {
      Node d = dequantized(p.operand(i), "input " + i);
      inputs.add(perTensor(d, "input " + i));
    }
    List<Value> ints = new ArrayList<>();
    for (int i = 0; i < p.numOperands(); i++) {
      Node d = p.operand(i).definingNode();
      ints.add(requantize(d.operand(0), inputs.get(i), exact));
    }
    Value joined = emit(t, p.op(), ints);
    return requantize(joined, t.y, t);
  }
}
