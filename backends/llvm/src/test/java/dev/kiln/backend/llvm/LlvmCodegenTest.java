package dev.kiln.backend.llvm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.kiln.ir.DiagnosticException;
import dev.kiln.ir.Tensor;
import dev.kiln.ir.loop.BinaryOp;
import dev.kiln.ir.loop.Buffer;
import dev.kiln.ir.loop.Expr;
import dev.kiln.ir.loop.LoopFunc;
import dev.kiln.ir.loop.LoopInterpreter;
import dev.kiln.ir.loop.Scalar;
import dev.kiln.ir.loop.Schedule;
import dev.kiln.ir.loop.Stmt;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class LlvmCodegenTest {

  static Stream<LoopCases.Case> interpretable() {
    return LoopCases.interpretable().stream();
  }

  private static void assumeToolchain(NativeRun.Toolchain tc) {
    String missing = tc.missing();
    if (missing != null) {
      System.out.println("skipped: " + missing);
    }
    assumeTrue(missing == null, missing);
  }

  private static void matchesInterpreter(NativeRun.Toolchain tc, LoopCases.Case c, Path dir)
    throws Exception {
    assumeToolchain(tc);
    List<Tensor> expected = LoopInterpreter.run(c.func(), c.inputs());
    List<Tensor> actual = NativeRun.run(tc, c.func(), c.inputs(), dir);
    for (int i = 0; i < expected.size(); i++) {
      NativeRun.assertClose(c.func().outputs().get(i), expected.get(i), actual.get(i));
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("interpretable")
  void host_code_matches_the_loop_interpreter(LoopCases.Case c, @TempDir Path dir)
    throws Exception {
    matchesInterpreter(NativeRun.Toolchain.HOST, c, dir);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("interpretable")
  void aarch64_code_under_qemu_matches_the_loop_interpreter(LoopCases.Case c, @TempDir Path dir)
    throws Exception {
    matchesInterpreter(NativeRun.Toolchain.AARCH64, c, dir);
  }

  static Stream<NativeRun.Toolchain> toolchains() {
    return Stream.of(NativeRun.Toolchain.HOST, NativeRun.Toolchain.AARCH64);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("toolchains")
  void gemm_kernel_call_computes_the_product(NativeRun.Toolchain tc, @TempDir Path dir)
    throws Exception {
    assumeToolchain(tc);
    LoopCases.Case c = LoopCases.gemm();
    Tensor out = NativeRun.run(tc, c.func(), c.inputs(), dir).get(0);
    double[] want = LoopCases.gemmExpected(c);
    ByteBuffer got = ByteBuffer.wrap(out.bytes()).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < want.length; i++) {
      assertEquals(
        want[i],
        got.getFloat(i * 4),
        1e-5 * Math.max(1, Math.abs(want[i])),
        "c[" + i + "]"
      );
    }
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("targets")
  void kernels_are_internal_and_inlined(String target, String cpu, int machine) {
    LoopCases.Case c = LoopCases.gemm();
    LlvmCodegen.Compiled out = LlvmCodegen.compile(
      c.func(),
      Targets.resolve(target, cpu),
      EnumSet.of(LlvmTarget.Output.LLVM_IR)
    );
    List<String> defines = out
      .llvmIr()
      .lines()
      .filter(l -> l.startsWith("define "))
      .toList();
    List<String> exported = defines
      .stream()
      .filter(d -> !d.contains(" internal "))
      .toList();
    assertEquals(4, exported.size(), String.join("\n", defines));
    assertTrue(exported.get(0).contains("i32 @gemm_run_ctx("), exported.get(0));
    assertTrue(exported.get(1).contains("i32 @gemm_run_parallel("), exported.get(1));
    assertTrue(exported.get(2).contains("i32 @gemm_run("), exported.get(2));
    assertTrue(exported.get(3).contains("ptr @gemm_info()"), exported.get(3));
    assertTrue(
      defines
        .stream()
        .noneMatch(d -> d.contains("@kiln_gemm_f32(") || d.contains("@kiln_accel_gemm_f32(")),
      "the kernel entry is inlined: " + String.join("\n", defines)
    );
    Elf elf = Elf.read(out.object());
    assertEquals(machine, elf.machine());
    assertTrue(elf.defines("gemm_run"), elf.symbols().toString());
    assertTrue(elf.defines("gemm_run_parallel"), elf.symbols().toString());
    assertTrue(elf.defines("gemm_run_ctx"), elf.symbols().toString());
    assertTrue(elf.defines("gemm_info"), elf.symbols().toString());
    assertFalse(elf.symbols().containsKey("kiln_gemm_f32"), elf.symbols().toString());
    assertTrue(
      elf
        .symbols()
        .entrySet()
        .stream()
        .allMatch(e -> e.getValue() || e.getKey().startsWith("__aeabi_")),
      "undefined symbols other than the ARM EABI's division helpers: " + elf.symbols()
    );
  }

  static Stream<Arguments> targets() {
    return Stream.of(
      Arguments.of("x86_64-linux-gnu", "x86-64-v3", Elf.EM_X86_64),
      Arguments.of("aarch64-linux-gnu", "cortex-a72", Elf.EM_AARCH64),
      Arguments.of("armv7a-linux-gnueabihf", "generic", Elf.EM_ARM),
      Arguments.of("thumbv7em-none-eabihf", "cortex-m4", Elf.EM_ARM)
    );
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("targets")
  void every_target_compiles_and_gets_the_same_bytes_twice(String target, String cpu, int machine) {
    Targets.Resolved r = Targets.resolve(target, cpu);
    for (LoopCases.Case c : List.of(LoopCases.math(), LoopCases.casts())) {
      Elf elf = Elf.read(LlvmCodegen.compile(c.func(), r).object());
      assertEquals(machine, elf.machine(), c.toString());
      assertTrue(elf.defines(c.func().name() + "_run"), elf.symbols().toString());
    }
    var all = EnumSet.allOf(LlvmTarget.Output.class);
    for (LoopCases.Case c : List.of(LoopCases.control(), LoopCases.gemm())) {
      LlvmCodegen.Compiled first = LlvmCodegen.compile(c.func(), r, all);
      LlvmCodegen.Compiled second = LlvmCodegen.compile(c.func(), r, all);
      assertArrayEquals(first.object(), second.object(), c + " object");
      assertEquals(first.assembly(), second.assembly(), c + " assembly");
      assertEquals(first.llvmIr(), second.llvmIr(), c + " llvm ir");
      Elf elf = Elf.read(first.object());
      assertEquals(machine, elf.machine(), c.toString());
      assertEquals(!target.startsWith("arm") && !target.startsWith("thumb"), elf.is64());
      assertTrue(elf.defines(c.func().name() + "_run"), elf.symbols().toString());
      assertTrue(first.assembly().contains(c.func().name() + "_run:"), c.toString());
    }
  }

  @Test
  void vectorize_schedule_decides_vector_width() {
    Targets.Resolved avx2 = Targets.resolve("x86_64-linux-gnu", "x86-64-v3");
    assertTrue(scaleLoopIr(avx2, Schedule.vectorized(16)).contains("<16 x float>"));
    String scalar = scaleLoopIr(avx2, new Schedule(1, 1, false));
    assertFalse(scalar.contains("x float>"), scalar);
  }

  private static String scaleLoopIr(Targets.Resolved target, Schedule schedule) {
    Buffer in = Buffer.param(Buffer.Kind.INPUT, "x", Scalar.F32, 0, new long[] { 4096 }, "x");
    Buffer out = Buffer.param(Buffer.Kind.OUTPUT, "y", Scalar.F32, 0, new long[] { 4096 }, "y");
    Expr.Var i = LoopCases.index("i");
    LoopFunc f = new LoopFunc(
      "scale",
      List.of(in),
      List.of(out),
      List.of(),
      List.of(),
      0,
      List.of(
        LoopCases.loop(
          i,
          4096,
          schedule,
          new Stmt.Store(
            out,
            i,
            LoopCases.bin(BinaryOp.MUL, LoopCases.load(in, i), LoopCases.f32(3))
          )
        )
      )
    );
    return LlvmCodegen.compile(f, target, EnumSet.of(LlvmTarget.Output.LLVM_IR)).llvmIr();
  }

  @Test
  void outputs_not_requested_are_refused() {
    LlvmCodegen.Compiled c = LlvmCodegen.compile(
      LoopCases.control().func(),
      Targets.resolve("x86_64-linux-gnu", null)
    );
    assertEquals(Elf.EM_X86_64, Elf.read(c.object()).machine());
    assertThrows(IllegalStateException.class, c::assembly);
    assertThrows(IllegalStateException.class, c::llvmIr);
  }

  @Test
  void constants_are_private_aligned_globals() {
    String ir = LlvmCodegen.compile(
      LoopCases.elementwise().func(),
      Targets.resolve("x86_64-linux-gnu", null),
      EnumSet.of(LlvmTarget.Output.LLVM_IR)
    ).llvmIr();
    assertTrue(
      ir.contains("@elementwise.c0 = private unnamed_addr constant [28 x i8] c\"\\00\\00\\80?"),
      ir
    );
    assertTrue(
      ir.lines().anyMatch(l -> l.startsWith("@elementwise.c0 ") && l.endsWith("align 64"))
    );
  }

  @Test
  void kernel_calls_that_do_not_fit_the_kernel_are_bugs() {
    LoopCases.Case gemm = LoopCases.gemm();
    Targets.Resolved host = Targets.resolve("x86_64-linux-gnu", null);
    Stmt.Call call = (Stmt.Call) gemm.func().body().get(0);
    String stage = "while compiling gemm for " + host.triple() + " cpu " + host.cpu() + ": ";
    var unknown = assertThrows(IllegalStateException.class, () ->
      LlvmCodegen.compile(withCall(gemm.func(), new Stmt.Call("kiln_nope", call.args())), host)
    );
    assertEquals(
      stage + "micro-kernel hook kiln_accel_nope is not in runtime-c",
      unknown.getMessage()
    );
    var count = assertThrows(IllegalStateException.class, () ->
      LlvmCodegen.compile(
        withCall(gemm.func(), new Stmt.Call(call.kernel(), call.args().subList(0, 5))),
        host
      )
    );
    assertEquals(
      stage + "kiln_accel_gemm_f32 takes 7 arguments, the call passes 6",
      count.getMessage()
    );
    List<Stmt.Arg> args = new java.util.ArrayList<>(call.args());
    args.set(4, new Stmt.Value(Expr.i64(0)));
    var type = assertThrows(IllegalStateException.class, () ->
      LlvmCodegen.compile(withCall(gemm.func(), new Stmt.Call(call.kernel(), args)), host)
    );
    assertEquals(
      stage + "argument 4 of kiln_accel_gemm_f32 has the wrong type: i64",
      type.getMessage()
    );
  }

  /** {@code f} with {@code call} as its whole body. */
  static LoopFunc withCall(LoopFunc f, Stmt.Call call) {
    return new LoopFunc(
      f.name(),
      f.inputs(),
      f.outputs(),
      f.constants(),
      f.workspace(),
      f.workspaceBytes(),
      List.of(call)
    );
  }

  @Test
  void name_that_is_no_c_identifier_is_a_diagnostic() {
    LoopFunc f = new LoopFunc("my-net", List.of(), List.of(), List.of(), List.of(), 0, List.of());
    var e = assertThrows(DiagnosticException.class, () ->
      LlvmCodegen.compile(f, Targets.resolve("x86_64-linux-gnu", null))
    );
    assertEquals("the function name 'my-net' is not a C identifier", e.getMessage());
  }
}
