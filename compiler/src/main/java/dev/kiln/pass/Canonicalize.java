package dev.kiln.pass;

import dev.kiln.ir.Dim;
import dev.kiln.ir.ElementType;
import dev.kiln.ir.Node;
import dev.kiln.ir.Rewriter;
import dev.kiln.ir.Shape;
import dev.kiln.ir.Tensor;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Value;
import dev.kiln.ir.op.Add;
import dev.kiln.ir.op.Cast;
import dev.kiln.ir.op.Clip;
import dev.kiln.ir.op.Concat;
import dev.kiln.ir.op.Div;
import dev.kiln.ir.op.Expand;
import dev.kiln.ir.op.Mul;
import dev.kiln.ir.op.Neg;
import dev.kiln.ir.op.Pad;
import dev.kiln.ir.op.Reshape;
import dev.kiln.ir.op.Slice;
import dev.kiln.ir.op.Sub;
import dev.kiln.ir.op.Tile;
import dev.kiln.ir.op.Transpose;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code canonicalize}: removes ops that compute nothing and puts chains into one canonical form,
 * applying the patterns below greedily until none applies. Every pattern keeps the element type and
 * the shape of the value it replaces; an identity that would only hold for some values of an
 * unknown dimension is left alone. ONNX {@code Identity} and {@code Dropout} never reach the IR
 * (the importer forwards their input), and {@code Flatten}, {@code Squeeze} and {@code Unsqueeze}
 * import as {@code nn.reshape}, so reshape patterns cover them.
 *
 * <pre>
 * %a = nn.reshape(%x) {shape = [6]}           ==>   %c = nn.transpose(%x) {perm = [1, 0]}
 * %b = nn.reshape(%a) {shape = [2, 3]}              return %c
 * %t = nn.transpose(%b) {perm = [1, 0]}
 * %u = nn.transpose(%t) {perm = [1, 0]}
 * %c = nn.transpose(%u) {perm = [1, 0]}
 * return %c                                   (with %x : tensor&lt;2x3xf32&gt;)
 * </pre>
 */
public final class Canonicalize implements Pass {

  /** Upper bound on rewrites per function; each pattern shrinks or simplifies the graph. */
  static final long MAX_REWRITES = 10_000_000;

  @Override
  public String name() {
    return "canonicalize";
  }

  /** The patterns, in the order they are tried on each node. */
  static List<Pattern> patterns() {
    return List.of(
      new FoldIdentityReshape(),
      new ComposeReshapes(),
      new FoldIdentityTranspose(),
      new ComposeTransposes(),
      new FoldIdentityCast(),
      new FoldZeroPad(),
      new FoldFullSlice(),
      new FoldNoOpExpand(),
      new FoldNoOpTile(),
      new FoldSingleConcat(),
      new FoldUnboundedClip(),
      new FoldMulByOne(),
      new FoldAddZero(),
      new FoldSubZero(),
      new FoldDivByOne(),
      new FoldDoubleNegation()
    );
  }

  @Override
  public void run(dev.kiln.ir.Module module, PassContext ctx) {
    new PatternDriver(patterns(), MAX_REWRITES).run(module, ctx.rewriter());
  }

  /**
   * A reshape to the shape its operand already has. Each entry of {@code shape} must equal the
   * known operand dimension at its position, except one {@code -1}, which then takes the remaining
   * (equal) extent.
   *
   * <pre>
   * %y = nn.reshape(%x) {shape = [-1, 4]} : tensor&lt;"n"x4xf32&gt;   ==>   %x
   * </pre>
   */
  static final class FoldIdentityReshape implements Pattern {

    @Override
    public boolean matchAndRewrite(Node n, Rewriter rw) {
      if (!(n.op() instanceof Reshape(List<Long> shape))) {
        return false;
      }
      Value x = n.operand(0);
      Shape in = x.type().shape();
      if (shape.size() != in.rank()) {
        return rw.fail(n, "rank changes");
      }
      long others = 1;
      for (int i = 0; i < shape.size(); i++) {
        long s = shape.get(i);
        if (s == -1) {
          continue;
        }
        Dim d = in.dim(i);
        if (!d.isKnown() || d.size() != s) {
          return rw.fail(n, "shape changes");
        }
        others *= s;
      }
      if (others == 0 && shape.contains(-1L)) {
        return rw.fail(n, "-1 next to a zero extent");
      }
      Rewrites.replaceBy(n, x, rw);
      return true;
    }
  }

  /**
   * A reshape of a reshape reads the original operand: reshaping depends only on the row-major
   * element order, which reshapes keep. Flatten, squeeze and unsqueeze chains collapse this way.
   *
   * <pre>
   * %a = nn.reshape(%x) {shape = [1, 6]}          ==>   %b = nn.reshape(%x) {shape = [3, 2]}
   * %b = nn.reshape(%a) {shape = [3, 2]}
   * </pre>
   */
  static final class ComposeReshapes implements Pattern {

    @Override
    public boolean matchAndRewrite(Node n, Rewriter rw) {
      if (!(n.op() instanceof Reshape)) {
        return false;
      }
      Node inner = n.operand(0).definingNode();
      if (inner == null || !(inner.op() instanceof Reshape)) {
        return rw.fail(n, "operand is not a reshape");
      }
      rw.setOperand(n, 0, inner.operand(0));
      Rewrites.eraseDeadProducers(List.of(inner.result()), rw);
      return true;
    }
  }

  /**
   * A transpose whose permutation is the identity.
   *
   * <pre>
   * %y = nn.transpose(%x) {perm = [0, 1, 2]}   ==>   %x
   * </pre>
   */
  static final class FoldIdentityTranspose implements Pattern {

    @Override
    public boolean matchAndRewrite(Node n, Rewriter rw) {
      if (!(n.op() instanceof Transpose(List<Long> perm))) {
        return false;
      }
      if (!isIdentity(perm)) {
        return rw.fail(n, "permutation moves an axis");
      }
      Rewrites.replaceBy(n, n.operand(0), rw);
      return true;
    }
  }

  /**
   * Two transposes in a row become one: output axis {@code i} of the second is input axis {@code
   * p1[p2[i]]} of the first.
   *
   * <pre>
   * %a = nn.transpose(%x) {perm = [0, 2, 3, 1]}     ==>   %b = nn.transpose(%x) {perm = [0, 3, 1, 2]}
   * %b = nn.transpose(%a) {perm = [0, 2, 3, 1]}
   * </pre>
   */
  static final class ComposeTransposes implements Pattern {

    @Override
    public boolean matchAndRewrite(Node n, Rewriter rw) {
      if (!(n.op() instanceof Transpose(List<Long> outer))) {
        return false;
      }
      Node inner = n.operand(0).definingNode();
      if (inner == null || !(inner.op() instanceof Transpose(List<Long> first))) {
        return rw.fail(n, "operand is not a transpose");
      }
      List<Long> composed = new ArrayList<>();
      for (long p : outer) {
        composed.add(first.get((int) p));
      }
      Value x = inner.operand(0);
      if (isIdentity(composed)) {
        Rewrites.replaceBy(n, x, rw);
        return true;
      }
      rw.setOperand(n, 0, x);
      rw.setOp(n, new Transpose(composed));
      Rewrites.eraseDeadProducers(List.of(inner.result()), rw);
      return true;
    }
  }

  /**
   * A cast to the element type the operand already has. Casts within a float8 type are kept: with
   * {@code saturate} they clamp infinities, so they are not the identity.
   *
   * <pre>
   * %y = nn.cast(%x) {to = f32} : tensor&lt;4xf32&gt;   ==>   %x    (%x : tensor&lt;4xf32&gt;)
   * </pre>
   */
  static final class FoldIdentityCast implements Pattern {

    @Override
    public boolean matchAndRewrite(Node n, Rewriter rw) {
      if (!(n.op() instanceof Cast c)) {
        return false;
      }
      ElementType from = n.operand(0).type().elementType();
      if (from != c.to()) {
        return rw.fail(n, "element type changes");
      }
      if (from.isLowPrecisionFloat()) {
        return rw.fail(n, "float8 casts may saturate");
      }
      Rewrites.replaceBy(n, n.operand(0), rw);
      return true;
    }
  }

  /**
   * A pad by zero on every side, whatever the mode.
   *
   * <pre>
   * %y = nn.pad(%x) {pads = [0, 0, 0, 0]}   ==>   %x
   * </pre>
   */
  static final class FoldZeroPad implements Pattern {

    @Override
    public boolean matchAndRewrite(Node n, Rewriter rw) {
      if (!(n.op() instanceof Pad p)) {
        return false;
      }
      for (long v : p.pads()) {
        if (v != 0) {
          return rw.fail(n, "pads are not all zero");
        }
      }
      Rewrites.replaceBy(n, n.operand(0), rw);
      return true;
    }
  }

  /**
   * A slice that takes every element of every sliced axis in order: step 1, a start at or before
   * the first element, an end at or after the last. On an axis of unknown extent only {@code start
   * = 0, end = INT64_MAX} qualifies.
   *
   * <pre>
   * %y = nn.slice(%x) {axes = [1], ends = [9223372036854775807], starts = [0], steps = [1]}   ==>   %x
   * </pre>
   */
  static final class FoldFullSlice implements Pattern {

    @Override
    public boolean matchAndRewrite(Node n, Rewriter rw) {
      if (!(n.op() instanceof Slice s)) {
        return false;
      }
      Shape in = n.operand(0).type().shape();
      for (int i = 0; i < s.axes().size(); i++) {
        long a = s.axes().get(i);
        Dim d = in.dim((int) (a < 0 ? a + in.rank() : a));
        long start = s.starts().get(i);
        long end = s.ends().get(i);
        if (s.steps().get(i) != 1) {
          return rw.fail(n, "step is not 1");
        }
        boolean full = d.isKnown()
          ? (start == 0 || start <= -d.size()) && end >= d.size()
          : start == 0 && end == Long.MAX_VALUE;
        if (!full) {
          return rw.fail(n, "range is not the whole axis");
        }
      }
      Rewrites.replaceBy(n, n.operand(0), rw);
      return true;
    }
  }

  /**
   * An expand whose target shape broadcasts into the operand's shape: each target entry is 1 or
   * equals the known operand dimension it lines up with, and the target has no more axes.
   *
   * <pre>
   * %y = nn.expand(%x) {shape = [1, 4]} : tensor&lt;3x4xf32&gt;   ==>   %x    (%x : tensor&lt;3x4xf32&gt;)
   * </pre>
   */
  static final class FoldNoOpExpand implements Pattern {

    @Override
    public boolean matchAndRewrite(Node n, Rewriter rw) {
      if (!(n.op() instanceof Expand(List<Long> shape))) {
        return false;
      }
      if (!Rewrites.broadcastsInto(Shape.of(shape), n.operand(0).type().shape())) {
        return rw.fail(n, "shape grows");
      }
      Rewrites.replaceBy(n, n.operand(0), rw);
      return true;
    }
  }

  /**
   * A tile that repeats every axis once.
   *
   * <pre>
   * %y = nn.tile(%x) {repeats = [1, 1]}   ==>   %x
   * </pre>
   */
  static final class FoldNoOpTile implements Pattern {

    @Override
    public boolean matchAndRewrite(Node n, Rewriter rw) {
      if (!(n.op() instanceof Tile(List<Long> repeats))) {
        return false;
      }
      for (long r : repeats) {
        if (r != 1) {
          return rw.fail(n, "an axis repeats");
        }
      }
      Rewrites.replaceBy(n, n.operand(0), rw);
      return true;
    }
  }

  /**
   * A concatenation of a single tensor.
   *
   * <pre>
   * %y = nn.concat(%x) {axis = 0}   ==>   %x
   * </pre>
   */
  static final class FoldSingleConcat implements Pattern {

    @Override
    public boolean matchAndRewrite(Node n, Rewriter rw) {
      if (!(n.op() instanceof Concat)) {
        return false;
      }
      if (n.numOperands() != 1) {
        return rw.fail(n, "more than one operand");
      }
      Rewrites.replaceBy(n, n.operand(0), rw);
      return true;
    }
  }

  /**
   * A clip with neither bound (both infinite), as exported for a Clip without min and max inputs.
   *
   * <pre>
   * %y = nn.clip(%x)   ==>   %x
   * </pre>
   */
  static final class FoldUnboundedClip implements Pattern {

    @Override
    public boolean matchAndRewrite(Node n, Rewriter rw) {
      if (!(n.op() instanceof Clip(double min, double max))) {
        return false;
      }
      if (min != Double.NEGATIVE_INFINITY || max != Double.POSITIVE_INFINITY) {
        return rw.fail(n, "a bound is finite");
      }
      Rewrites.replaceBy(n, n.operand(0), rw);
      return true;
    }
  }

  /**
   * Multiplication by a constant whose elements are all 1, on either side, when broadcasting the
   * constant does not enlarge the other operand.
   *
   * <pre>
   * %one = nn.constant {value = dense&lt;1.0&gt; : tensor&lt;4xf32&gt;}   ==>   %x
   * %y = nn.mul(%x, %one) : tensor&lt;3x4xf32&gt;
   * </pre>
   */
  static final class FoldMulByOne implements Pattern {

    @Override
    public boolean matchAndRewrite(Node n, Rewriter rw) {
      return n.op() instanceof Mul && foldNeutral(n, 1.0, true, rw);
    }
  }

  /**
   * Addition of a constant whose elements are all 0, on either side, when broadcasting the
   * constant does not enlarge the other operand. Under IEEE arithmetic {@code -0 + 0} is {@code
   * +0}; the fold keeps {@code -0}, which compares equal.
   *
   * <pre>
   * %zero = nn.constant {value = dense&lt;0.0&gt; : tensor&lt;f32&gt;}   ==>   %x
   * %y = nn.add(%zero, %x) : tensor&lt;3xf32&gt;
   * </pre>
   */
  static final class FoldAddZero implements Pattern {

    @Override
    public boolean matchAndRewrite(Node n, Rewriter rw) {
      return n.op() instanceof Add && foldNeutral(n, 0.0, true, rw);
    }
  }

  /**
   * Subtraction of a constant whose elements are all 0, when broadcasting it does not enlarge
   * {@code x}.
   *
   * <pre>
   * %zero = nn.constant {value = dense&lt;0&gt; : tensor&lt;i64&gt;}   ==>   %x
   * %y = nn.sub(%x, %zero) : tensor&lt;3xi64&gt;
   * </pre>
   */
  static final class FoldSubZero implements Pattern {

    @Override
    public boolean matchAndRewrite(Node n, Rewriter rw) {
      return n.op() instanceof Sub && foldNeutral(n, 0.0, false, rw);
    }
  }

  /**
   * Division by a constant whose elements are all 1, when broadcasting it does not enlarge {@code
   * x}.
   *
   * <pre>
   * %one = nn.constant {value = dense&lt;1.0&gt; : tensor&lt;f32&gt;}   ==>   %x
   * %y = nn.div(%x, %one) : tensor&lt;3xf32&gt;
   * </pre>
   */
  static final class FoldDivByOne implements Pattern {

    @Override
    public boolean matchAndRewrite(Node n, Rewriter rw) {
      return n.op() instanceof Div && foldNeutral(n, 1.0, false, rw);
    }
  }

  /**
   * A negation of a negation.
   *
   * <pre>
   * %a = nn.neg(%x)   ==>   %x
   * %b = nn.neg(%a)
   * </pre>
   */
  static final class FoldDoubleNegation implements Pattern {

    @Override
    public boolean matchAndRewrite(Node n, Rewriter rw) {
      if (!(n.op() instanceof Neg)) {
        return false;
      }
      Node inner = n.operand(0).definingNode();
      if (inner == null || !(inner.op() instanceof Neg)) {
        return rw.fail(n, "operand is not a negation");
      }
      Rewrites.replaceBy(n, inner.operand(0), rw);
      return true;
    }
  }

  /**
   * Replaces a binary node by its operand {@code x} when the other operand is a constant splat of
   * {@code neutral} ({@code x op c}, or also {@code c op x} when {@code commutes}) that broadcasts
   * into {@code x} without enlarging it.
   */
  private static boolean foldNeutral(Node n, double neutral, boolean commutes, Rewriter rw) {
    for (int side = 1; side >= (commutes ? 0 : 1); side--) {
      Tensor c = Rewrites.constantValue(n.operand(side));
      if (!Rewrites.isSplatOf(c, neutral)) {
        continue;
      }
      Value x = n.operand(1 - side);
      TensorType t = x.type();
      if (!Rewrites.broadcastsInto(c.shape(), t.shape())) {
        return rw.fail(n, "the constant broadcasts the other operand to a larger shape");
      }
      Rewrites.replaceBy(n, x, rw);
      return true;
    }
    return rw.fail(n, "no operand is a neutral constant");
  }

  static boolean isIdentity(List<Long> perm) {
    for (int i = 0; i < perm.size(); i++) {
      if (perm.get(i) != i) {
        return false;
      }
    }
    return true;
  }
}
