package dev.kiln.onnx.ops;

import static dev.kiln.onnx.ops.ElementwiseConverters.one;

import dev.kiln.ir.Dim;
import dev.kiln.ir.ElementType;
import dev.kiln.ir.Tensor;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Value;
import dev.kiln.ir.op.CumProd;
import dev.kiln.ir.op.CumSum;
import dev.kiln.ir.op.Gather;
import dev.kiln.ir.op.MatMul;
import dev.kiln.ir.op.Mul;
import dev.kiln.ir.op.ReduceSum;
import dev.kiln.ir.op.Reshape;
import dev.kiln.ir.op.TopK;
import dev.kiln.ir.op.Transpose;
import dev.kiln.onnx.ConverterRegistry;
import dev.kiln.onnx.ImportContext;
import dev.kiln.onnx.OnnxError;
import dev.kiln.onnx.OnnxNode;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.TreeSet;

/**
 * ONNX's running, selection and contraction operators: {@code CumSum} and {@code CumProd} (constant
 * axis), {@code TopK} (constant {@code K}), and {@code Einsum}, which is lowered to diagonal
 * gathers, transposes, reshapes, broadcast multiplication and sums.
 */
public final class AlgebraConverters {

  private AlgebraConverters() {}

  public static void register(ConverterRegistry r) {
    r.add("CumSum", 11, (n, c) ->
      one(c.emit(new CumSum(cumulativeAxis(n, c), exclusive(n), reverse(n)), n.input(0)))
    );
    r.add("CumProd", 26, (n, c) ->
      one(c.emit(new CumProd(cumulativeAxis(n, c), exclusive(n), reverse(n)), n.input(0)))
    );
    r.add("TopK", 1, (n, c) -> topK(n, c, n.getInt("k")));
    r.add("TopK", 10, (n, c) -> {
      Tensor k = c.requireConstant(n.input(1), "TopK K");
      OnnxError.check(k.size() == 1, "K must hold one element, got %d", k.size());
      return topK(n, c, k.getLong(0));
    });
    r.add("Einsum", 12, (n, c) -> one(Einsum.lower(c, n.getString("equation", null), n.inputs())));
  }

  private static boolean exclusive(OnnxNode n) {
    return n.getInt("exclusive", 0) != 0;
  }

  private static boolean reverse(OnnxNode n) {
    return n.getInt("reverse", 0) != 0;
  }

  private static long cumulativeAxis(OnnxNode n, ImportContext c) {
    Tensor axis = c.requireConstant(n.input(1), n.opType() + " axis");
    OnnxError.check(axis.size() == 1, "axis must hold one element, got %d", axis.size());
    return axis.getLong(0);
  }

  private static List<Value> topK(OnnxNode n, ImportContext c, long k) {
    TopK op = new TopK(
      k,
      n.getInt("axis", -1),
      n.getInt("largest", 1) != 0,
      n.getInt("sorted", 1) != 0
    );
    return c.emitAll(op, List.of(n.input(0)));
  }

  /** Lowering of an einsum equation; labels are letters, ellipsis dimensions get labels >= 256. */
  static final class Einsum {

    private static final int ELLIPSIS = 256;

    private Einsum() {}

    static Value lower(ImportContext c, String equation, List<Value> inputs) {
      OnnxError.check(equation != null, "attribute 'equation' is required");
      String eq = equation.replace(" ", "");
      int arrow = eq.indexOf("->");
      String lhs = arrow < 0 ? eq : eq.substring(0, arrow);
      String[] terms = lhs.split(",", -1);
      OnnxError.check(
        terms.length == inputs.size(),
        "equation '%s' names %d operands but there are %d inputs",
        equation,
        terms.length,
        inputs.size()
      );
      int ellipsisRank = 0;
      List<List<Integer>> labels = new ArrayList<>();
      for (int i = 0; i < terms.length; i++) {
        String t = terms[i];
        int dots = t.indexOf("...");
        String plain = t.replace("...", "");
        checkLetters(plain, equation);
        int rank = inputs.get(i).type().rank();
        int e = rank - plain.length();
        OnnxError.check(
          dots >= 0 ? e >= 0 : e == 0,
          "term '%s' of equation '%s' does not match operand %d of rank %d",
          t,
          equation,
          i,
          rank
        );
        OnnxError.check(
          dots < 0 || t.indexOf("...", dots + 3) < 0,
          "term '%s' of equation '%s' has more than one ellipsis",
          t,
          equation
        );
        ellipsisRank = Math.max(ellipsisRank, e);
      }
      for (int i = 0; i < terms.length; i++) {
        String t = terms[i];
        int rank = inputs.get(i).type().rank();
        List<Integer> l = new ArrayList<>();
        for (int p = 0; p < t.length(); p++) {
          if (t.startsWith("...", p)) {
            int e = rank - (t.length() - 3);
            for (int d = 0; d < e; d++) {
              l.add(ELLIPSIS + ellipsisRank - e + d);
            }
            p += 2;
          } else {
            l.add((int) t.charAt(p));
          }
        }
        labels.add(l);
      }
      List<Integer> out = new ArrayList<>();
      if (arrow >= 0) {
        String o = eq.substring(arrow + 2);
        checkLetters(o.replace("...", ""), equation);
        for (int p = 0; p < o.length(); p++) {
          if (o.startsWith("...", p)) {
            for (int d = 0; d < ellipsisRank; d++) {
              out.add(ELLIPSIS + d);
            }
            p += 2;
          } else {
            int label = o.charAt(p);
            OnnxError.check(
              !out.contains(label),
              "output label '%c' is repeated in '%s'",
              (char) label,
              equation
            );
            OnnxError.check(
              labels.stream().anyMatch(l -> l.contains(label)),
              "output label '%c' appears in no operand of '%s'",
              (char) label,
              equation
            );
            out.add(label);
          }
        }
      } else {
        for (int d = 0; d < ellipsisRank; d++) {
          out.add(ELLIPSIS + d);
        }
        TreeSet<Integer> once = new TreeSet<>();
        for (int label = 0; label < ELLIPSIS; label++) {
          int count = 0;
          for (List<Integer> l : labels) {
            for (int x : l) {
              count += x == label ? 1 : 0;
            }
          }
          if (count == 1) {
            once.add(label);
          }
        }
        out.addAll(once);
      }
      List<Value> values = new ArrayList<>();
      for (int i = 0; i < inputs.size(); i++) {
        List<Integer> l = new ArrayList<>(labels.get(i));
        Value v = diagonals(c, inputs.get(i), l);
        List<Long> sumAxes = new ArrayList<>();
        List<Integer> kept = new ArrayList<>();
        for (int p = 0; p < l.size(); p++) {
          int label = l.get(p);
          boolean elsewhere = out.contains(label);
          for (int j = 0; j < labels.size(); j++) {
            elsewhere |= j != i && labels.get(j).contains(label);
          }
          if (elsewhere) {
            kept.add(label);
          } else {
            sumAxes.add((long) p);
          }
        }
        if (!sumAxes.isEmpty()) {
          v = c.emit(new ReduceSum(sumAxes, false), v);
        }
        labels.set(i, kept);
        values.add(v);
      }
      Value acc = values.getFirst();
      List<Integer> accLabels = labels.getFirst();
      for (int i = 1; i < values.size(); i++) {
        List<Integer> keep = new ArrayList<>(out);
        for (int j = i + 1; j < labels.size(); j++) {
          keep.addAll(labels.get(j));
        }
        List<Integer> result = new ArrayList<>();
        acc = contract(c, acc, accLabels, values.get(i), labels.get(i), keep, result);
        accLabels = result;
      }
      return align(c, acc, accLabels, out, false);
    }

    /**
     * The product of {@code a} and {@code b} summed over the labels they share that {@code keep}
     * lacks; {@code result} receives the labels of the product: shared kept labels, then those of
     * {@code a} alone, then those of {@code b} alone. A batched {@code matmul} when the shapes are
     * static and shared extents agree, a broadcast multiplication and a sum otherwise.
     */
    private static Value contract(
      ImportContext c,
      Value a,
      List<Integer> la,
      Value b,
      List<Integer> lb,
      List<Integer> keep,
      List<Integer> result
    ) {
      List<Integer> batch = new ArrayList<>();
      List<Integer> summed = new ArrayList<>();
      List<Integer> left = new ArrayList<>();
      List<Integer> right = new ArrayList<>();
      boolean matmul = a.type().isStatic() && b.type().isStatic();
      for (int label : la) {
        if (lb.contains(label)) {
          (keep.contains(label) ? batch : summed).add(label);
          matmul = matmul && extent(a, la, label) == extent(b, lb, label);
        } else {
          left.add(label);
        }
      }
      for (int label : lb) {
        if (!la.contains(label)) {
          right.add(label);
        }
      }
      result.addAll(batch);
      result.addAll(left);
      result.addAll(right);
      if (!matmul) {
        List<Integer> order = new ArrayList<>(result);
        order.addAll(summed);
        Value product = c.emit(
          new Mul(),
          align(c, a, la, order, true),
          align(c, b, lb, order, true)
        );
        if (summed.isEmpty()) {
          return product;
        }
        List<Long> axes = new ArrayList<>();
        for (long i = result.size(); i < order.size(); i++) {
          axes.add(i);
        }
        return c.emit(new ReduceSum(axes, false), product);
      }
      List<Integer> orderA = new ArrayList<>(batch);
      orderA.addAll(left);
      orderA.addAll(summed);
      List<Integer> orderB = new ArrayList<>(batch);
      orderB.addAll(summed);
      orderB.addAll(right);
      long nb = extents(a, la, batch);
      long nk = extents(a, la, summed);
      Value ma = reshape(c, align(c, a, la, orderA, false), nb, extents(a, la, left), nk);
      Value mb = reshape(c, align(c, b, lb, orderB, false), nb, nk, extents(b, lb, right));
      Value product = c.emit(new MatMul(), ma, mb);
      long[] dims = new long[result.size()];
      for (int i = 0; i < dims.length; i++) {
        int label = result.get(i);
        dims[i] = la.contains(label) ? extent(a, la, label) : extent(b, lb, label);
      }
      return reshape(c, product, dims);
    }

    private static long extent(Value v, List<Integer> l, int label) {
      return v.type().shape().dim(l.indexOf(label)).size();
    }

    private static long extents(Value v, List<Integer> l, List<Integer> labels) {
      long n = 1;
      for (int label : labels) {
        n = Math.multiplyExact(n, extent(v, l, label));
      }
      return n;
    }

    private static Value reshape(ImportContext c, Value v, long... dims) {
      if (Arrays.equals(dims, v.type().shape().sizes())) {
        return v;
      }
      List<Long> target = new ArrayList<>();
      for (long d : dims) {
        target.add(d);
      }
      return c.emit(new Reshape(target), v);
    }

    private static void checkLetters(String s, String equation) {
      for (char ch : s.toCharArray()) {
        OnnxError.check(
          (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z'),
          "equation '%s' has the character '%c' where a letter, ',', '->' or '...' belongs",
          equation,
          ch
        );
      }
    }

    /** Replaces every repeated label of {@code l} by its diagonal, updating {@code l}. */
    private static Value diagonals(ImportContext c, Value v, List<Integer> l) {
      for (int q = 1; q < l.size(); q++) {
        int p = l.subList(0, q).indexOf(l.get(q));
        if (p < 0) {
          continue;
        }
        Dim dp = v.type().shape().dim(p);
        Dim dq = v.type().shape().dim(q);
        OnnxError.check(
          dp.isKnown() && dq.isKnown(),
          "a repeated einsum label needs known extents, got %s",
          v.type()
        );
        OnnxError.check(
          dp.size() == dq.size(),
          "repeated einsum label '%c' has extents %d and %d",
          (char) (int) l.get(p),
          dp.size(),
          dq.size()
        );
        long size = dp.size();
        int rank = l.size();
        List<Long> perm = new ArrayList<>();
        List<Integer> moved = new ArrayList<>();
        for (int d = 0; d < rank; d++) {
          if (d != p && d != q) {
            perm.add((long) d);
            moved.add(l.get(d));
          }
        }
        perm.add((long) p);
        perm.add((long) q);
        v = c.emit(new Transpose(perm), v);
        List<Dim> dims = new ArrayList<>(v.type().shape().dims().subList(0, rank - 2));
        dims.add(Dim.of(size * size));
        v = ShapeConverters.reshapeTo(c, v, dims);
        long[] idx = new long[Math.toIntExact(size)];
        for (int i = 0; i < idx.length; i++) {
          idx[i] = i * (size + 1);
        }
        Value indices = c.constant(Tensor.ofLongs(TensorType.of(ElementType.I64, size), idx));
        v = c.emit(new Gather(rank - 2), v, indices);
        moved.add(l.get(p));
        l.clear();
        l.addAll(moved);
        q = 0;
      }
      return v;
    }

    /**
     * {@code v} (labelled {@code l}) transposed into the relative order of {@code order}; with
     * {@code expand}, reshaped to the full rank of {@code order} with unit extents for the labels
     * it lacks.
     */
    private static Value align(
      ImportContext c,
      Value v,
      List<Integer> l,
      List<Integer> order,
      boolean expand
    ) {
      List<Integer> sorted = new ArrayList<>(l);
      sorted.sort((a, b) -> Integer.compare(order.indexOf(a), order.indexOf(b)));
      if (!sorted.equals(l)) {
        List<Long> perm = new ArrayList<>();
        for (int label : sorted) {
          perm.add((long) l.indexOf(label));
        }
        v = c.emit(new Transpose(perm), v);
      }
      if (expand && sorted.size() < order.size()) {
        List<Dim> dims = new ArrayList<>();
        for (int label : order) {
          int at = sorted.indexOf(label);
          dims.add(at < 0 ? Dim.of(1) : v.type().shape().dim(at));
        }
        v = ShapeConverters.reshapeTo(c, v, dims);
      }
      return v;
    }
  }
}
