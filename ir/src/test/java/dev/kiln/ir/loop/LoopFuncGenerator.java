package dev.kiln.ir.loop;

import dev.kiln.ir.Shape;
import dev.kiln.ir.Tensor;
import dev.kiln.ir.TensorType;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

/**
 * Random well-formed {@link LoopFunc}s from a seed: every buffer kind (parameters of rank 0 to 3,
 * constants printed inline or as hex, with NaN, infinities, signed zeros and integer extremes,
 * workspace at 64-byte offsets), every statement (nested {@code for} with schedules, {@code
 * while}, {@code if} with and without {@code else}, {@code let}, assignment, stores, kernel calls
 * with pointer, null, scalar and struct arguments) and every expression form over every scalar
 * type. Some names need quoting. An expression whose record refuses its operand types is replaced
 * by a constant, so the result is well typed by construction.
 */
final class LoopFuncGenerator {

  private static final Scalar[] SCALARS = Scalar.values();
  private static final String[] ODD_NAMES = { "a b", "x-1", "q\"t", "" + (char) 0x3bb };

  private final Random rnd;
  private final int maxStatements;
  private final List<Buffer> inputs = new ArrayList<>();
  private final List<Buffer> outputs = new ArrayList<>();
  private final List<Buffer> constants = new ArrayList<>();
  private final List<Buffer> workspace = new ArrayList<>();
  private final List<Buffer> declared = new ArrayList<>();
  private final List<List<Expr.Var>> scopes = new ArrayList<>();
  private int names;
  private int statements;

  private LoopFuncGenerator(long seed, int maxStatements) {
    this.rnd = new Random(seed);
    this.maxStatements = maxStatements;
  }

  /** The function of {@code seed} with at most {@code maxStatements} statements. */
  static LoopFunc generate(long seed, int maxStatements) {
    return new LoopFuncGenerator(seed, maxStatements).func();
  }

  private LoopFunc func() {
    int nIn = rnd.nextInt(4);
    for (int i = 0; i < nIn; i++) {
      inputs.add(param(Buffer.Kind.INPUT, i));
    }
    int nOut = 1 + rnd.nextInt(2);
    for (int i = 0; i < nOut; i++) {
      outputs.add(param(Buffer.Kind.OUTPUT, i));
    }
    int nConst = rnd.nextInt(4);
    for (int i = 0; i < nConst; i++) {
      constants.add(constant());
    }
    long offset = 0;
    int nWork = rnd.nextInt(3);
    for (int i = 0; i < nWork; i++) {
      Scalar s = scalar();
      long length = 1 + rnd.nextInt(40);
      workspace.add(Buffer.workspace(name("t"), s, length, offset));
      offset += ((length * s.bytes() + 63) / 64) * 64;
    }
    long workspaceBytes = offset + 64L * rnd.nextInt(3);
    Stream.of(inputs, outputs, constants, workspace).forEach(declared::addAll);
    List<Stmt> body = block(0);
    long threadScratch = rnd.nextBoolean() ? 64L * rnd.nextInt(4) : 0;
    return new LoopFunc(
      name("f"),
      inputs,
      outputs,
      constants,
      workspace,
      workspaceBytes,
      threadScratch,
      body
    );
  }

  private Buffer param(Buffer.Kind kind, int index) {
    long[] dims = new long[rnd.nextInt(4)];
    for (int i = 0; i < dims.length; i++) {
      dims[i] = 1 + rnd.nextInt(5);
    }
    String source = rnd.nextInt(5) == 0 ? "in \"put\"\n" + index : "t" + index;
    return Buffer.param(
      kind,
      name(kind == Buffer.Kind.INPUT ? "in" : "out"),
      scalar(),
      index,
      dims,
      source
    );
  }

  private Buffer constant() {
    Scalar s = scalar();
    int length = rnd.nextBoolean() ? 1 + rnd.nextInt(16) : 17 + rnd.nextInt(30);
    Tensor.Builder b = new Tensor.Builder(new TensorType(s.elementType(), Shape.of(length)));
    for (int i = 0; i < length; i++) {
      if (s.isFloat()) {
        b.setDouble(i, floatValue());
      } else {
        b.setLong(i, intValue(s));
      }
    }
    return Buffer.constant(name("c"), s, b.build());
  }

  private String name(String stem) {
    if (rnd.nextInt(12) == 0) {
      return ODD_NAMES[rnd.nextInt(ODD_NAMES.length)] + names++;
    }
    return stem + names++;
  }

  private Scalar scalar() {
    return SCALARS[rnd.nextInt(SCALARS.length)];
  }

  private double floatValue() {
    return switch (rnd.nextInt(10)) {
      case 0 -> Double.NaN;
      case 1 -> rnd.nextBoolean() ? Double.POSITIVE_INFINITY : Double.NEGATIVE_INFINITY;
      case 2 -> -0.0;
      case 3 -> rnd.nextDouble() * 1e-300;
      case 4 -> rnd.nextDouble() * 1e30;
      default -> Math.round(rnd.nextGaussian() * 1000) / 8.0;
    };
  }

  private long intValue(Scalar s) {
    if (s == Scalar.BOOL) {
      return rnd.nextInt(2);
    }
    long bits = s.bits();
    return switch (rnd.nextInt(5)) {
      case 0 -> s.isSigned() ? -(1L << (bits - 1)) : 0;
      case 1 -> s.isSigned() ? (1L << (bits - 1)) - 1 : bits == 64 ? -1 : (1L << bits) - 1;
      default -> rnd.nextInt(200) - (s.isSigned() ? 100 : 0);
    };
  }

  private List<Stmt> block(int depth) {
    scopes.add(new ArrayList<>());
    List<Stmt> body = new ArrayList<>();
    int n = rnd.nextInt(4);
    for (int i = 0; i < n && statements < maxStatements; i++) {
      statements++;
      body.add(stmt(depth));
    }
    scopes.removeLast();
    return body;
  }

  private Stmt stmt(int depth) {
    int pick = rnd.nextInt(depth >= 3 ? 4 : 8);
    return switch (pick) {
      case 0 -> store();
      case 1 -> let();
      case 2 -> {
        List<Expr.Var> vars = visible();
        if (vars.isEmpty()) {
          yield store();
        }
        Expr.Var v = vars.get(rnd.nextInt(vars.size()));
        yield new Stmt.Assign(v, expr(v.type(), 2));
      }
      case 3 -> call();
      case 4, 5 -> {
        Expr.Var index = new Expr.Var(name("i"), Scalar.I64);
        Expr lower = expr(Scalar.I64, 1);
        Expr upper = expr(Scalar.I64, 1);
        Schedule schedule = rnd.nextBoolean()
          ? Schedule.DEFAULT
          : new Schedule(rnd.nextInt(3) * 4, rnd.nextInt(3), rnd.nextBoolean());
        scopes.add(new ArrayList<>(List.of(index)));
        List<Stmt> body = block(depth + 1);
        scopes.removeLast();
        yield new Stmt.For(index, lower, upper, schedule, body);
      }
      case 6 -> new Stmt.While(expr(Scalar.BOOL, 2), block(depth + 1));
      default -> {
        Expr cond = expr(Scalar.BOOL, 2);
        List<Stmt> then = block(depth + 1);
        yield new Stmt.If(cond, then, rnd.nextBoolean() ? List.of() : block(depth + 1));
      }
    };
  }

  private Stmt store() {
    List<Buffer> writable = new ArrayList<>(outputs);
    writable.addAll(workspace);
    Buffer b = writable.get(rnd.nextInt(writable.size()));
    return new Stmt.Store(b, expr(Scalar.I64, 2), expr(b.elem(), 3));
  }

  private Stmt let() {
    Scalar t = scalar();
    Expr init = expr(t, 3);
    Expr.Var v = new Expr.Var(name("v"), t);
    scopes.getLast().add(v);
    return new Stmt.Let(v, init);
  }

  private Stmt call() {
    List<Stmt.Arg> args = new ArrayList<>();
    int n = rnd.nextInt(5);
    for (int i = 0; i < n; i++) {
      args.add(
        switch (rnd.nextInt(5)) {
          case 0 -> new Stmt.Null();
          case 4 -> new Stmt.Exec();
          case 1 -> new Stmt.Value(expr(scalar(), 2));
          case 2 -> {
            List<Expr> fields = new ArrayList<>();
            int k = rnd.nextInt(5);
            for (int j = 0; j < k; j++) {
              fields.add(expr(rnd.nextBoolean() ? Scalar.I32 : Scalar.F32, 1));
            }
            yield new Stmt.Struct(fields);
          }
          default -> {
            List<Buffer> all = declared;
            yield new Stmt.Pointer(all.get(rnd.nextInt(all.size())), expr(Scalar.I64, 1));
          }
        }
      );
    }
    return new Stmt.Call(rnd.nextInt(6) == 0 ? "kiln odd" : "kiln_kernel_" + rnd.nextInt(3), args);
  }

  private List<Expr.Var> visible() {
    List<Expr.Var> vars = new ArrayList<>();
    scopes.forEach(vars::addAll);
    return vars;
  }

  private Expr expr(Scalar t, int depth) {
    int pick = depth <= 0 ? rnd.nextInt(3) : rnd.nextInt(8);
    Expr e;
    try {
      e = switch (pick) {
        case 0 -> leafConstant(t);
        case 1 -> {
          List<Expr.Var> vars = visible()
            .stream()
            .filter(v -> v.type() == t)
            .toList();
          yield vars.isEmpty() ? leafConstant(t) : vars.get(rnd.nextInt(vars.size()));
        }
        case 2 -> {
          List<Buffer> of = declared
            .stream()
            .filter(b -> b.elem() == t)
            .toList();
          yield of.isEmpty()
            ? leafConstant(t)
            : new Expr.Load(of.get(rnd.nextInt(of.size())), expr(Scalar.I64, depth - 1));
        }
        case 3 -> {
          UnaryOp op = UnaryOp.values()[rnd.nextInt(UnaryOp.values().length)];
          Scalar operand = op.isPredicate() ? (rnd.nextBoolean() ? Scalar.F32 : Scalar.F64) : t;
          yield new Expr.Unary(op, expr(operand, depth - 1));
        }
        case 4 -> {
          BinaryOp op = BinaryOp.values()[rnd.nextInt(BinaryOp.values().length)];
          Scalar operand = op.isComparison() ? scalar() : t;
          yield new Expr.Binary(op, expr(operand, depth - 1), expr(operand, depth - 1));
        }
        case 5 -> new Expr.Select(
          expr(Scalar.BOOL, depth - 1),
          expr(t, depth - 1),
          expr(t, depth - 1)
        );
        default -> new Expr.Cast(t, expr(scalar(), depth - 1));
      };
    } catch (IllegalArgumentException refused) {
      return leafConstant(t);
    }
    return e.type() == t ? e : leafConstant(t);
  }

  private Expr leafConstant(Scalar t) {
    if (t == Scalar.BOOL) {
      return new Expr.IntConst(t, rnd.nextInt(2));
    }
    return t.isFloat() ? new Expr.FloatConst(t, floatValue()) : new Expr.IntConst(t, intValue(t));
  }
}
