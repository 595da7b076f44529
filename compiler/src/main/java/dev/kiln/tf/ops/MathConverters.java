package dev.kiln.tf.ops;

import dev.kiln.ir.ElementType;
import dev.kiln.ir.Shape;
import dev.kiln.ir.Tensor;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Value;
import dev.kiln.ir.op.Abs;
import dev.kiln.ir.op.Add;
import dev.kiln.ir.op.And;
import dev.kiln.ir.op.ArgMax;
import dev.kiln.ir.op.ArgMin;
import dev.kiln.ir.op.Ceil;
import dev.kiln.ir.op.Cos;
import dev.kiln.ir.op.Div;
import dev.kiln.ir.op.Equal;
import dev.kiln.ir.op.Erf;
import dev.kiln.ir.op.Exp;
import dev.kiln.ir.op.Floor;
import dev.kiln.ir.op.Greater;
import dev.kiln.ir.op.GreaterOrEqual;
import dev.kiln.ir.op.Less;
import dev.kiln.ir.op.LessOrEqual;
import dev.kiln.ir.op.Log;
import dev.kiln.ir.op.Max;
import dev.kiln.ir.op.Min;
import dev.kiln.ir.op.Mod;
import dev.kiln.ir.op.Mul;
import dev.kiln.ir.op.Neg;
import dev.kiln.ir.op.Not;
import dev.kiln.ir.op.Op;
import dev.kiln.ir.op.Or;
import dev.kiln.ir.op.Pow;
import dev.kiln.ir.op.Reciprocal;
import dev.kiln.ir.op.ReduceMax;
import dev.kiln.ir.op.ReduceMean;
import dev.kiln.ir.op.ReduceMin;
import dev.kiln.ir.op.ReduceProd;
import dev.kiln.ir.op.ReduceSum;
import dev.kiln.ir.op.Round;
import dev.kiln.ir.op.Sign;
import dev.kiln.ir.op.Sin;
import dev.kiln.ir.op.Sqrt;
import dev.kiln.ir.op.Sub;
import dev.kiln.ir.op.Where;
import dev.kiln.tf.TfContext;
import dev.kiln.tf.TfConverter;
import dev.kiln.tf.TfError;
import dev.kiln.tf.TfNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeSet;
import java.util.function.BiFunction;
import java.util.function.Supplier;

/**
 * Elementwise arithmetic, comparisons, logic, reductions, casts and random sources. TensorFlow's
 * integer rules are spelled out: {@code FloorDiv} and {@code FloorMod} round toward negative
 * infinity, {@code TruncateDiv} and {@code TruncateMod} toward zero. Random ops draw from a
 * generator seeded by their {@code seed} and {@code seed2} attributes at compile time, so runs are
 * deterministic (a dropout fed {@code keep_prob = 1} is the identity whatever is drawn).
 */
final class MathConverters {

  private MathConverters() {}

  static void register(Map<String, TfConverter> r) {
    binary(r, "Add", Add::new);
    binary(r, "AddV2", Add::new);
    binary(r, "Sub", Sub::new);
    binary(r, "Mul", Mul::new);
    binary(r, "RealDiv", Div::new);
    binary(r, "Div", Div::new);
    binary(r, "TruncateDiv", Div::new);
    binary(r, "Maximum", Max::new);
    binary(r, "Minimum", Min::new);
    binary(r, "Pow", Pow::new);
    binary(r, "Equal", Equal::new);
    binary(r, "Less", Less::new);
    binary(r, "LessEqual", LessOrEqual::new);
    binary(r, "Greater", Greater::new);
    binary(r, "GreaterEqual", GreaterOrEqual::new);
    binary(r, "LogicalAnd", And::new);
    binary(r, "LogicalOr", Or::new);
    r.put("NotEqual", (n, c) ->
      List.of(c.emit(new Not(), c.emit(new Equal(), n.input(0), n.input(1))))
    );
    r.put("TruncateMod", (n, c) -> List.of(c.emit(new Mod(true), n.input(0), n.input(1))));
    r.put("FloorMod", (n, c) -> List.of(c.emit(new Mod(false), n.input(0), n.input(1))));
    r.put("FloorDiv", (n, c) -> List.of(floorDiv(c, n.input(0), n.input(1))));
    r.put("SquaredDifference", (n, c) -> {
      Value d = c.emit(new Sub(), n.input(0), n.input(1));
      return List.of(c.emit(new Mul(), d, d));
    });
    r.put("DivNoNan", (n, c) -> {
      Value zero = Tf.scalarLike(c, n.input(1), 0);
      Value q = c.emit(new Div(), n.input(0), n.input(1));
      return List.of(c.emit(new Where(), c.emit(new Equal(), n.input(1), zero), zero, q));
    });
    r.put("AddN", (n, c) -> {
      Value sum = n.input(0);
      for (int i = 1; i < n.numInputs(); i++) {
        sum = c.emit(new Add(), sum, n.input(i));
      }
      return List.of(sum);
    });
    unary(r, "Neg", Neg::new);
    unary(r, "Abs", Abs::new);
    unary(r, "Sqrt", Sqrt::new);
    unary(r, "Exp", Exp::new);
    unary(r, "Log", Log::new);
    unary(r, "Floor", Floor::new);
    unary(r, "Ceil", Ceil::new);
    unary(r, "Round", Round::new);
    unary(r, "Rint", Round::new);
    unary(r, "Sign", Sign::new);
    unary(r, "Sin", Sin::new);
    unary(r, "Cos", Cos::new);
    unary(r, "Erf", Erf::new);
    unary(r, "Reciprocal", Reciprocal::new);
    unary(r, "Inv", Reciprocal::new);
    unary(r, "LogicalNot", Not::new);
    r.put("Rsqrt", (n, c) -> List.of(c.emit(new Reciprocal(), c.emit(new Sqrt(), n.input(0)))));
    r.put("Square", (n, c) -> List.of(c.emit(new Mul(), n.input(0), n.input(0))));
    r.put("Log1p", (n, c) ->
      List.of(c.emit(new Log(), c.emit(new Add(), n.input(0), Tf.scalarLike(c, n.input(0), 1))))
    );
    r.put("Expm1", (n, c) ->
      List.of(c.emit(new Sub(), c.emit(new Exp(), n.input(0)), Tf.scalarLike(c, n.input(0), 1)))
    );
    r.put("ClipByValue", (n, c) ->
      List.of(c.emit(new Min(), c.emit(new Max(), n.input(0), n.input(1)), n.input(2)))
    );
    r.put("Select", MathConverters::select);
    r.put("SelectV2", (n, c) -> List.of(c.emit(new Where(), n.input(0), n.input(1), n.input(2))));
    r.put("Cast", (n, c) -> {
      ElementType to = n.type("DstT", ElementType.F32);
      return List.of(Tf.cast(c, n.input(0), to));
    });
    reduce(r, "Sum", ReduceSum::new);
    reduce(r, "Mean", ReduceMean::new);
    reduce(r, "Max", ReduceMax::new);
    reduce(r, "Min", ReduceMin::new);
    reduce(r, "Prod", ReduceProd::new);
    r.put("All", (n, c) -> List.of(logicalReduce(n, c, true)));
    r.put("Any", (n, c) -> List.of(logicalReduce(n, c, false)));
    r.put("ArgMax", (n, c) -> List.of(argReduce(n, c, true)));
    r.put("ArgMin", (n, c) -> List.of(argReduce(n, c, false)));
    r.put("RandomUniform", (n, c) -> List.of(random(n, c, "uniform")));
    r.put("RandomStandardNormal", (n, c) -> List.of(random(n, c, "normal")));
    r.put("TruncatedNormal", (n, c) -> List.of(random(n, c, "truncated")));
  }

  private static void binary(Map<String, TfConverter> r, String name, Supplier<Op> op) {
    r.put(name, (n, c) -> List.of(c.emit(op.get(), n.input(0), n.input(1))));
  }

  private static void unary(Map<String, TfConverter> r, String name, Supplier<Op> op) {
    r.put(name, (n, c) -> List.of(c.emit(op.get(), n.input(0))));
  }

  private static void reduce(
    Map<String, TfConverter> r,
    String name,
    BiFunction<List<Long>, Boolean, Op> op
  ) {
    r.put(name, (n, c) -> {
      Value x = n.input(0);
      List<Long> axes = axes(n, c, x);
      boolean keep = n.b("keep_dims", false);
      if (axes.isEmpty()) {
        return List.of(x);
      }
      return List.of(c.emit(op.apply(axes, keep), x));
    });
  }

  private static List<Long> axes(TfNode n, TfContext c, Value x) {
    TreeSet<Long> set = new TreeSet<>();
    for (long a : Tf.longs(c, n.input(1), "reduction_indices")) {
      set.add(Tf.axis(a, Tf.rank(x), "reduction axis"));
    }
    return new ArrayList<>(set);
  }

  private static Value logicalReduce(TfNode n, TfContext c, boolean all) {
    Value x = n.input(0);
    List<Long> axes = axes(n, c, x);
    if (axes.isEmpty()) {
      return x;
    }
    boolean keep = n.b("keep_dims", false);
    Value u = Tf.cast(c, x, ElementType.U8);
    Value red = c.emit(all ? new ReduceMin(axes, keep) : new ReduceMax(axes, keep), u);
    return Tf.cast(c, red, ElementType.BOOL);
  }

  private static Value argReduce(TfNode n, TfContext c, boolean max) {
    Value x = n.input(0);
    long axis = Tf.axis(Tf.scalar(c, n.input(1), "dimension"), Tf.rank(x), "dimension");
    Value y = c.emit(max ? new ArgMax(axis, false, false) : new ArgMin(axis, false, false), x);
    return Tf.cast(c, y, n.type("output_type", ElementType.I64));
  }

  static Value floorDiv(TfContext c, Value a, Value b) {
    if (a.type().elementType().isFloat()) {
      return c.emit(new Floor(), c.emit(new Div(), a, b));
    }
    Value r = c.emit(new Mod(false), a, b);
    return c.emit(new Div(), c.emit(new Sub(), a, r), b);
  }

  private static List<Value> select(TfNode n, TfContext c) {
    Value cond = n.input(0);
    Value t = n.input(1);
    if (Tf.rank(cond) == 1 && Tf.rank(t) > 1) {
      List<Long> shape = new ArrayList<>();
      shape.add(-1L);
      for (int i = 1; i < Tf.rank(t); i++) {
        shape.add(1L);
      }
      cond = Tf.reshape(c, cond, shape);
    }
    return List.of(c.emit(new Where(), cond, t, n.input(2)));
  }

  private static Value random(TfNode n, TfContext c, String kind) {
    List<Long> dims = Tf.longs(c, n.input(0), "shape");
    ElementType e = n.type("dtype", ElementType.F32);
    TfError.check(e.isFloat(), "dtype %s is not supported", e);
    TensorType type = new TensorType(e, Shape.of(dims));
    long count = type.shape().numElements().orElseThrow();
    TfError.check(count <= 1 << 24, "a random tensor of %d elements is too large", count);
    SplittableRandom rng = new SplittableRandom(
      n.i("seed", 0) * 0x9E3779B97F4A7C15L + n.i("seed2", 0)
    );
    Tensor.Builder b = new Tensor.Builder(type);
    for (long i = 0; i < count; i++) {
      double v;
      switch (kind) {
        case "uniform" -> v = rng.nextDouble();
        case "normal" -> v = gaussian(rng);
        default -> {
          do {
            v = gaussian(rng);
          } while (Math.abs(v) > 2);
        }
      }
      b.setDouble(i, v);
    }
    return c.constant(b.build());
  }

  private static double gaussian(SplittableRandom rng) {
    double u = 1 - rng.nextDouble();
    double v = rng.nextDouble();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }
}
