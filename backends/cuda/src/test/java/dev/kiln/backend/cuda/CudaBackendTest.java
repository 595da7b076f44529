package dev.kiln.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.kiln.backend.Artifacts;
import dev.kiln.backend.EmitOptions;
import dev.kiln.backend.LoopModule;
import dev.kiln.backend.RuntimeC;
import dev.kiln.backend.llvm.PtxCodegen;
import dev.kiln.backend.llvm.Targets;
import dev.kiln.ir.Tensor;
import dev.kiln.ir.loop.LoopFunc;
import dev.kiln.ir.loop.LoopInterpreter;
import dev.kiln.ir.loop.LoopParser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The CUDA backend's files, the PTX of every math operation (which LLVM cannot lower on NVPTX by
 * itself) checked by {@code ptxas} for sm_80 and sm_90 when it is on {@code PATH}, and the device
 * math library against the host's libm.
 */
class CudaBackendTest {

  private static final String MATH = """
    loop.func @math workspace 0 {
      input %in0: buffer<16xf32> "x"
      input %in1: buffer<16xf64> "d"
      output %out0: buffer<16xf32> "y"
      output %out1: buffer<16xf64> "z"
      for %i = 0 to 16 {
        let %x: f32 = %in0[%i]
        let %d: f64 = %in1[%i]
        let %a: f32 = add(add(add(exp(%x), log(%x)), add(sin(%x), cos(%x))), add(tan(%x), asin(%x)))
        let %b: f32 = add(add(add(acos(%x), atan(%x)), add(sinh(%x), cosh(%x))), tanh(%x))
        let %c: f32 = add(add(add(asinh(%x), acosh(%x)), add(atanh(%x), erf(%x))), rem(%x, %a))
        %out0[%i] = add(add(%a, %b), add(%c, add(pow(%x, %b), atan2(%x, %c))))
        let %e: f64 = add(add(add(exp(%d), log(%d)), add(sin(%d), cos(%d))), add(tan(%d), asin(%d)))
        let %f: f64 = add(add(add(acos(%d), atan(%d)), add(sinh(%d), cosh(%d))), tanh(%d))
        let %g: f64 = add(add(add(asinh(%d), acosh(%d)), add(atanh(%d), erf(%d))), rem(%d, %e))
        %out1[%i] = add(add(%e, %f), add(%g, add(pow(%d, %f), atan2(%d, %g))))
      }
    }
    """;

  @Test
  void every_math_operation_compiles_to_ptx_without_external_calls() {
    LoopFunc f = LoopParser.parse(MATH, "math.loop");
    GpuSchedule.Scheduled s = GpuSchedule.of(LoopModule.of(f));
    assertEquals(List.of(16L), s.launches().stream().map(GpuSchedule.Launch::threads).toList());
    String ptx = PtxCodegen.compile(s.func(), Targets.resolveCuda("sm_80")).text();
    assertTrue(ptx.contains(".visible .entry math_k0("), ptx);
    assertFalse(ptx.contains(".extern"), "the ptx calls something outside the module");
    Optional<Ptxas> ptxas = Ptxas.find();
    assumeTrue(ptxas.isPresent(), "skipped: ptxas is not on PATH, the PTX was not assembled");
    for (String arch : List.of("sm_80", "sm_90")) {
      ptxas.get().check(ptx, arch);
    }
  }

  @Test
  void backend_writes_ptx_and_header_with_the_launch_table_deterministically() {
    LoopModule m = LoopModule.of(LoopParser.parse(GpuScheduleTest.ELEMENTWISE, "m.loop"));
    CudaBackend backend = new CudaBackend("sm_90");
    Artifacts a = backend.compile(m, backend.target(), EmitOptions.of(Artifacts.Kind.ASSEMBLY));
    assertEquals(List.of("m.ptx", "m.h"), List.copyOf(a.files().keySet()));
    String ptx = new String(a.get(Artifacts.Kind.ASSEMBLY), StandardCharsets.UTF_8);
    assertTrue(ptx.contains(".target sm_90"), ptx);
    String h = new String(a.files().get("m.h"), StandardCharsets.UTF_8);
    assertTrue(h.contains("#define M_CUDA_NUM_LAUNCHES 1\n"), h);
    assertTrue(h.contains("#define M_CUDA_LAUNCH_0_KERNEL \"m_k0\"\n"), h);
    assertTrue(
      h.contains("#define M_CUDA_LAUNCH_0_BLOCKS 1\n#define M_CUDA_LAUNCH_0_THREADS 32\n"),
      h
    );
    assertTrue(h.contains("#define M_INPUT_0_DIMS { 4, 8 }"), h);
    assertFalse(h.contains("m_run("), h);
    assertTrue(h.contains("int m_cuda_run(m_cuda_t *ctx, const unsigned long long *inputs,"), h);
    Artifacts again = backend.compile(m, backend.target(), EmitOptions.of(Artifacts.Kind.ASSEMBLY));
    assertArrayEquals(a.files().get("m.ptx"), again.files().get("m.ptx"));
  }

  @Test
  void device_math_matches_the_host_libm(@TempDir Path dir)
    throws IOException, InterruptedException {
    Optional<Path> cc = onPath("cc");
    assumeTrue(cc.isPresent(), "skipped: no C compiler (cc) to build the math check");
    Path check = dir.resolve("gpu_math_check.c");
    try (var in = CudaBackendTest.class.getResourceAsStream("gpu_math_check.c")) {
      Files.write(check, in.readAllBytes());
    }
    Path exe = dir.resolve("gpu_math_check");
    run(
      dir,
      cc.get().toString(),
      "-O2",
      "-std=c11",
      "-Wall",
      "-Wextra",
      "-Werror",
      "-pedantic",
      check.toString(),
      RuntimeC.unpacked().resolve("gpu/math.c").toString(),
      "-lm",
      "-o",
      exe.toString()
    );
    String out = run(dir, exe.toString());
    System.out.print(out);
  }

  private static final String TWO_LAUNCHES = """
    loop.func @m workspace 1200 {
      input %in0: buffer<300xf32> "x"
      input %in1: buffer<300xf32> "w"
      output %out0: buffer<300xf32> "y"
      workspace %t0: buffer<300xf32> at 0
      for %i = 0 to 300 {
        %t0[%i] = mul(%in0[%i], %in1[%i])
      }
      for %j = 0 to 300 {
        %out0[%j] = add(%t0[%j], 1.0:f32)
      }
    }
    """;

  @Test
  void host_plan_drives_a_fake_driver_through_create_run_and_destroy(@TempDir Path dir)
    throws IOException, InterruptedException {
    Optional<Path> cc = onPath("cc");
    assumeTrue(cc.isPresent(), "skipped: no C compiler (cc) to build the host plan");
    LoopModule m = LoopModule.of(LoopParser.parse(TWO_LAUNCHES, "m.loop"));
    CudaBackend backend = new CudaBackend(null);
    Artifacts a = backend.compile(
      m,
      backend.target(),
      EmitOptions.of(Artifacts.Kind.ASSEMBLY, Artifacts.Kind.C_SOURCE)
    );
    for (var f : a.files().entrySet()) {
      Files.write(dir.resolve(f.getKey()), f.getValue());
    }
    for (String resource : List.of("fake_libcuda.c", "host_plan_main.c")) {
      try (var in = CudaBackendTest.class.getResourceAsStream(resource)) {
        Files.write(dir.resolve(resource), in.readAllBytes());
      }
    }
    Path fake = dir.resolve("fake");
    Files.createDirectories(fake);
    String c = cc.get().toString();
    run(
      dir,
      c,
      "-std=c11",
      "-Wall",
      "-Wextra",
      "-Werror",
      "-shared",
      "-fPIC",
      "fake_libcuda.c",
      "-ldl",
      "-o",
      fake.resolve("libcuda.so.1").toString()
    );
    run(
      dir,
      c,
      "-std=c11",
      "-Wall",
      "-Wextra",
      "-Werror",
      "-pedantic",
      "-O2",
      "host_plan_main.c",
      "m_host.c",
      "-ldl",
      "-o",
      "main"
    );
    GpuSchedule.Scheduled scheduled = GpuSchedule.of(m);
    Path twins = dir.resolve("twins.so");
    Files.write(
      twins,
      PtxCodegen.twins(scheduled.func(), Targets.resolve(Targets.host().name(), null))
    );
    Path log = dir.resolve("driver.log");
    String out = run(
      dir,
      Map.of(
        "LD_LIBRARY_PATH",
        fake.toString(),
        "KILN_FAKE_CUDA_LOG",
        log.toString(),
        "KILN_FAKE_CUDA_TWINS",
        twins.toString()
      ),
      "./main"
    );
    List<String> lines = out.lines().toList();
    assertEquals(List.of("create 0 ok", "run_host 0 ok"), lines.subList(0, 2));
    float[] x = new float[300];
    float[] w = new float[300];
    for (int i = 0; i < 300; i++) {
      x[i] = (float) (i % 7) / 4 - 0.5f;
      w[i] = (float) (i % 5) / 2 + 0.25f;
    }
    Tensor want = LoopInterpreter.run(m.func(), List.of(f32(x), f32(w))).getFirst();
    for (int i = 0; i < 300; i++) {
      assertEquals((float) want.getDouble(i), Float.parseFloat(lines.get(2 + i)), "y[" + i + "]");
    }
    String ptxBytes = Integer.toString(a.get(Artifacts.Kind.ASSEMBLY).length);
    assertEquals(
      List.of(
        "init 0",
        "device 0",
        "retain 0",
        "load " + ptxBytes + " bytes",
        "function m_k0",
        "function m_k1",
        "alloc #0 1200 bytes",
        "alloc #1 1200 bytes",
        "alloc #2 1200 bytes",
        "alloc #3 1200 bytes",
        "copy-in #0 1200 bytes",
        "copy-in #1 1200 bytes",
        "launch m_k0 grid 2 block 256",
        "  arg #0+0",
        "  arg #1+0",
        "  arg #2+0",
        "  arg #3+0",
        "launch m_k1 grid 2 block 256",
        "  arg #0+0",
        "  arg #1+0",
        "  arg #2+0",
        "  arg #3+0",
        "synchronize",
        "copy-out #2 1200 bytes",
        "free #0",
        "free #1",
        "free #2",
        "free #3",
        "unload",
        "release 0"
      ),
      Files.readAllLines(log)
    );
    String without = run(dir, Map.of("LD_LIBRARY_PATH", dir.resolve("none").toString()), "./main");
    assumeTrue(without.startsWith("create 1"), "skipped: this machine has a CUDA driver");
    assertEquals("create 1 no CUDA driver found (libcuda.so.1 does not load)\n", without);
  }

  private static Tensor f32(float[] values) {
    java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(4 * values.length).order(
      java.nio.ByteOrder.LITTLE_ENDIAN
    );
    for (float v : values) {
      b.putFloat(v);
    }
    return Tensor.ofBytes(
      new dev.kiln.ir.TensorType(dev.kiln.ir.ElementType.F32, dev.kiln.ir.Shape.of(values.length)),
      b.array()
    );
  }

  private static String run(Path dir, String... cmd) throws IOException, InterruptedException {
    return run(dir, Map.of(), cmd);
  }

  private static String run(Path dir, Map<String, String> env, String... cmd)
    throws IOException, InterruptedException {
    Path log = dir.resolve("log.txt");
    ProcessBuilder b = new ProcessBuilder(cmd);
    b.environment().putAll(env);
    Process p = b
      .directory(dir.toFile())
      .redirectErrorStream(true)
      .redirectOutput(log.toFile())
      .start();
    assertTrue(p.waitFor(120, TimeUnit.SECONDS), "timed out: " + String.join(" ", cmd));
    String out = Files.readString(log);
    assertEquals(0, p.exitValue(), String.join(" ", cmd) + "\n" + out);
    return out;
  }

  private static Optional<Path> onPath(String name) {
    for (String d : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
      Path p = Path.of(d.isEmpty() ? "." : d, name);
      if (Files.isExecutable(p)) {
        return Optional.of(p);
      }
    }
    return Optional.empty();
  }
}
