package dev.kiln.backend.llvm;

import dev.kiln.ir.Shape;
import dev.kiln.ir.Tensor;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.loop.BinaryOp;
import dev.kiln.ir.loop.Buffer;
import dev.kiln.ir.loop.Ex;
import dev.kiln.ir.loop.Expr;
import dev.kiln.ir.loop.LoopFunc;
import dev.kiln.ir.loop.Scalar;
import dev.kiln.ir.loop.Schedule;
import dev.kiln.ir.loop.Stmt;
import dev.kiln.ir.loop.UnaryOp;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/** Hand-built Loop IR functions with inputs, for the code generator's tests. */
final class LoopCases {

  /** A function and inputs to run it on. */
  record Case(LoopFunc func, List<Tensor> inputs) {
    @Override
    public String toString() {
      return func.name();
    }
  }

  private LoopCases() {}

  /** Every case the loop interpreter can run (no kernel calls). */
  static List<Case> interpretable() {
    return List.of(elementwise(), math(), reduction(), control(), integers(), casts());
  }

  /** A builder of one function's buffers and inputs. */
  private static final class Fn {

    final String name;
    final List<Buffer> inputs = new ArrayList<>();
    final List<Buffer> outputs = new ArrayList<>();
    final List<Buffer> constants = new ArrayList<>();
    final List<Buffer> workspace = new ArrayList<>();
    final List<Tensor> values = new ArrayList<>();
    final List<Stmt> body = new ArrayList<>();
    long workspaceBytes;
    long threadScratch;

    Fn(String name) {
      this.name = name;
    }

    Buffer input(Scalar t, Tensor value) {
      Buffer b = Buffer.param(
        Buffer.Kind.INPUT,
        "in" + inputs.size(),
        t,
        inputs.size(),
        new long[] { value.size() },
        "in" + inputs.size()
      );
      inputs.add(b);
      values.add(value);
      return b;
    }

    Buffer inputDoubles(Scalar t, double... v) {
      return input(t, Tensor.ofDoubles(type(t, v.length), v));
    }

    Buffer inputLongs(Scalar t, long... v) {
      return input(t, Tensor.ofLongs(type(t, v.length), v));
    }

    Buffer output(Scalar t, long n) {
      Buffer b = Buffer.param(
        Buffer.Kind.OUTPUT,
        "out" + outputs.size(),
        t,
        outputs.size(),
        new long[] { n },
        "out" + outputs.size()
      );
      outputs.add(b);
      return b;
    }

    Buffer constant(Scalar t, double... v) {
      Buffer b = Buffer.constant("c" + constants.size(), t, Tensor.ofDoubles(type(t, v.length), v));
      constants.add(b);
      return b;
    }

    Buffer workspace(Scalar t, long n, long offset) {
      Buffer b = Buffer.workspace("w" + workspace.size(), t, n, offset);
      workspace.add(b);
      workspaceBytes = Math.max(workspaceBytes, offset + b.bytes());
      return b;
    }

    /** {@code out[i] = value(i)} for every element of a new output of {@code value}'s type. */
    void map(long n, Schedule s, java.util.function.Function<Expr, Expr> value) {
      Expr.Var i = index("i" + body.size());
      Expr probe = value.apply(i);
      Buffer out = output(probe.type(), n);
      body.add(loop(i, n, s, new Stmt.Store(out, i, probe)));
    }

    Case build() {
      return new Case(
        new LoopFunc(
          name,
          inputs,
          outputs,
          constants,
          workspace,
          workspaceBytes,
          threadScratch,
          body
        ),
        values
      );
    }
  }

  static TensorType type(Scalar t, long n) {
    return new TensorType(t.elementType(), Shape.of(n));
  }

  static Expr.Var index(String name) {
    return new Expr.Var(name, Scalar.I64);
  }

  static Stmt.For loop(Expr.Var i, long n, Schedule s, Stmt... body) {
    return new Stmt.For(i, Expr.i64(0), Expr.i64(n), s, List.of(body));
  }

  static Expr load(Buffer b, Expr i) {
    return new Expr.Load(b, i);
  }

  static Expr bin(BinaryOp op, Expr a, Expr b) {
    return new Expr.Binary(op, a, b);
  }

  static Expr un(UnaryOp op, Expr a) {
    return new Expr.Unary(op, a);
  }

  static Expr f32(double v) {
    return new Expr.FloatConst(Scalar.F32, v);
  }

  /** A plain {@link Expr.Cast}, or for the low-precision types {@link Ex#cast}'s expansion. */
  static Expr cast(Scalar t, Expr a) {
    return t.isLowPrecision() || a.type().isLowPrecision() ? Ex.cast(t, a) : new Expr.Cast(t, a);
  }

  static double[] ramp(int n, double from, double to) {
    double[] v = new double[n];
    for (int i = 0; i < n; i++) {
      v[i] = from + ((to - from) * i) / (n - 1);
    }
    return v;
  }

  /** Vectorized and plain float arithmetic, NaN-propagating MIN/MAX, a constant table. */
  static Case elementwise() {
    Fn f = new Fn("elementwise");
    double[] xs = ramp(1003, -50, 50);
    double[] ys = ramp(1003, 20, -13);
    xs[17] = Double.NaN;
    ys[400] = Double.NaN;
    xs[5] = -0.0;
    ys[5] = 0.0;
    Buffer x = f.inputDoubles(Scalar.F32, xs);
    Buffer y = f.inputDoubles(Scalar.F32, ys);
    Buffer c = f.constant(Scalar.F32, 1, -2, 3.25, 0.5, 1e-3, 7, -1e6);
    Schedule v8 = Schedule.vectorized(8);
    f.map(1003, v8, i -> bin(BinaryOp.ADD, bin(BinaryOp.MUL, load(x, i), f32(2.5)), load(y, i)));
    f.map(1003, v8, i -> bin(BinaryOp.MAX, load(x, i), load(y, i)));
    f.map(1003, Schedule.DEFAULT, i -> bin(BinaryOp.MIN, load(x, i), load(y, i)));
    f.map(1003, new Schedule(4, 2, true), i ->
      bin(BinaryOp.SUB, load(x, i), load(c, bin(BinaryOp.REM, i, Expr.i64(7))))
    );
    f.map(1003, v8, i -> bin(BinaryOp.DIV, load(x, i), load(y, i)));
    f.map(1003, Schedule.DEFAULT, i -> bin(BinaryOp.NE, load(x, i), load(y, i)));
    f.map(1003, Schedule.DEFAULT, i -> bin(BinaryOp.GE, load(x, i), load(y, i)));
    return f.build();
  }

  /** Every float unary operation and POW, ATAN2, REM on f32 and f64, and the predicates. */
  static Case math() {
    Fn f = new Fn("math");
    Buffer x = f.inputDoubles(Scalar.F32, ramp(61, -0.95, 0.95));
    Buffer y = f.inputDoubles(Scalar.F32, ramp(61, 2.5, -1.75));
    Buffer halves = f.inputDoubles(Scalar.F32, ramp(21, -5, 5));
    double inf = Double.POSITIVE_INFINITY;
    Buffer special = f.inputDoubles(Scalar.F32, Double.NaN, inf, -inf, 0, -0.0, 1, -1e30);
    for (Scalar t : List.of(Scalar.F32, Scalar.F64)) {
      for (UnaryOp op : UnaryOp.values()) {
        if (op.isPredicate() || op == UnaryOp.NOT) {
          continue;
        }
        f.map(61, Schedule.DEFAULT, i -> un(op, domain(op, cast(t, load(x, i)))));
      }
      for (UnaryOp op : List.of(UnaryOp.FLOOR, UnaryOp.CEIL, UnaryOp.ROUND, UnaryOp.TRUNC)) {
        f.map(21, Schedule.DEFAULT, i -> un(op, cast(t, load(halves, i))));
      }
      f.map(61, Schedule.DEFAULT, i -> {
        Expr base = bin(
          BinaryOp.ADD,
          un(UnaryOp.ABS, cast(t, load(x, i))),
          new Expr.FloatConst(t, 0.1)
        );
        return bin(BinaryOp.POW, base, cast(t, load(y, i)));
      });
      f.map(61, Schedule.DEFAULT, i ->
        bin(BinaryOp.ATAN2, cast(t, load(x, i)), cast(t, load(y, i)))
      );
      f.map(61, Schedule.DEFAULT, i ->
        bin(BinaryOp.REM, cast(t, load(y, i)), cast(t, bin(BinaryOp.MUL, load(x, i), f32(0.7))))
      );
      for (UnaryOp op : UnaryOp.values()) {
        if (op.isPredicate()) {
          f.map(7, Schedule.DEFAULT, i -> un(op, cast(t, load(special, i))));
        }
      }
    }
    return f.build();
  }

  /** {@code x} moved into the domain of {@code op}. */
  private static Expr domain(UnaryOp op, Expr x) {
    Scalar t = x.type();
    return switch (op) {
      case LOG -> bin(BinaryOp.ADD, un(UnaryOp.ABS, x), new Expr.FloatConst(t, 0.05));
      case SQRT -> un(UnaryOp.ABS, x);
      case ACOSH -> bin(
        BinaryOp.ADD,
        bin(BinaryOp.MUL, un(UnaryOp.ABS, x), new Expr.FloatConst(t, 3)),
        new Expr.FloatConst(t, 1)
      );
      case ASIN, ACOS, ATANH -> x;
      default -> bin(BinaryOp.MUL, x, new Expr.FloatConst(t, 3));
    };
  }

  /** Row sums and maxima with Let/Assign accumulators, unrolled inner loops. */
  static Case reduction() {
    Fn f = new Fn("reduction");
    int rows = 37;
    int cols = 53;
    double[] m = new double[rows * cols];
    for (int k = 0; k < m.length; k++) {
      m[k] = Math.sin(k * 0.37) * (1 + (k % 11));
    }
    Buffer x = f.inputDoubles(Scalar.F32, m);
    Buffer sum = f.output(Scalar.F32, rows);
    Buffer max = f.output(Scalar.F32, rows);
    Buffer wide = f.output(Scalar.F64, rows);
    Expr.Var i = index("i");
    Expr.Var j = index("j");
    Expr.Var acc = new Expr.Var("acc", Scalar.F32);
    Expr.Var top = new Expr.Var("top", Scalar.F32);
    Expr.Var dacc = new Expr.Var("dacc", Scalar.F64);
    Expr at = load(x, bin(BinaryOp.ADD, bin(BinaryOp.MUL, i, Expr.i64(cols)), j));
    f.body.add(
      loop(
        i,
        rows,
        Schedule.DEFAULT,
        new Stmt.Let(acc, f32(0)),
        new Stmt.Let(top, f32(Double.NEGATIVE_INFINITY)),
        new Stmt.Let(dacc, new Expr.FloatConst(Scalar.F64, 0)),
        loop(
          j,
          cols,
          new Schedule(1, 4, false),
          new Stmt.Assign(acc, bin(BinaryOp.ADD, acc, at)),
          new Stmt.Assign(top, bin(BinaryOp.MAX, top, at)),
          new Stmt.Assign(dacc, bin(BinaryOp.ADD, dacc, cast(Scalar.F64, at)))
        ),
        new Stmt.Store(sum, i, acc),
        new Stmt.Store(max, i, top),
        new Stmt.Store(wide, i, dacc)
      )
    );
    return f.build();
  }

  /** Collatz step counts: While, If with both branches, i32 arithmetic. */
  static Case control() {
    Fn f = new Fn("control");
    long[] starts = new long[50];
    for (int k = 0; k < starts.length; k++) {
      starts[k] = k + 1;
    }
    Buffer n = f.inputLongs(Scalar.I32, starts);
    Buffer steps = f.output(Scalar.I32, 50);
    Buffer parity = f.output(Scalar.BOOL, 50);
    Expr.Var i = index("i");
    Expr.Var v = new Expr.Var("v", Scalar.I32);
    Expr.Var count = new Expr.Var("count", Scalar.I32);
    Expr one = new Expr.IntConst(Scalar.I32, 1);
    Expr two = new Expr.IntConst(Scalar.I32, 2);
    Expr zero = new Expr.IntConst(Scalar.I32, 0);
    f.body.add(
      loop(
        i,
        50,
        Schedule.DEFAULT,
        new Stmt.Let(v, load(n, i)),
        new Stmt.Let(count, zero),
        new Stmt.While(
          bin(BinaryOp.NE, v, one),
          List.of(
            new Stmt.If(
              bin(BinaryOp.EQ, bin(BinaryOp.REM, v, two), zero),
              List.of(new Stmt.Assign(v, bin(BinaryOp.DIV, v, two))),
              List.of(
                new Stmt.Assign(
                  v,
                  bin(BinaryOp.ADD, bin(BinaryOp.MUL, v, new Expr.IntConst(Scalar.I32, 3)), one)
                )
              )
            ),
            new Stmt.Assign(count, bin(BinaryOp.ADD, count, one))
          )
        ),
        new Stmt.Store(steps, i, count),
        new Stmt.If(
          bin(BinaryOp.GT, count, new Expr.IntConst(Scalar.I32, 20)),
          List.of(new Stmt.Store(parity, i, new Expr.IntConst(Scalar.BOOL, 1))),
          List.of(new Stmt.Store(parity, i, bin(BinaryOp.EQ, bin(BinaryOp.AND, count, one), one)))
        )
      )
    );
    return f.build();
  }

  /** Every integer binary and unary operation on every integer type, over edge-value pairs. */
  static Case integers() {
    Fn f = new Fn("integers");
    List<Scalar> types = List.of(
      Scalar.I8,
      Scalar.U8,
      Scalar.I16,
      Scalar.U16,
      Scalar.I32,
      Scalar.U32,
      Scalar.I64,
      Scalar.U64
    );
    for (Scalar t : types) {
      long min = t.isSigned() ? (t.bits() == 64 ? Long.MIN_VALUE : -(1L << (t.bits() - 1))) : 0;
      long max = t.bits() == 64
        ? (t.isSigned() ? Long.MAX_VALUE : -1L)
        : t.isSigned() ? (1L << (t.bits() - 1)) - 1 : (1L << t.bits()) - 1;
      long[] edges = { 0, 1, -1, 2, 3, 7, -7, min, max, min + 1, t.bits(), t.bits() - 1, 100, 65 };
      int n = edges.length * edges.length;
      long[] as = new long[n];
      long[] bs = new long[n];
      for (int p = 0; p < n; p++) {
        as[p] = edges[p / edges.length];
        bs[p] = edges[p % edges.length];
      }
      Buffer a = f.inputLongs(t, as);
      Buffer b = f.inputLongs(t, bs);
      for (BinaryOp op : BinaryOp.values()) {
        if (op == BinaryOp.POW || op == BinaryOp.ATAN2) {
          continue;
        }
        f.map(n, Schedule.DEFAULT, i -> bin(op, load(a, i), load(b, i)));
      }
      for (UnaryOp op : List.of(UnaryOp.NEG, UnaryOp.NOT, UnaryOp.ABS)) {
        f.map(n, Schedule.DEFAULT, i -> un(op, load(a, i)));
      }
    }
    Buffer p = f.inputLongs(Scalar.BOOL, 0, 0, 1, 1);
    Buffer q = f.inputLongs(Scalar.BOOL, 0, 1, 0, 1);
    for (BinaryOp op : List.of(BinaryOp.AND, BinaryOp.OR, BinaryOp.XOR, BinaryOp.EQ, BinaryOp.NE)) {
      f.map(4, Schedule.DEFAULT, i -> bin(op, load(p, i), load(q, i)));
    }
    f.map(4, Schedule.DEFAULT, i -> un(UnaryOp.NOT, load(p, i)));
    return f.build();
  }

  /** Casts between every pair of kinds, saturating float to integer, f16 and bf16 storage. */
  static Case casts() {
    Fn f = new Fn("casts");
    double inf = Double.POSITIVE_INFINITY;
    double[] floats = {
      Double.NaN,
      inf,
      -inf,
      0,
      -0.0,
      0.5,
      -0.5,
      1.5,
      2.5,
      -2.5,
      127.6,
      128,
      -129,
      255.5,
      256,
      65535.9,
      65536,
      -32769,
      2147483647.0,
      -2147483648.0,
      3e9,
      4.3e9,
      1e19,
      -1e19,
      1e20,
      1e-8,
      65504,
      65520,
      1e5,
      3.4e38,
      0.1,
      -7.75,
      1.00390625,
      1.01171875,
      3.0e-5,
    };
    Buffer x = f.inputDoubles(Scalar.F32, floats);
    Buffer xd = f.inputDoubles(Scalar.F64, floats);
    int nf = floats.length;
    for (Scalar to : Scalar.values()) {
      f.map(nf, Schedule.DEFAULT, i -> cast(to, load(x, i)));
      f.map(nf, Schedule.DEFAULT, i -> cast(to, load(xd, i)));
    }
    long two53 = 1L << 53;
    long[] ints = {
      0,
      1,
      -1,
      127,
      128,
      255,
      256,
      -129,
      65535,
      65536,
      Integer.MAX_VALUE,
      1L << 31,
      -(1L << 31) - 1,
      (1L << 32) + 5,
      two53,
      -two53,
      Long.MAX_VALUE,
      Long.MIN_VALUE,
      12345678,
    };
    Buffer n = f.inputLongs(Scalar.I64, ints);
    for (Scalar to : Scalar.values()) {
      f.map(ints.length, Schedule.DEFAULT, i -> cast(to, load(n, i)));
    }
    Buffer u = f.inputLongs(Scalar.U64, 0, 1, Long.MIN_VALUE, Long.MIN_VALUE + (1L << 11), 77);
    for (Scalar to : List.of(Scalar.F64, Scalar.F32, Scalar.I32, Scalar.U16, Scalar.BOOL)) {
      f.map(5, Schedule.DEFAULT, i -> cast(to, load(u, i)));
    }
    Buffer small = f.inputLongs(Scalar.I8, -128, -1, 0, 5, 127);
    Buffer bytes = f.inputLongs(Scalar.U8, 0, 1, 128, 200, 255);
    Buffer flags = f.inputLongs(Scalar.BOOL, 0, 1, 1, 0, 1);
    for (Scalar to : List.of(Scalar.I64, Scalar.U64, Scalar.I32, Scalar.U16, Scalar.F32)) {
      f.map(5, Schedule.DEFAULT, i -> cast(to, load(small, i)));
      f.map(5, Schedule.DEFAULT, i -> cast(to, load(bytes, i)));
      f.map(5, Schedule.DEFAULT, i -> cast(to, load(flags, i)));
    }
    double[] halfs = Arrays.copyOf(ramp(40, -70000, 70000), 44);
    halfs[40] = Double.NaN;
    halfs[41] = 6.1e-5;
    halfs[42] = 1.0009765625;
    halfs[43] = -0.0;
    for (Scalar half : List.of(Scalar.F16, Scalar.BF16)) {
      Buffer h = f.inputDoubles(half, halfs);
      f.map(44, Schedule.DEFAULT, i -> cast(Scalar.F32, load(h, i)));
      f.map(44, Schedule.vectorized(4), i ->
        cast(half, bin(BinaryOp.MUL, cast(Scalar.F32, load(h, i)), f32(1.3)))
      );
      f.map(44, Schedule.DEFAULT, i -> cast(Scalar.I16, load(h, i)));
      f.map(44, Schedule.DEFAULT, i -> load(h, i));
    }
    f.map(nf, Schedule.DEFAULT, i -> cast(Scalar.BF16, load(x, i)));
    for (Scalar low : Scalar.values()) {
      if (low.isLowPrecision()) {
        int count = low.bits() < 8 ? 1 << low.bits() : 256;
        int shift = 32 - low.bits();
        boolean signed = low == Scalar.I4 || low == Scalar.I2;
        byte[] codes = new byte[count];
        for (int c = 0; c < count; c++) {
          codes[c] = (byte) (signed ? (c << shift) >> shift : c);
        }
        Buffer all = f.input(low, Tensor.ofBytes(type(low, count), codes));
        f.map(count, Schedule.DEFAULT, i -> cast(Scalar.F32, load(all, i)));
      }
    }
    ByteBuffer nans = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
    for (int bits : new int[] { 0x7f800001, 0xff800001, 0x7fbfffff, 0x7f7fffff }) {
      nans.putInt(bits);
    }
    Buffer signaling = f.input(Scalar.F32, Tensor.ofBytes(type(Scalar.F32, 4), nans.array()));
    f.map(4, Schedule.DEFAULT, i -> cast(Scalar.BF16, load(signaling, i)));
    f.map(4, Schedule.DEFAULT, i -> cast(Scalar.F16, load(signaling, i)));
    return f.build();
  }

  /** The gemm parameters of {@link #gemm}: m, n, k. */
  static final Map<String, Integer> GEMM = Map.of("m", 5, "n", 7, "k", 9);

  /**
   * {@code kiln_gemm_f32} with a bias (a constant, one per column) and relu, writing into the
   * workspace, then a loop copying the workspace to the output plus one.
   */
  static Case gemm() {
    Fn f = new Fn("gemm");
    int m = GEMM.get("m");
    int n = GEMM.get("n");
    int k = GEMM.get("k");
    Buffer a = f.inputDoubles(Scalar.F32, ramp(m * k, -1, 1.5));
    Buffer b = f.inputDoubles(Scalar.F32, ramp(k * n, 2, -1));
    double[] bias = ramp(n, -0.5, 0.25);
    Buffer c = f.constant(Scalar.F32, bias);
    Buffer w = f.workspace(Scalar.F32, m * n, 64);
    Buffer out = f.output(Scalar.F32, m * n);
    List<Expr> params = new ArrayList<>();
    for (int v : new int[] { m, n, k, 0, 0, k, n, n, n, 0, 1 }) {
      params.add(new Expr.IntConst(Scalar.I32, v));
    }
    params.add(f32(1));
    params.add(f32(1));
    for (int v : new int[] { 0, 0, 0, 0 }) {
      params.add(new Expr.IntConst(Scalar.I32, v));
    }
    f.threadScratch = 4096;
    params.add(new Expr.IntConst(Scalar.I32, 1));
    params.add(new Expr.IntConst(Scalar.I32, 0));
    params.add(f32(0));
    params.add(f32(0));
    params.add(f32(0));
    f.body.add(
      new Stmt.Call(
        "kiln_gemm_f32",
        List.of(
          new Stmt.Struct(params),
          new Stmt.Pointer(a, Expr.i64(0)),
          new Stmt.Pointer(b, Expr.i64(0)),
          new Stmt.Pointer(c, Expr.i64(0)),
          new Stmt.Null(),
          new Stmt.Pointer(w, Expr.i64(0)),
          new Stmt.Exec()
        )
      )
    );
    Expr.Var i = index("i");
    f.body.add(
      loop(
        i,
        (long) m * n,
        Schedule.DEFAULT,
        new Stmt.Store(out, i, bin(BinaryOp.ADD, load(w, i), f32(1)))
      )
    );
    return f.build();
  }

  /** What {@link #gemm} computes, in double precision rounded to float at the end. */
  static double[] gemmExpected(Case gemm) {
    int m = GEMM.get("m");
    int n = GEMM.get("n");
    int k = GEMM.get("k");
    double[] a = ramp(m * k, -1, 1.5);
    double[] b = ramp(k * n, 2, -1);
    double[] bias = ramp(n, -0.5, 0.25);
    double[] out = new double[m * n];
    for (int i = 0; i < m; i++) {
      for (int j = 0; j < n; j++) {
        double s = 0;
        for (int p = 0; p < k; p++) {
          s += (float) a[i * k + p] * (double) (float) b[p * n + j];
        }
        s += (float) bias[j];
        out[i * n + j] = Math.max(s, 0) + 1;
      }
    }
    return out;
  }
}
