package dev.kiln.pass;

import dev.kiln.ir.Builder;
import dev.kiln.ir.Dim;
import dev.kiln.ir.Module;
import dev.kiln.ir.Node;
import dev.kiln.ir.OpResult;
import dev.kiln.ir.Rewriter;
import dev.kiln.ir.Shape;
import dev.kiln.ir.Tensor;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Use;
import dev.kiln.ir.Value;
import dev.kiln.ir.op.ChannelLayout;
import dev.kiln.ir.op.Layout;
import dev.kiln.ir.op.LayoutAware;
import dev.kiln.ir.op.Reshape;
import dev.kiln.ir.op.Transpose;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * {@code convert-layout}: switches convolution, pooling and batch normalization from NCHW to NHWC
 * (channels last) and moves the transposes this takes down the graph until they cancel, so that a
 * CNN keeps one transpose after each graph input that feeds it and one before each output.
 *
 * <ol>
 *   <li>Every {@link ChannelLayout} op in NCHW whose input has a spatial axis becomes its NHWC form
 *       between {@code transpose(x, [0, 2, .., r-1, 1])} of each layout operand and {@code
 *       transpose(y, [0, r-1, 1, .., r-2])} of the result ({@code SwitchToChannelsLast}).
 *   <li>Transposes sink, greedily, until none moves: through every {@link LayoutAware} op whose
 *       layout operands are transposed alike or constant ({@code SinkTransposeThroughOp}; constants
 *       are transposed at compile time, operands of extent 1 everywhere stay), and through a
 *       reshape that only regroups axes the transpose keeps together ({@code
 *       SinkTransposeThroughReshape}); consecutive transposes compose and identities vanish (the
 *       {@code canonicalize} patterns). A transpose does not sink through a layout op that would
 *       go back to NCHW, unless its input and result have one channel (then both layouts order
 *       memory alike).
 *   <li>A transpose that moves only axes of extent 1 becomes a reshape, and reshape chains
 *       collapse ({@code ReplaceUnitTransposeWithReshape}).
 * </ol>
 *
 * <p>Weights keep their {@code [M, C/group, K...]} layout. Every rewrite is exact data movement,
 * so results are bit-identical; {@code -O3} runs the pass.
 *
 * <pre>
 * %a = nn.conv(%x, %w) : tensor&lt;1x8x6x6xf32&gt;     ==>   %0 = nn.transpose(%x) {perm = [0, 2, 3, 1]}
 * %r = nn.relu(%a)                                   %a = nn.conv(%0, %w) {layout = nhwc}
 * %p = nn.max_pool(%r) {kernel = [2, 2]}             %r = nn.relu(%a)
 * return %p                                          %p = nn.max_pool(%r) {kernel = [2, 2], layout = nhwc}
 *                                                    %1 = nn.transpose(%p) {perm = [0, 3, 1, 2]}
 *                                                    return %1
 * </pre>
 */
public final class ConvertLayout implements Pass {

  /** Upper bound on rewrites per function and phase; every rewrite moves a transpose down. */
  static final long MAX_REWRITES = 10_000_000;

  /** The layout convolutions and pools are switched to. */
  static final Layout TARGET = Layout.NHWC;

  @Override
  public String name() {
    return "convert-layout";
  }

  @Override
  public void run(Module module, PassContext ctx) {
    Rewriter rw = ctx.rewriter();
    new PatternDriver(List.of(new SwitchToChannelsLast()), MAX_REWRITES).run(module, rw);
    new PatternDriver(
      List.of(
        new Canonicalize.FoldIdentityTranspose(),
        new Canonicalize.ComposeTransposes(),
        new SinkTransposeThroughOp(),
        new SinkTransposeThroughReshape()
      ),
      MAX_REWRITES
    ).run(module, rw);
    new PatternDriver(
      List.of(
        new ReplaceUnitTransposeWithReshape(),
        new Canonicalize.ComposeReshapes(),
        new Canonicalize.FoldIdentityReshape()
      ),
      MAX_REWRITES
    ).run(module, rw);
  }

  /**
   * An NCHW layout op becomes the NHWC op between transposes.
   *
   * <pre>
   * %y = nn.max_pool(%x) {kernel = [2, 2]}   ==>   %t = nn.transpose(%x) {perm = [0, 2, 3, 1]}
   *                                                %y = nn.max_pool(%t) {kernel = [2, 2], layout = nhwc}
   *                                                %u = nn.transpose(%y) {perm = [0, 3, 1, 2]}
   * </pre>
   */
  static final class SwitchToChannelsLast implements Pattern {

    @Override
    public boolean matchAndRewrite(Node n, Rewriter rw) {
      if (!(n.op() instanceof ChannelLayout op) || op.layout() == TARGET) {
        return false;
      }
      int rank = n.operand(0).type().rank();
      if (rank < 3) {
        return rw.fail(n, "input has no spatial axis");
      }
      for (int i = 0; i < n.numOperands(); i++) {
        if (op.carriesLayout(i) && n.operand(i).type().rank() != rank) {
          return rw.fail(n, "an operand broadcasts into the layout");
        }
      }
      List<Long> perm = TARGET.toNchw(rank);
      LayoutAware.Permuted permuted = op.permuted(perm);
      if (permuted == null) {
        return rw.fail(n, "op has no NHWC form");
      }
      List<Value> operands = new ArrayList<>();
      for (int i = 0; i < n.numOperands(); i++) {
        Value v = n.operand(i);
        operands.add(op.carriesLayout(i) ? transposed(v, TARGET.fromNchw(rank), n) : v);
      }
      replace(n, permuted, operands, rw);
      return true;
    }
  }

  /**
   * A layout-aware op whose layout operands are transposed alike reads the transposes' operands;
   * the transpose moves to its result. Constant operands are transposed at compile time.
   *
   * <pre>
   * %t = nn.transpose(%x) {perm = [0, 3, 1, 2]}   ==>   %s = nn.add(%x, %c')
   * %s = nn.add(%t, %c)                                %u = nn.transpose(%s) {perm = [0, 3, 1, 2]}
   * </pre>
   */
  static final class SinkTransposeThroughOp implements Pattern {

    @Override
    public boolean matchAndRewrite(Node n, Rewriter rw) {
      if (!(n.op() instanceof LayoutAware op) || n.results().size() != 1) {
        return false;
      }
      List<Long> perm = null;
      for (int i = 0; i < n.numOperands(); i++) {
        if (op.carriesLayout(i) && transposeOf(n.operand(i)) instanceof Transpose(List<Long> p)) {
          if (perm != null && !perm.equals(p)) {
            return rw.fail(n, "operands are transposed differently");
          }
          perm = p;
        }
      }
      if (perm == null) {
        return false;
      }
      LayoutAware.Permuted permuted = op.permuted(perm);
      if (permuted == null) {
        return rw.fail(n, "op cannot read the permuted operands");
      }
      if (
        op instanceof ChannelLayout current &&
        permuted.op() instanceof ChannelLayout next &&
        next.layout() != TARGET &&
        !(singleChannel(n.operand(0), current.layout()) &&
          singleChannel(n.result(), current.layout()))
      ) {
        return rw.fail(n, "op would go back to " + next.layout());
      }
      List<Value> operands = new ArrayList<>();
      for (int i = 0; i < n.numOperands(); i++) {
        Value v = n.operand(i);
        if (!op.carriesLayout(i)) {
          operands.add(v);
          continue;
        }
        if (transposeOf(v) != null) {
          operands.add(v.definingNode().operand(0));
          continue;
        }
        Value moved = inverseTransposed(v, perm, n);
        if (moved == null) {
          return rw.fail(n, "an operand is neither transposed alike nor constant");
        }
        operands.add(moved);
      }
      replace(n, permuted, operands, rw);
      return true;
    }

    /**
     * {@code v} as an operand beside {@code transpose(x, perm)}: itself when all its extents are 1,
     * a new constant {@code c'} with {@code transpose(c', perm) == c} (after prepending unit axes)
     * when it is a constant, else null.
     */
    private static Value inverseTransposed(Value v, List<Long> perm, Node n) {
      TensorType t = v.type();
      if (t.rank() > perm.size()) {
        return null;
      }
      boolean units = true;
      for (var d : t.shape().dims()) {
        units &= d.isKnown() && d.size() == 1;
      }
      if (units) {
        return v;
      }
      Tensor c = Rewrites.constantValue(v);
      if (c == null) {
        return null;
      }
      List<Long> sizes = new ArrayList<>();
      for (int i = t.rank(); i < perm.size(); i++) {
        sizes.add(1L);
      }
      for (long s : c.shape().sizes()) {
        sizes.add(s);
      }
      Tensor full = Tensor.wrap(c.type().withShape(Shape.of(sizes)), c.bytes());
      Tensor moved = new Transpose(Layout.inverse(perm)).evaluate(null, List.of(full)).getFirst();
      String hint = v.nameHint();
      return Fusion.newConstant(
        n,
        moved,
        hint == null ? null : hint + "_t",
        v.definingNode().location()
      );
    }
  }

  /**
   * A reshape of a transpose becomes a transpose of a reshape when the reshape only merges and
   * splits groups of axes that the transpose keeps adjacent and in order (axes of extent 1 aside).
   *
   * <pre>
   * %t = nn.transpose(%x) {perm = [0, 3, 1, 2]} : tensor&lt;1x8x1x1xf32&gt;   ==>   %y = nn.reshape(%x) {shape = [1, 8]}
   * %y = nn.reshape(%t) {shape = [1, 8]}
   *
   * %t = nn.transpose(%x) {perm = [0, 3, 1, 2]} : tensor&lt;1x4x5x6xf32&gt;   ==>   %r = nn.reshape(%x) {shape = [1, 30, 4]}
   * %y = nn.reshape(%t) {shape = [1, 4, 30]}                                     %y = nn.transpose(%r) {perm = [0, 2, 1]}
   * </pre>
   */
  static final class SinkTransposeThroughReshape implements Pattern {

    @Override
    public boolean matchAndRewrite(Node n, Rewriter rw) {
      if (!(n.op() instanceof Reshape) || !(transposeOf(n.operand(0)) instanceof Transpose t)) {
        return false;
      }
      Value x = n.operand(0).definingNode().operand(0);
      Shape in = x.type().shape();
      Shape out = n.result().type().shape();
      if (!in.isStatic() || !out.isStatic()) {
        return rw.fail(n, "shape is not static");
      }
      Regrouped plan = Regrouped.of(in.sizes(), t.perm(), out.sizes());
      if (plan == null) {
        return rw.fail(n, "reshape mixes axes the transpose separates");
      }
      OpResult r = Builder.before(n).value(new Reshape(plan.shape()), List.of(x), n.location());
      r.setNameHint(n.result().nameHint());
      Value result = Canonicalize.isIdentity(plan.perm())
        ? r
        : Builder.before(n).value(new Transpose(plan.perm()), List.of(r), n.location());
      Rewrites.replaceBy(n, result, rw);
      return true;
    }
  }

  /**
   * {@code reshape(transpose(x, perm), out) == transpose(reshape(x, shape), perm)}: the plan of
   * {@link SinkTransposeThroughReshape}.
   */
  record Regrouped(List<Long> shape, List<Long> perm) {
    /** The plan, or null when the reshape merges axes the transpose does not keep adjacent. */
    static Regrouped of(long[] xs, List<Long> transposePerm, long[] out) {
      int rank = transposePerm.size();
      long[] ys = new long[rank];
      for (int i = 0; i < rank; i++) {
        ys[i] = xs[transposePerm.get(i).intValue()];
      }
      for (long s : xs) {
        if (s == 0) {
          return null;
        }
      }
      List<Integer> yAxes = nonUnit(ys);
      List<Integer> outAxes = nonUnit(out);
      List<List<Integer>> yGroups = new ArrayList<>();
      List<List<Integer>> outGroups = new ArrayList<>();
      int i = 0;
      int j = 0;
      while (i < yAxes.size() && j < outAxes.size()) {
        List<Integer> yg = new ArrayList<>(List.of(yAxes.get(i)));
        List<Integer> og = new ArrayList<>(List.of(outAxes.get(j)));
        long py = ys[yAxes.get(i++)];
        long po = out[outAxes.get(j++)];
        while (py != po) {
          if (py < po && i < yAxes.size()) {
            py = Math.multiplyExact(py, ys[yAxes.get(i)]);
            yg.add(yAxes.get(i++));
          } else if (po < py && j < outAxes.size()) {
            po = Math.multiplyExact(po, out[outAxes.get(j)]);
            og.add(outAxes.get(j++));
          } else {
            return null;
          }
        }
        yGroups.add(yg);
        outGroups.add(og);
      }
      if (i != yAxes.size() || j != outAxes.size()) {
        return null;
      }
      int[] position = new int[rank];
      int k = 0;
      for (int a = 0; a < rank; a++) {
        position[a] = xs[a] == 1 ? -1 : k++;
      }
      List<Integer> order = new ArrayList<>();
      for (int g = 0; g < yGroups.size(); g++) {
        List<Integer> yg = yGroups.get(g);
        for (int m = 1; m < yg.size(); m++) {
          int prev = position[transposePerm.get(yg.get(m - 1)).intValue()];
          if (position[transposePerm.get(yg.get(m)).intValue()] != prev + 1) {
            return null;
          }
        }
        order.add(g);
      }
      order.sort(
        Comparator.comparingInt(g ->
          position[transposePerm.get(yGroups.get(g).getFirst()).intValue()]
        )
      );
      List<Integer> sequence = new ArrayList<>();
      for (int g : order) {
        sequence.addAll(outGroups.get(g));
      }
      Long[] shape = new Long[out.length];
      Long[] perm = new Long[out.length];
      for (int a = 0; a < out.length; a++) {
        if (out[a] == 1) {
          shape[a] = 1L;
          perm[a] = (long) a;
        }
      }
      for (int m = 0; m < outAxes.size(); m++) {
        int at = outAxes.get(m);
        int axis = sequence.get(m);
        shape[at] = out[axis];
        perm[axis] = (long) at;
      }
      return new Regrouped(List.of(shape), List.of(perm));
    }

    private static List<Integer> nonUnit(long[] sizes) {
      List<Integer> axes = new ArrayList<>();
      for (int a = 0; a < sizes.length; a++) {
        if (sizes[a] != 1) {
          axes.add(a);
        }
      }
      return axes;
    }
  }

  /**
   * A transpose that keeps the order of the axes whose extent is not 1 moves no data: a reshape.
   *
   * <pre>
   * %y = nn.transpose(%x) {perm = [0, 3, 1, 2]} : tensor&lt;1x8x1x1xf32&gt;   ==>   %y = nn.reshape(%x) {shape = [1, 8, 1, 1]}
   * </pre>
   */
  static final class ReplaceUnitTransposeWithReshape implements Pattern {

    @Override
    public boolean matchAndRewrite(Node n, Rewriter rw) {
      if (!(n.op() instanceof Transpose(List<Long> perm))) {
        return false;
      }
      Shape in = n.operand(0).type().shape();
      if (!in.isStatic()) {
        return rw.fail(n, "shape is not static");
      }
      long last = -1;
      for (long p : perm) {
        if (in.dim((int) p).size() != 1) {
          if (p < last) {
            return rw.fail(n, "axes of extent above 1 change order");
          }
          last = p;
        }
      }
      List<Long> shape = new ArrayList<>();
      for (long s : n.result().type().shape().sizes()) {
        shape.add(s);
      }
      OpResult r = Builder.before(n).value(new Reshape(shape), List.of(n.operand(0)), n.location());
      r.setNameHint(n.result().nameHint());
      Rewrites.replaceBy(n, r, rw);
      return true;
    }
  }

  /** True when {@code v}, laid out in {@code layout}, has exactly one channel. */
  private static boolean singleChannel(Value v, Layout layout) {
    Dim c = v.type().shape().dim(layout.channelAxis(v.type().rank()));
    return c.isKnown() && c.size() == 1;
  }

  /** The transpose op defining {@code v}, or null. */
  private static Transpose transposeOf(Value v) {
    return v.definingNode() instanceof Node d && d.op() instanceof Transpose t ? t : null;
  }

  /** Replaces {@code n} by {@code permuted.op()} on {@code operands}, transposed back. */
  private static void replace(
    Node n,
    LayoutAware.Permuted permuted,
    List<Value> operands,
    Rewriter rw
  ) {
    Node m = Builder.before(n).create(permuted.op(), operands, n.location());
    m.result().setNameHint(n.result().nameHint());
    Value out = Canonicalize.isIdentity(permuted.resultPerm())
      ? m.result()
      : Builder.before(n).value(
        new Transpose(permuted.resultPerm()),
        List.of(m.result()),
        n.location()
      );
    Rewrites.replaceBy(n, out, rw);
  }

  /**
   * {@code transpose(v, perm)} available right before {@code user}: an existing transpose of
   * {@code v} earlier in {@code user}'s block, or a new one right before {@code user}.
   */
  private static Value transposed(Value v, List<Long> perm, Node user) {
    if (Canonicalize.isIdentity(perm)) {
      return v;
    }
    for (Use u : v.uses()) {
      Node t = u.user();
      if (
        t.op() instanceof Transpose(List<Long> p) &&
        p.equals(perm) &&
        t.parent() == user.parent() &&
        user.parent().nodes().indexOf(t) < user.parent().nodes().indexOf(user)
      ) {
        return t.result();
      }
    }
    return Builder.before(user).value(new Transpose(perm), List.of(v), user.location());
  }
}
