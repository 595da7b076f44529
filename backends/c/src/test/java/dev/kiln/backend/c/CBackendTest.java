package dev.kiln.backend.c;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.kiln.backend.Artifacts;
import dev.kiln.backend.EmitOptions;
import dev.kiln.backend.LoopModule;
import dev.kiln.ir.Shape;
import dev.kiln.ir.Tensor;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.loop.BinaryOp;
import dev.kiln.ir.loop.Buffer;
import dev.kiln.ir.loop.Expr;
import dev.kiln.ir.loop.KernelStruct;
import dev.kiln.ir.loop.KernelStructs;
import dev.kiln.ir.loop.LoopFunc;
import dev.kiln.ir.loop.LoopInterpreter;
import dev.kiln.ir.loop.Scalar;
import dev.kiln.ir.loop.Schedule;
import dev.kiln.ir.loop.Stmt;
import dev.kiln.ir.loop.TargetInfo;
import dev.kiln.ir.loop.UnaryOp;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The C backend against {@link LoopInterpreter}: functions built from the operations whose C
 * spelling differs from an operator (non-trapping division, defined shifts, wrapping arithmetic,
 * saturating casts, 16-bit floats, NaN-propagating minimum) are compiled by the host's {@code cc}
 * with {@code -std=c99 -Wall -Wextra -Werror -pedantic} and must give the interpreter's bytes on
 * edge values.
 */
class CBackendTest {

  @TempDir
  Path dir;

  private static final double[] INTS = {
    Long.MIN_VALUE,
    Integer.MIN_VALUE,
    -32768,
    -129,
    -128,
    -7,
    -1,
    0,
    1,
    2,
    7,
    31,
    63,
    64,
    127,
    255,
    65535,
    Integer.MAX_VALUE,
    Long.MAX_VALUE,
  };

  private static final double[] FLOATS = {
    Double.NaN,
    Double.NEGATIVE_INFINITY,
    -3.5e38,
    -1e20,
    -2147483904.0,
    -300.5,
    -2.5,
    -1.5,
    -0.5,
    -0.0,
    0.0,
    1e-40,
    5.960464477539063e-8,
    2.9802322387695312e-8,
    6.1e-5,
    0.5,
    1.5,
    2.5,
    65504.0,
    65520.0,
    1e20,
    3.5e38,
    Double.POSITIVE_INFINITY,
  };

  private static Buffer param(Buffer.Kind kind, String name, Scalar t, int i, int n) {
    return Buffer.param(kind, name, t, i, new long[] { n }, name);
  }

  private static Tensor tensor(Scalar t, double[] values) {
    TensorType type = new TensorType(t.elementType(), Shape.of(values.length));
    if (t.isFloat()) {
      return Tensor.ofDoubles(type, values);
    }
    long[] longs = new long[values.length];
    for (int i = 0; i < values.length; i++) {
      longs[i] = (long) values[i];
    }
    return Tensor.ofLongs(type, longs);
  }

  /**
   * A function of two inputs {@code a}, {@code b} of {@code n} elements of {@code in}, and one
   * output per entry of {@code ops} (of the type that entry gives), each {@code out[i] =
   * op(a[i], b[i])}.
   */
  private static LoopFunc elementwise(
    Scalar in,
    int n,
    List<Map.Entry<Scalar, BiFunction<Expr, Expr, Expr>>> ops
  ) {
    Buffer a = param(Buffer.Kind.INPUT, "a", in, 0, n);
    Buffer b = param(Buffer.Kind.INPUT, "b", in, 1, n);
    List<Buffer> outs = new ArrayList<>();
    List<Stmt> body = new ArrayList<>();
    Expr.Var i = new Expr.Var("i", Scalar.I64);
    for (int k = 0; k < ops.size(); k++) {
      Buffer o = param(Buffer.Kind.OUTPUT, "out" + k, ops.get(k).getKey(), k, n);
      outs.add(o);
      Expr value = ops.get(k).getValue().apply(new Expr.Load(a, i), new Expr.Load(b, i));
      body.add(new Stmt.Store(o, i, value));
    }
    Stmt loop = new Stmt.For(i, Expr.i64(0), Expr.i64(n), Schedule.DEFAULT, body);
    return new LoopFunc("t", List.of(a, b), outs, List.of(), List.of(), 0, List.of(loop));
  }

  private void assertMatchesInterpreter(LoopFunc f, List<Tensor> inputs) throws Exception {
    assumeTrue(CRun.cc().isPresent(), "skipped: no C compiler (cc) on PATH");
    List<Tensor> want = LoopInterpreter.run(f, inputs);
    List<byte[]> got = CRun.run(f, inputs, dir);
    assertEquals(want.size(), got.size());
    for (int k = 0; k < want.size(); k++) {
      assertArrayEquals(want.get(k).bytes(), got.get(k), "output " + k + " of\n" + f);
    }
  }

  private static Map.Entry<Scalar, BiFunction<Expr, Expr, Expr>> op(
    Scalar t,
    BiFunction<Expr, Expr, Expr> f
  ) {
    return Map.entry(t, f);
  }

  /** Every pair of {@code values}, as the two inputs. */
  private static List<Tensor> pairs(Scalar t, double[] values) {
    double[] a = new double[values.length * values.length];
    double[] b = new double[a.length];
    for (int i = 0; i < values.length; i++) {
      for (int j = 0; j < values.length; j++) {
        a[i * values.length + j] = values[i];
        b[i * values.length + j] = values[j];
      }
    }
    return List.of(tensor(t, a), tensor(t, b));
  }

  @Test
  void integer_arithmetic_matches_interpreter_on_edge_values() throws Exception {
    for (Scalar t : List.of(Scalar.I8, Scalar.U8, Scalar.I16, Scalar.I32, Scalar.U32, Scalar.I64)) {
      List<Map.Entry<Scalar, BiFunction<Expr, Expr, Expr>>> ops = new ArrayList<>();
      for (BinaryOp op : List.of(
        BinaryOp.ADD,
        BinaryOp.SUB,
        BinaryOp.MUL,
        BinaryOp.DIV,
        BinaryOp.REM,
        BinaryOp.MIN,
        BinaryOp.MAX,
        BinaryOp.SHL,
        BinaryOp.SHR,
        BinaryOp.XOR
      )) {
        ops.add(op(t, (x, y) -> new Expr.Binary(op, x, y)));
      }
      ops.add(op(t, (x, y) -> new Expr.Unary(UnaryOp.NEG, x)));
      ops.add(op(t, (x, y) -> new Expr.Unary(UnaryOp.ABS, x)));
      ops.add(op(t, (x, y) -> new Expr.Unary(UnaryOp.NOT, x)));
      ops.add(op(Scalar.BOOL, (x, y) -> new Expr.Binary(BinaryOp.LT, x, y)));
      ops.add(op(t, (x, y) -> new Expr.Binary(BinaryOp.DIV, x, new Expr.IntConst(t, 3))));
      LoopFunc f = elementwise(t, INTS.length * INTS.length, ops);
      assertMatchesInterpreter(f, pairs(t, INTS));
    }
  }

  @Test
  void float_to_integer_casts_saturate_like_interpreter() throws Exception {
    for (Scalar from : List.of(Scalar.F32, Scalar.F64)) {
      List<Map.Entry<Scalar, BiFunction<Expr, Expr, Expr>>> ops = new ArrayList<>();
      for (Scalar to : List.of(
        Scalar.I8,
        Scalar.U8,
        Scalar.I16,
        Scalar.U16,
        Scalar.I32,
        Scalar.U32,
        Scalar.I64,
        Scalar.U64,
        Scalar.BOOL
      )) {
        ops.add(op(to, (x, y) -> new Expr.Cast(to, x)));
      }
      LoopFunc f = elementwise(from, FLOATS.length, ops);
      assertMatchesInterpreter(f, List.of(tensor(from, FLOATS), tensor(from, FLOATS)));
    }
  }

  @Test
  void half_floats_round_to_nearest_even_like_interpreter() throws Exception {
    double[] values = new double[FLOATS.length + 6];
    System.arraycopy(FLOATS, 0, values, 0, FLOATS.length);
    double[] ties = { 1.0 + 1.0 / 2048, 1.0 + 3.0 / 2048, 1.0 + 1.0 / 256, 3.0e-8, 1.2e-7, 4e-5 };
    System.arraycopy(ties, 0, values, FLOATS.length, ties.length);
    List<Map.Entry<Scalar, BiFunction<Expr, Expr, Expr>>> ops = new ArrayList<>();
    for (Scalar half : List.of(Scalar.F16, Scalar.BF16)) {
      ops.add(op(half, (x, y) -> new Expr.Cast(half, x)));
      ops.add(op(Scalar.F32, (x, y) -> new Expr.Cast(Scalar.F32, new Expr.Cast(half, x))));
      ops.add(op(half, (x, y) -> new Expr.Cast(half, new Expr.Cast(Scalar.F64, x))));
      ops.add(op(Scalar.I32, (x, y) -> new Expr.Cast(Scalar.I32, new Expr.Cast(half, x))));
    }
    ops.add(op(Scalar.F16, (x, y) -> new Expr.FloatConst(Scalar.F16, -1.0 / 3)));
    ops.add(op(Scalar.BF16, (x, y) -> new Expr.FloatConst(Scalar.BF16, 1e10)));
    LoopFunc f = elementwise(Scalar.F32, values.length, ops);
    assertMatchesInterpreter(f, List.of(tensor(Scalar.F32, values), tensor(Scalar.F32, values)));
  }

  @Test
  void float_min_max_propagate_nan_and_order_signed_zeros() throws Exception {
    double[] values = { Double.NaN, -0.0, 0.0, -1.0, 1.0, Double.POSITIVE_INFINITY };
    for (Scalar t : List.of(Scalar.F32, Scalar.F64)) {
      LoopFunc f = elementwise(
        t,
        values.length * values.length,
        List.of(
          op(t, (x, y) -> new Expr.Binary(BinaryOp.MIN, x, y)),
          op(t, (x, y) -> new Expr.Binary(BinaryOp.MAX, x, y)),
          op(Scalar.BOOL, (x, y) -> new Expr.Binary(BinaryOp.NE, x, y)),
          op(Scalar.BOOL, (x, y) -> new Expr.Unary(UnaryOp.IS_NAN, x)),
          op(t, (x, y) -> new Expr.Select(new Expr.Binary(BinaryOp.GE, x, y), x, y))
        )
      );
      assertMatchesInterpreter(f, pairs(t, values));
    }
  }

  @Test
  void loop_bounds_read_from_buffers_are_evaluated_once() throws Exception {
    Buffer n = param(Buffer.Kind.INPUT, "n", Scalar.I64, 0, 1);
    Buffer out = param(Buffer.Kind.OUTPUT, "count", Scalar.I64, 0, 1);
    Expr.Var i = new Expr.Var("i", Scalar.I64);
    Expr.Var count = new Expr.Var("count", Scalar.I64);
    Expr.Var limit = new Expr.Var("limit", Scalar.I64);
    List<Stmt> body = List.of(
      new Stmt.Let(count, Expr.i64(0)),
      new Stmt.Let(limit, new Expr.Load(n, Expr.i64(0))),
      new Stmt.For(
        i,
        Expr.i64(0),
        limit,
        Schedule.DEFAULT,
        List.of(
          new Stmt.Assign(count, new Expr.Binary(BinaryOp.ADD, count, Expr.i64(1))),
          new Stmt.Assign(limit, Expr.i64(0))
        )
      ),
      new Stmt.Store(out, Expr.i64(0), count)
    );
    LoopFunc f = new LoopFunc("t", List.of(n), List.of(out), List.of(), List.of(), 0, body);
    assertMatchesInterpreter(f, List.of(tensor(Scalar.I64, new double[] { 5 })));
  }

  @Test
  void output_text_is_deterministic_and_names_each_group_after_its_nodes() {
    Buffer x = param(Buffer.Kind.INPUT, "x", Scalar.F32, 0, 4);
    Buffer y = param(Buffer.Kind.OUTPUT, "y", Scalar.F32, 0, 4);
    Buffer w = Buffer.constant(
      "w",
      Scalar.F32,
      Tensor.ofDoubles(new TensorType(Scalar.F32.elementType(), Shape.of(4)), 0.5, -1, 2, 1e-3)
    );
    Expr.Var i = new Expr.Var("i", Scalar.I64);
    Stmt loop = new Stmt.For(
      i,
      Expr.i64(0),
      Expr.i64(4),
      Schedule.DEFAULT,
      List.of(
        new Stmt.Store(
          y,
          i,
          new Expr.Binary(BinaryOp.MUL, new Expr.Load(x, i), new Expr.Load(w, i))
        )
      )
    );
    LoopFunc f = new LoopFunc(
      "net",
      List.of(x),
      List.of(y),
      List.of(w),
      List.of(),
      0,
      List.of(loop)
    );
    LoopModule m = new LoopModule(
      f,
      "net.onnx",
      List.of(new LoopModule.Group(0, 1, List.of("nn.mul \"scale\"")))
    );
    String first = source(m);
    assertEquals(first, source(m));
    assertTrue(
      first.contains("/* nn.mul \"scale\" */\nstatic void mul_0(const float *x, float *y) {")
    );
    assertTrue(
      first.contains(
        "static KILN_ALIGNED(64) const float w[4] = {\n  0.5f, -1.0f, 2.0f, 0.001f,\n};"
      )
    );
    assertTrue(
      first.contains(
        "int net_run(const void *const *inputs, void *const *outputs, void *workspace)"
      )
    );
  }

  private static String source(LoopModule m) {
    Artifacts a = new CBackend().compile(
      m,
      CBackend.PORTABLE,
      EmitOptions.of(Artifacts.Kind.C_SOURCE)
    );
    return new String(a.get(Artifacts.Kind.C_SOURCE), StandardCharsets.UTF_8);
  }

  @Test
  void kernel_sources_are_the_callee_and_the_headers_it_includes() {
    var files = KernelSources.forKernels(List.of("kiln_gemm_f32")).keySet();
    assertTrue(files.contains("kernels/gemm_f32.c"), files.toString());
    assertTrue(files.contains("kernels/sgemm.h"), files.toString());
    assertTrue(files.contains("include/kiln/kernels.h"), files.toString());
    assertTrue(files.contains("include/kiln/runtime.h"), files.toString());
    assertTrue(!files.contains("kernels/conv2d_s8.c"), files.toString());
    assertEquals(
      List.of("include/kiln/runtime.h"),
      List.copyOf(KernelSources.forKernels(List.of()).keySet())
    );
  }

  @Test
  void every_declared_kernel_struct_belongs_to_a_kernel() {
    List<String> kernels = List.of(
      "kiln_gemm_f32",
      "kiln_conv2d_f32",
      "kiln_conv2d_winograd_f32",
      "kiln_depthwise_conv2d_f32",
      "kiln_maxpool2d_f32",
      "kiln_avgpool2d_f32",
      "kiln_gemm_s8s8s32",
      "kiln_gemm_s8s8s8",
      "kiln_conv2d_s8"
    );
    List<KernelStruct> seen = new ArrayList<>();
    for (String k : kernels) {
      seen.add(KernelCalls.params(k));
    }
    assertTrue(seen.containsAll(KernelStructs.ALL));
    List<String> all = dev.kiln.backend.RuntimeC.files()
      .keySet()
      .stream()
      .filter(p -> p.startsWith("kernels/") && p.endsWith(".c"))
      .toList();
    assertTrue(KernelSources.forKernels(kernels).keySet().containsAll(all));
  }

  @Test
  void other_targets_and_kinds_are_refused() {
    Buffer x = param(Buffer.Kind.INPUT, "x", Scalar.F32, 0, 1);
    LoopFunc f = new LoopFunc("t", List.of(x), List.of(), List.of(), List.of(), 0, List.of());
    TargetInfo other = new TargetInfo(
      "x",
      TargetInfo.KernelSet.X86_AVX2,
      32,
      6,
      16,
      1 << 15,
      1 << 20,
      true
    );
    assertThrows(IllegalArgumentException.class, () ->
      new CBackend().compile(LoopModule.of(f), other, EmitOptions.of(Artifacts.Kind.C_SOURCE))
    );
    assertThrows(UnsupportedOperationException.class, () ->
      new CBackend().compile(
        LoopModule.of(f),
        CBackend.PORTABLE,
        EmitOptions.of(Artifacts.Kind.OBJECT)
      )
    );
  }
}
