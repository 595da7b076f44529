package dev.kiln.ir.text;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.kiln.ir.Block;
import dev.kiln.ir.BlockArgument;
import dev.kiln.ir.Builder;
import dev.kiln.ir.Diagnostic;
import dev.kiln.ir.DiagnosticException;
import dev.kiln.ir.DiagnosticRenderer;
import dev.kiln.ir.Dim;
import dev.kiln.ir.ElementType;
import dev.kiln.ir.Func;
import dev.kiln.ir.Location;
import dev.kiln.ir.Module;
import dev.kiln.ir.Node;
import dev.kiln.ir.Region;
import dev.kiln.ir.Shape;
import dev.kiln.ir.Tensor;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Value;
import dev.kiln.ir.Verifier;
import dev.kiln.ir.op.Abs;
import dev.kiln.ir.op.Add;
import dev.kiln.ir.op.AveragePool;
import dev.kiln.ir.op.BatchNorm;
import dev.kiln.ir.op.Concat;
import dev.kiln.ir.op.Constant;
import dev.kiln.ir.op.Conv;
import dev.kiln.ir.op.Div;
import dev.kiln.ir.op.Exp;
import dev.kiln.ir.op.Gemm;
import dev.kiln.ir.op.GlobalAveragePool;
import dev.kiln.ir.op.If;
import dev.kiln.ir.op.Log;
import dev.kiln.ir.op.MatMul;
import dev.kiln.ir.op.Max;
import dev.kiln.ir.op.MaxPool;
import dev.kiln.ir.op.Min;
import dev.kiln.ir.op.Mul;
import dev.kiln.ir.op.Neg;
import dev.kiln.ir.op.Op;
import dev.kiln.ir.op.Pow;
import dev.kiln.ir.op.Relu;
import dev.kiln.ir.op.Reshape;
import dev.kiln.ir.op.Return;
import dev.kiln.ir.op.Sigmoid;
import dev.kiln.ir.op.Softmax;
import dev.kiln.ir.op.Sqrt;
import dev.kiln.ir.op.Sub;
import dev.kiln.ir.op.Tanh;
import dev.kiln.ir.op.Transpose;
import dev.kiln.ir.op.UnaryOp;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.function.Predicate;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Printing is a fixed point after one parse: for randomly generated well-typed modules {@code
 * print(parse(print(m))) == print(m)} under several print options, and both the generated and the
 * re-parsed module verify.
 *
 * <p>A module is generated from a seed, a function count and a step count (jqwik shrinks all
 * three). Each step picks an op and operands whose inference succeeds; a step whose op the {@link
 * Builder} still refuses is skipped, so every generated module is well typed by construction.
 */
class RoundTripPropertyTest {

  /**
   * Inputs that hit known printer bugs (see the disabled examples at the end) are not generated
   * while this is set: a large constant gets a name hint only when its sanitized hint is not yet a
   * value name in its function. Clear it once {@code Printer.hintFor} derives resource names from
   * the printed value name.
   */
  static final boolean AVOID_RESOURCE_HINT_BUG = false;

  /** Dimension names with a {@code >} cannot be lexed back (TENSOR_TYPE stops at the first one). */
  static final boolean AVOID_GT_IN_SYMBOLS = false;

  record Params(long seed, int funcs, int steps, int elideOver) {}

  @Provide
  Arbitrary<Params> modules() {
    return Combinators.combine(
      Arbitraries.longs(),
      Arbitraries.integers().between(1, 2),
      Arbitraries.integers().between(0, 24),
      Arbitraries.of(0, 1, 4, 16, 20, 40)
    ).as(Params::new);
  }

  @Property(tries = 200)
  void print_parse_print_is_a_fixed_point(@ForAll("modules") Params p) {
    Module m = new Generator(p.seed()).module(p.funcs(), p.steps());
    assertVerifies(m, "generated module", Printer.print(m, PrintOptions.DEFAULT));
    PrintOptions elide = PrintOptions.DEFAULT.withElideOver(p.elideOver());
    for (PrintOptions o : List.of(
      PrintOptions.DEFAULT,
      PrintOptions.DEFAULT.withDebugInfo(true),
      elide,
      elide.withDebugInfo(true)
    )) {
      assertRoundTrips(m, o);
    }
  }

  static void assertRoundTrips(Module m, PrintOptions o) {
    String once = Printer.print(m, o);
    Module back = parse(once, o);
    String twice = Printer.print(back, o);
    assertEquals(once, twice, "print(parse(print(m))) differs under " + o);
    assertVerifies(back, "re-parsed module under " + o, once);
  }

  static Module parse(String text, PrintOptions o) {
    try {
      return ModuleParser.parse(text, "rt.kir");
    } catch (DiagnosticException e) {
      String shown = new DiagnosticRenderer("rt.kir")
        .withSource("rt.kir", text)
        .render(e.diagnostics());
      return fail("printed text does not parse under " + o + ":\n" + shown + "\n" + text);
    }
  }

  static void assertVerifies(Module m, String what, String text) {
    List<Diagnostic> ds = Verifier.verify(m);
    assertTrue(ds.isEmpty(), () -> what + " does not verify: " + ds + "\n" + text);
  }

  // ---------------------------------------------------------------------------------------------
  // Generator

  static final List<ElementType> ELEMENT_TYPES = List.of(
    ElementType.F32,
    ElementType.F16,
    ElementType.BF16,
    ElementType.F64,
    ElementType.I32,
    ElementType.I64,
    ElementType.U8,
    ElementType.BOOL,
    ElementType.F8E4M3FN,
    ElementType.F8E5M2FNUZ,
    ElementType.F8E8M0,
    ElementType.F4E2M1,
    ElementType.I4,
    ElementType.U2
  );

  static final List<String> SYMBOLS = List.of(
    "N",
    "batch",
    "seq len",
    "h\"q",
    "a\\b",
    "ü",
    "x",
    "x3",
    "3",
    "",
    "tab\t",
    "a>b"
  );

  static final List<String> HINTS = List.of(
    "x",
    "w",
    "w",
    "conv1",
    "a b",
    "weird-name!",
    "名前",
    "1",
    "42",
    "007",
    "",
    "nan",
    "inf",
    "cst",
    "%",
    "$",
    "a.b",
    "x_1",
    "w_1",
    "v1",
    "_",
    "dup",
    "dup",
    "tensor",
    "func",
    "return",
    "resource",
    "elided",
    "with\"quote",
    "back\\slash",
    "new\nline",
    "🙂",
    "0x1F"
  );

  static final List<String> LOC_NAMES = List.of(
    "conv1",
    "with space",
    "q\"uote",
    "new\nline",
    "",
    "名前",
    "/model/layer.0/Conv"
  );

  static final List<String> FILES = List.of("model.onnx", "a b.kir", "dir/x\"y.kir", "");

  static final List<String> FUNC_NAMES = List.of(
    "main",
    "f",
    "g_2",
    "model.v1",
    "_x",
    "forward",
    "A1"
  );

  static final List<UnaryOp> UNARY = List.of(
    new Abs(),
    new Neg(),
    new Exp(),
    new Log(),
    new Sqrt(),
    new Relu(),
    new Sigmoid(),
    new Tanh()
  );

  static final List<Op> BINARY = List.of(
    new Add(),
    new Sub(),
    new Mul(),
    new Div(),
    new Pow(),
    new Max(),
    new Min()
  );

  /** Builds modules from a seed; the same seed always builds the same module. */
  static final class Generator {

    private final long seed;

    Generator(long seed) {
      this.seed = seed;
    }

    Module module(int funcs, int steps) {
      Random r = new Random(seed);
      List<String> names = new ArrayList<>(FUNC_NAMES);
      Collections.shuffle(names, r);
      Module m = new Module();
      for (int i = 0; i < funcs; i++) {
        m.add(func(names.get(i), r.nextLong(), steps));
      }
      return m;
    }

    /**
     * Builds the body twice from the same seed: once to learn the returned types, then into a
     * function that declares them (sometimes less precisely, which is still compatible).
     */
    private static Func func(String name, long fseed, int steps) {
      Func probe = new Func(name, List.of(), Location.UNKNOWN);
      List<TensorType> returned = new Body(probe, fseed).build(steps);
      Random r = new Random(~fseed);
      List<TensorType> declared = returned
        .stream()
        .map(t -> relax(t, r))
        .toList();
      Func f = new Func(name, declared, new Body(probe, ~fseed).location());
      List<TensorType> again = new Body(f, fseed).build(steps);
      assertEquals(returned, again, "generation is not deterministic");
      return f;
    }

    private static TensorType relax(TensorType t, Random r) {
      if (r.nextInt(3) != 0) {
        return t;
      }
      List<Dim> dims = new ArrayList<>();
      for (Dim d : t.shape().dims()) {
        dims.add(
          switch (r.nextInt(3)) {
            case 0 -> Dim.UNKNOWN;
            case 1 -> new Dim.Symbol("R");
            default -> d;
          }
        );
      }
      return t.withShape(new Shape(dims));
    }
  }

  /** Generates one function body; all choices come from one {@link Random}. */
  static final class Body {

    private final Func func;
    private final Random rnd;
    /** Sanitized hints of large constants, and of every other value, in this function. */
    private final Set<String> reserved = new HashSet<>();

    private final Set<String> otherNames = new HashSet<>();

    Body(Func func, long seed) {
      this.func = func;
      this.rnd = new Random(seed);
    }

    List<TensorType> build(int steps) {
      Block entry = func.entry();
      List<Value> pool = new ArrayList<>();
      int args = rnd.nextInt(5);
      for (int i = 0; i < args; i++) {
        pool.add(entry.addArgument(type(), null));
      }
      if (rnd.nextBoolean()) {
        pool.add(entry.addArgument(TensorType.of(ElementType.BOOL), null));
      }
      for (BlockArgument a : entry.arguments()) {
        hint(a);
      }
      Builder b = new Builder(entry);
      for (int i = 0; i < steps; i++) {
        step(b, pool, 0);
      }
      List<Value> results = new ArrayList<>();
      int n = pool.isEmpty() ? 0 : rnd.nextInt(Math.min(3, pool.size()) + 1);
      for (int i = 0; i < n; i++) {
        results.add(pick(pool));
      }
      b.create(new Return(), results, location());
      return results.stream().map(Value::type).toList();
    }

    // --- random primitives --------------------------------------------------------------------

    private <T> T oneOf(List<T> xs) {
      return xs.get(rnd.nextInt(xs.size()));
    }

    private boolean chance(int percent) {
      return rnd.nextInt(100) < percent;
    }

    private Value pick(List<Value> pool) {
      return pool.get(rnd.nextInt(pool.size()));
    }

    private Value pick(List<Value> pool, Predicate<Value> p) {
      List<Value> ok = pool.stream().filter(p).toList();
      return ok.isEmpty() ? null : ok.get(rnd.nextInt(ok.size()));
    }

    private static boolean isFloat(Value v) {
      return v.type().elementType().isFloat();
    }

    private static long known(Dim d, long otherwise) {
      return d.isKnown() ? d.size() : otherwise;
    }

    private List<Long> longs(int n, int lo, int hi) {
      List<Long> xs = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        xs.add((long) (lo + rnd.nextInt(hi - lo + 1)));
      }
      return xs;
    }

    private Dim dim() {
      int k = rnd.nextInt(10);
      if (k < 6) {
        return Dim.of(k == 0 ? 0 : 1 + rnd.nextInt(4));
      }
      if (k < 8) {
        String s = oneOf(SYMBOLS);
        return new Dim.Symbol(AVOID_GT_IN_SYMBOLS && s.contains(">") ? "N" : s);
      }
      return Dim.UNKNOWN;
    }

    TensorType type() {
      List<Dim> dims = new ArrayList<>();
      int rank = rnd.nextInt(5);
      for (int i = 0; i < rank; i++) {
        dims.add(dim());
      }
      return new TensorType(oneOf(ELEMENT_TYPES), new Shape(dims));
    }

    Location location() {
      return switch (rnd.nextInt(7)) {
        case 0 -> Location.UNKNOWN;
        case 1 -> Location.named(oneOf(LOC_NAMES));
        case 2 -> fileLine();
        case 3 -> new Location.Named(oneOf(LOC_NAMES), fileLine());
        case 4 -> Location.fuse(List.of(simpleLocation(), simpleLocation(), simpleLocation()));
        case 5 -> new Location.Named(
          oneOf(LOC_NAMES),
          Location.fuse(List.of(simpleLocation(), simpleLocation()))
        );
        default -> Location.fuse(List.of(fileLine(), Location.named(oneOf(LOC_NAMES))));
      };
    }

    private Location fileLine() {
      return new Location.FileLine(oneOf(FILES), rnd.nextInt(1000), rnd.nextInt(120));
    }

    private Location simpleLocation() {
      return switch (rnd.nextInt(4)) {
        case 0 -> Location.UNKNOWN;
        case 1 -> fileLine();
        case 2 -> new Location.Named(oneOf(LOC_NAMES), fileLine());
        default -> Location.named(oneOf(LOC_NAMES));
      };
    }

    /**
     * Gives {@code v} a random hint, or none. While {@link #AVOID_RESOURCE_HINT_BUG} is set, a
     * large constant's value name must equal its sanitized hint: its hint is unique in the function
     * and cannot be a deduplicated form of another ({@code w_1}), and no other value takes it.
     */
    private void hint(Value v) {
      if (chance(40)) {
        return;
      }
      String h = oneOf(HINTS);
      String s = Namer.sanitize(h);
      boolean large =
        v.definingNode() != null &&
        v.definingNode().op() instanceof Constant c &&
        c.value().size() > PrintOptions.DEFAULT.inlineLimit();
      if (AVOID_RESOURCE_HINT_BUG) {
        if (large) {
          if (h.isEmpty() || s.matches(".*_[0-9]+") || otherNames.contains(s) || !reserved.add(s)) {
            return;
          }
        } else if (reserved.contains(s)) {
          return;
        } else {
          otherNames.add(s);
        }
      }
      v.setNameHint(h);
    }

    // --- tensors -------------------------------------------------------------------------------

    private static final double[] SPECIAL_DOUBLES = {
      0.0,
      -0.0,
      1.0,
      -1.5,
      0.1,
      1e-3,
      Math.PI,
      65504.0,
      3.4028234663852886e38,
      -1e30,
      1e300,
      Double.MIN_VALUE,
      1.401298464324817e-45,
      Double.NaN,
      Double.POSITIVE_INFINITY,
      Double.NEGATIVE_INFINITY,
    };

    private static final long[] SPECIAL_LONGS = {
      0,
      1,
      -1,
      127,
      -128,
      255,
      256,
      Integer.MAX_VALUE,
      Integer.MIN_VALUE,
      Long.MAX_VALUE,
      Long.MIN_VALUE,
    };

    private double someDouble() {
      return chance(60)
        ? SPECIAL_DOUBLES[rnd.nextInt(SPECIAL_DOUBLES.length)]
        : rnd.nextGaussian() * 100;
    }

    private long someLong() {
      return chance(60) ? SPECIAL_LONGS[rnd.nextInt(SPECIAL_LONGS.length)] : rnd.nextLong();
    }

    /** A static shape: mostly small, sometimes large enough to go to the resources section. */
    private Shape staticShape() {
      if (chance(25)) {
        long a = 2 + rnd.nextInt(6);
        long b = 1 + (17 + rnd.nextInt(30)) / a;
        return chance(50) ? Shape.of(a, b) : Shape.of(b * a);
      }
      int rank = rnd.nextInt(4);
      long[] dims = new long[rank];
      for (int i = 0; i < rank; i++) {
        dims[i] = chance(8) ? 0 : 1 + rnd.nextInt(3);
      }
      return Shape.of(dims);
    }

    Tensor tensor(TensorType type) {
      Tensor.Builder b = new Tensor.Builder(type);
      ElementType e = type.elementType();
      int mode = rnd.nextInt(4);
      double d = someDouble();
      long l = someLong();
      for (long i = 0; i < b.size(); i++) {
        if (mode != 0) {
          d = mode == 3 ? i * 0.25 : someDouble();
          l = mode == 3 ? i : someLong();
        }
        if (e.isFloat()) {
          b.setDouble(i, d);
        } else if (e.isBool()) {
          b.setLong(i, l & 1);
        } else {
          b.setLong(i, l);
        }
      }
      return b.build();
    }

    private Value constant(Builder b, TensorType type) {
      Node n = b.create(new Constant(tensor(type)), List.of(), location());
      hint(n.result());
      return n.result();
    }

    private Value constant(Builder b, ElementType e, long... dims) {
      return constant(b, TensorType.of(e, dims));
    }

    // --- steps ---------------------------------------------------------------------------------

    void step(Builder b, List<Value> pool, int depth) {
      int kind = rnd.nextInt(pool.isEmpty() ? 1 : 17);
      try {
        Node n = switch (kind) {
          case 0 -> newConstant(b);
          case 1, 2 -> unary(b, pool);
          case 3, 4 -> binary(b, pool);
          case 5 -> transpose(b, pool);
          case 6 -> reshape(b, pool);
          case 7 -> concat(b, pool);
          case 8 -> softmax(b, pool);
          case 9 -> matmul(b, pool);
          case 10 -> gemm(b, pool);
          case 11 -> conv(b, pool);
          case 12 -> pool(b, pool);
          case 13 -> globalPool(b, pool);
          case 14 -> batchNorm(b, pool);
          case 15 -> depth < 2 ? ifNode(b, pool, depth) : null;
          default -> newConstant(b);
        };
        if (n != null) {
          for (Value r : n.results()) {
            if (!(n.op() instanceof Constant)) {
              hint(r);
            }
            pool.add(r);
          }
        }
      } catch (DiagnosticException e) {
        // The op refused these operands; the step is skipped (operand constants may remain).
      }
    }

    private Node newConstant(Builder b) {
      ElementType e = oneOf(ELEMENT_TYPES);
      Value v = constant(b, new TensorType(e, staticShape()));
      return v.definingNode();
    }

    private Node unary(Builder b, List<Value> pool) {
      Value x = pick(pool);
      ElementType e = x.type().elementType();
      List<UnaryOp> ok = UNARY.stream()
        .filter(u -> e.isFloat() || (u.acceptsIntegers() && e.isInteger()))
        .toList();
      if (ok.isEmpty()) {
        return null;
      }
      List<TensorType> declared = null;
      if (chance(20)) {
        declared = List.of(
          x
            .type()
            .withShape(
              new Shape(
                x
                  .type()
                  .shape()
                  .dims()
                  .stream()
                  .map(d -> chance(50) ? Dim.UNKNOWN : d)
                  .toList()
              )
            )
        );
      }
      return b.create(oneOf(ok), List.of(x), List.of(), declared, location());
    }

    private Node binary(Builder b, List<Value> pool) {
      Value a = pick(pool, v -> !v.type().elementType().isBool());
      if (a == null) {
        return null;
      }
      ElementType e = a.type().elementType();
      Value other;
      int how = rnd.nextInt(3);
      if (how == 0) {
        other = pick(pool, v -> v.type().elementType() == e);
      } else if (how == 1) {
        other = a;
      } else {
        List<Dim> dims = a.type().shape().dims();
        int keep = rnd.nextInt(dims.size() + 1);
        List<Long> sizes = new ArrayList<>();
        for (Dim d : dims.subList(dims.size() - keep, dims.size())) {
          sizes.add(d.isKnown() && chance(70) ? d.size() : 1L);
        }
        other = constant(b, TensorType.of(e, sizes.stream().mapToLong(Long::longValue).toArray()));
      }
      List<Value> operands = chance(50) ? List.of(a, other) : List.of(other, a);
      return b.create(oneOf(BINARY), operands, location());
    }

    private Node transpose(Builder b, List<Value> pool) {
      Value x = pick(pool);
      List<Long> perm = new ArrayList<>();
      for (long i = 0; i < x.type().rank(); i++) {
        perm.add(i);
      }
      Collections.shuffle(perm, rnd);
      return b.create(new Transpose(perm), List.of(x), location());
    }

    private Node reshape(Builder b, List<Value> pool) {
      Value x = pick(pool);
      List<Long> shape;
      var count = x.type().shape().numElements();
      if (count.isEmpty()) {
        shape = chance(50) ? List.of(-1L) : List.of(1L, -1L);
      } else {
        long n = count.get();
        List<Long> divisors = new ArrayList<>();
        for (long d = 1; d <= n; d++) {
          if (n % d == 0) {
            divisors.add(d);
          }
        }
        long d = divisors.isEmpty() ? 1 : oneOf(divisors);
        shape = switch (rnd.nextInt(5)) {
          case 0 -> n == 0 ? List.of(0L) : List.of(-1L);
          case 1 -> List.of(n);
          case 2 -> n == 0 ? List.of(0L, 3L) : List.of(d, n / d);
          case 3 -> n == 0 ? List.of(2L, 0L) : List.of(d, -1L);
          default -> n == 1 ? List.of() : List.of(1L, n, 1L);
        };
      }
      return b.create(new Reshape(shape), List.of(x), location());
    }

    private Node concat(Builder b, List<Value> pool) {
      Value a = pick(pool, v -> v.type().rank() >= 1);
      if (a == null) {
        return null;
      }
      int rank = a.type().rank();
      long axis = rnd.nextInt(2 * rank) - rank;
      int ax = (int) (axis < 0 ? axis + rank : axis);
      List<Value> operands = new ArrayList<>(List.of(a));
      int more = 1 + rnd.nextInt(2);
      for (int i = 0; i < more; i++) {
        if (chance(30)) {
          operands.add(a);
          continue;
        }
        long[] sizes = new long[rank];
        for (int d = 0; d < rank; d++) {
          sizes[d] = d == ax ? rnd.nextInt(4) : known(a.type().shape().dim(d), 1 + rnd.nextInt(3));
        }
        operands.add(constant(b, a.type().elementType(), sizes));
      }
      Collections.shuffle(operands, rnd);
      return b.create(new Concat(axis), operands, location());
    }

    private Node softmax(Builder b, List<Value> pool) {
      Value x = pick(pool, v -> isFloat(v) && v.type().rank() >= 1);
      if (x == null) {
        return null;
      }
      int rank = x.type().rank();
      long axis = rnd.nextInt(2 * rank) - rank;
      return b.create(new Softmax(axis), List.of(x), location());
    }

    private Node matmul(Builder b, List<Value> pool) {
      Value a = pick(pool, v -> !v.type().elementType().isBool() && v.type().rank() >= 1);
      if (a == null) {
        return null;
      }
      long k = known(a.type().shape().dims().getLast(), 1 + rnd.nextInt(3));
      long n = 1 + rnd.nextInt(3);
      ElementType e = a.type().elementType();
      Value other = switch (rnd.nextInt(3)) {
        case 0 -> constant(b, e, k);
        case 1 -> constant(b, e, k, n);
        default -> constant(b, e, 1, k, n);
      };
      return b.create(new MatMul(), List.of(a, other), location());
    }

    private Node gemm(Builder b, List<Value> pool) {
      Value a = pick(pool, v -> isFloat(v) && v.type().rank() == 2);
      if (a == null) {
        return null;
      }
      boolean transA = chance(50);
      boolean transB = chance(50);
      Dim md = a.type().shape().dim(transA ? 1 : 0);
      long k = known(a.type().shape().dim(transA ? 0 : 1), 2);
      long n = 1 + rnd.nextInt(4);
      ElementType e = a.type().elementType();
      List<Value> operands = new ArrayList<>(
        List.of(a, transB ? constant(b, e, n, k) : constant(b, e, k, n))
      );
      switch (rnd.nextInt(4)) {
        case 0 -> operands.add(constant(b, e, n));
        case 1 -> operands.add(constant(b, e, 1, n));
        case 2 -> operands.add(constant(b, e, known(md, 1), 1));
        default -> {}
      }
      double[] scales = { 1.0, 0.5, -2.0, 1e-3, 0.0 };
      Gemm op = new Gemm(
        scales[rnd.nextInt(scales.length)],
        scales[rnd.nextInt(scales.length)],
        transA,
        transB
      );
      return b.create(op, operands, location());
    }

    /** A float NCHW-like input: an existing value of rank 3 or 4, or a new constant. */
    private Value spatialInput(Builder b, List<Value> pool, boolean floatOnly) {
      Value x = pick(
        pool,
        v ->
          (isFloat(v) || (!floatOnly && v.type().elementType().isInteger())) &&
          v.type().rank() >= 3 &&
          v.type().rank() <= 4
      );
      if (x != null && chance(80)) {
        return x;
      }
      ElementType e = floatOnly
        ? oneOf(List.of(ElementType.F32, ElementType.F16))
        : ElementType.F32;
      return chance(50)
        ? constant(b, e, 1, 1 + rnd.nextInt(3), 2 + rnd.nextInt(4))
        : constant(b, e, 1, 1 + rnd.nextInt(2), 2 + rnd.nextInt(3), 2 + rnd.nextInt(3));
    }

    private Node conv(Builder b, List<Value> pool) {
      Value x = spatialInput(b, pool, true);
      TensorType t = x.type();
      int k = t.rank() - 2;
      long c = known(t.shape().dim(1), 1 + rnd.nextInt(3));
      if (c == 0) {
        return null;
      }
      List<Long> groups = new ArrayList<>();
      for (long g = 1; g <= c; g++) {
        if (c % g == 0) {
          groups.add(g);
        }
      }
      long group = oneOf(groups);
      long m = group * (1 + rnd.nextInt(2));
      List<Long> pads = chance(50) ? List.of() : longs(2 * k, 0, 1);
      List<Long> strides = chance(50) ? List.of() : longs(k, 1, 2);
      List<Long> dilations = chance(70) ? List.of() : longs(k, 1, 2);
      long[] w = new long[k + 2];
      w[0] = m;
      w[1] = c / group;
      for (int i = 0; i < k; i++) {
        long in = known(t.shape().dim(i + 2), 1);
        w[i + 2] = 1 + rnd.nextInt((int) Math.max(1, Math.min(3, in)));
      }
      List<Value> operands = new ArrayList<>(List.of(x, constant(b, t.elementType(), w)));
      if (chance(50)) {
        operands.add(constant(b, t.elementType(), m));
      }
      return b.create(new Conv(strides, pads, dilations, group), operands, location());
    }

    private Node pool(Builder b, List<Value> pool) {
      Value x = spatialInput(b, pool, false);
      int k = x.type().rank() - 2;
      List<Long> kernel = longs(k, 1, 2);
      List<Long> strides = chance(50) ? List.of() : longs(k, 1, 2);
      List<Long> pads = chance(50) ? List.of() : longs(2 * k, 0, 1);
      List<Long> dilations = chance(80) ? List.of() : longs(k, 1, 2);
      boolean ceil = chance(30);
      Op op = chance(50)
        ? new MaxPool(kernel, strides, pads, dilations, ceil)
        : new AveragePool(kernel, strides, pads, dilations, ceil, chance(50));
      return b.create(op, List.of(x), location());
    }

    private Node globalPool(Builder b, List<Value> pool) {
      return b.create(new GlobalAveragePool(), List.of(spatialInput(b, pool, true)), location());
    }

    private Node batchNorm(Builder b, List<Value> pool) {
      Value x = pick(pool, v -> isFloat(v) && v.type().rank() >= 2);
      if (x == null) {
        return null;
      }
      long c = known(x.type().shape().dim(1), 1 + rnd.nextInt(3));
      List<Value> operands = new ArrayList<>(List.of(x));
      for (int i = 0; i < 4; i++) {
        operands.add(constant(b, x.type().elementType(), c));
      }
      double[] eps = { 1e-5, 1e-3, 0.0, 0.1, 2.5e-7 };
      return b.create(new BatchNorm(eps[rnd.nextInt(eps.length)]), operands, location());
    }

    private Node ifNode(Builder b, List<Value> pool, int depth) {
      Value cond = pick(
        pool,
        v -> v.type().elementType().isBool() && v.type().shape().numElements().orElse(1L) == 1
      );
      if (cond == null || chance(30)) {
        cond = constant(b, TensorType.of(ElementType.BOOL));
      }
      List<Value> templates = new ArrayList<>();
      int results = rnd.nextInt(3);
      for (int i = 0; i < results; i++) {
        templates.add(pick(pool));
      }
      Region then = branch(pool, templates, depth);
      Region otherwise = branch(pool, templates, depth);
      return b.create(new If(), List.of(cond), List.of(then, otherwise), null, location());
    }

    /** A region that runs a few steps and returns, per template, a value of its kind and rank. */
    private Region branch(List<Value> outer, List<Value> templates, int depth) {
      Region r = new Region();
      Builder b = new Builder(r.block());
      List<Value> pool = new ArrayList<>(outer);
      int steps = rnd.nextInt(4);
      for (int i = 0; i < steps; i++) {
        step(b, pool, depth + 1);
      }
      List<Value> results = new ArrayList<>();
      for (Value t : templates) {
        results.add(
          pick(
            pool,
            v ->
              v.type().elementType() == t.type().elementType() && v.type().rank() == t.type().rank()
          )
        );
      }
      b.create(new Return(), results, location());
      return r;
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Examples

  /** Many name hints that collide or sanitize to the same text, including all-digit ones. */
  @Example
  void odd_and_duplicate_hints_round_trip() {
    TensorType t = TensorType.of(ElementType.F32, 2);
    Func f = new Func("f", List.of(t), Location.UNKNOWN);
    Builder b = new Builder(f.entry());
    Value x = f.entry().addArgument(t, "1");
    for (String h : List.of(
      "1",
      "v1",
      "v1_1",
      "a b",
      "a_b",
      "a-b",
      "",
      "%",
      "_",
      "__1",
      "x.y",
      "$",
      "名",
      "5"
    )) {
      Node n = b.create(new Relu(), List.of(x), Location.UNKNOWN);
      n.result().setNameHint(h);
      x = n.result();
    }
    b.create(new Return(), List.of(x), Location.UNKNOWN);
    Module m = new Module();
    m.add(f);
    String text = Printer.print(m);
    assertFalse(text.contains("%1 "), "an all-digit hint must not print as a number:\n" + text);
    assertRoundTrips(m, PrintOptions.DEFAULT);
    assertRoundTrips(m, PrintOptions.DEFAULT.withDebugInfo(true));
  }

  /** Large and special constants: resources, NaN, infinities, signed zero, extreme integers. */
  @Example
  void special_constants_round_trip() {
    Func f = new Func("f", List.of(), Location.named("f"));
    Builder b = new Builder(f.entry());
    double[] special = {
      Double.NaN,
      Double.POSITIVE_INFINITY,
      Double.NEGATIVE_INFINITY,
      -0.0,
      0.0,
      1e-45,
      3.0e38,
    };
    for (ElementType e : List.of(
      ElementType.F32,
      ElementType.F16,
      ElementType.BF16,
      ElementType.F64
    )) {
      b.create(
        new Constant(Tensor.ofDoubles(TensorType.of(e, special.length), special)),
        List.of(),
        Location.UNKNOWN
      );
      double[] big = new double[40];
      for (int i = 0; i < big.length; i++) {
        big[i] = special[i % special.length] + (i % special.length == 4 ? i : 0);
      }
      Node n = b.create(
        new Constant(Tensor.ofDoubles(TensorType.of(e, 8, 5), big)),
        List.of(),
        Location.UNKNOWN
      );
      n.result().setNameHint("big " + e);
      b.create(
        new Constant(Tensor.splat(TensorType.of(e, 100), Double.NaN)),
        List.of(),
        Location.UNKNOWN
      );
    }
    b.create(
      new Constant(
        Tensor.ofLongs(TensorType.of(ElementType.I64, 3), Long.MIN_VALUE, Long.MAX_VALUE, -1)
      ),
      List.of(),
      Location.UNKNOWN
    );
    b.create(
      new Constant(Tensor.ofLongs(TensorType.of(ElementType.U8, 3), 0, 255, 128)),
      List.of(),
      Location.UNKNOWN
    );
    b.create(
      new Constant(Tensor.ofLongs(TensorType.of(ElementType.U64, 2), -1, 1)),
      List.of(),
      Location.UNKNOWN
    );
    b.create(
      new Constant(Tensor.ofLongs(TensorType.of(ElementType.BOOL, 2, 2), 1, 0, 0, 1)),
      List.of(),
      Location.UNKNOWN
    );
    b.create(
      new Constant(Tensor.ofLongs(TensorType.of(ElementType.I32, 0, 3))),
      List.of(),
      Location.UNKNOWN
    );
    b.create(
      new Constant(Tensor.ofLongs(TensorType.of(ElementType.I32, 3, 0))),
      List.of(),
      Location.UNKNOWN
    );
    b.create(new Return(), List.of(), Location.UNKNOWN);
    Module m = new Module();
    m.add(f);
    for (long over : List.of(-1L, 0L, 10L, 50L)) {
      assertRoundTrips(m, PrintOptions.DEFAULT.withElideOver(over));
      assertRoundTrips(m, PrintOptions.DEFAULT.withElideOver(over).withDebugInfo(true));
    }
  }

  /** The same large tensor referenced by two constants is printed once. */
  @Example
  void shared_tensor_is_one_resource() {
    TensorType t = TensorType.of(ElementType.F32, 20);
    double[] v = new double[20];
    for (int i = 0; i < v.length; i++) {
      v[i] = i;
    }
    Tensor shared = Tensor.ofDoubles(t, v);
    Func f = new Func("f", List.of(t, t), Location.UNKNOWN);
    Builder b = new Builder(f.entry());
    Node a = b.create(new Constant(shared), List.of(), Location.UNKNOWN);
    a.result().setNameHint("w");
    Node c = b.create(new Constant(shared), List.of(), Location.UNKNOWN);
    c.result().setNameHint("w2");
    b.create(new Return(), List.of(a.result(), c.result()), Location.UNKNOWN);
    Module m = new Module();
    m.add(f);
    String text = Printer.print(m);
    assertEquals(1, text.split("= \"0x", -1).length - 1, text);
    assertRoundTrips(m, PrintOptions.DEFAULT);
    assertRoundTrips(m, PrintOptions.DEFAULT.withElideOver(4));
  }

  private static Module oneConstant(Tensor t, String hint, String argHint) {
    Func f = new Func("f", List.of(t.type()), Location.UNKNOWN);
    if (argHint != null) {
      f.entry().addArgument(TensorType.of(ElementType.F32), argHint);
    }
    Builder b = new Builder(f.entry());
    Node n = b.create(new Constant(t), List.of(), Location.UNKNOWN);
    n.result().setNameHint(hint);
    b.create(new Return(), List.of(n.result()), Location.UNKNOWN);
    Module m = new Module();
    m.add(f);
    return m;
  }

  private static Tensor iota(int n) {
    double[] v = new double[n];
    for (int i = 0; i < n; i++) {
      v[i] = i;
    }
    return Tensor.ofDoubles(TensorType.of(ElementType.F32, n), v);
  }

  /** Resource names that are float keywords must be quoted. */
  @Example
  void resource_named_like_a_float_keyword() {
    for (String hint : List.of("nan", "inf")) {
      assertRoundTrips(oneConstant(iota(20), hint, null), PrintOptions.DEFAULT);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Known bugs, kept as disabled regression tests (see the report that came with these tests)

  @Example
  void resource_of_a_constant_whose_hint_was_deduplicated() {
    assertRoundTrips(oneConstant(iota(20), "w", "w"), PrintOptions.DEFAULT);
  }

  @Example
  void resource_of_a_constant_with_an_empty_hint() {
    assertRoundTrips(oneConstant(iota(20), "", null), PrintOptions.DEFAULT);
  }

  @Example
  void dimension_name_with_greater_than() {
    TensorType t = new TensorType(ElementType.F32, new Shape(List.of(new Dim.Symbol("a>b"))));
    Func f = new Func("f", List.of(t), Location.UNKNOWN);
    Value x = f.entry().addArgument(t, "x");
    new Builder(f.entry()).create(new Return(), List.of(x), Location.UNKNOWN);
    Module m = new Module();
    m.add(f);
    assertRoundTrips(m, PrintOptions.DEFAULT);
  }

  @Example
  void nan_payloads_survive_a_round_trip() {
    byte[] bytes = { 0, 0, (byte) 0xc0, 0x7f, 1, 0, (byte) 0xc0, 0x7f };
    Tensor t = Tensor.ofBytes(TensorType.of(ElementType.F32, 2), bytes);
    assertRoundTrips(oneConstant(t, "n", null), PrintOptions.DEFAULT);
  }
}
