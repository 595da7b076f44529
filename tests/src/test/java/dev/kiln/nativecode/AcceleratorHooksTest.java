package dev.kiln.nativecode;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.kiln.backend.Artifacts;
import dev.kiln.backend.Backend;
import dev.kiln.backend.CHeader;
import dev.kiln.backend.EmitOptions;
import dev.kiln.backend.LoopModule;
import dev.kiln.backend.c.CBackend;
import dev.kiln.backend.llvm.LlvmBackend;
import dev.kiln.emit.NativeCompiler;
import dev.kiln.emit.Toolchain;
import dev.kiln.ir.Func;
import dev.kiln.ir.text.ModuleParser;
import dev.kiln.lower.Lowering;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The accelerator hooks of {@code runtime-c/include/kiln/accel.h} in code from both backends: a
 * model calling every kind of kernel ({@code accel/model.kir}) is compiled to an LLVM object and to
 * C, linked with {@code accel/driver.c} and the runtime-c kernels the generated code does not
 * already define, and run through {@code net_run_ctx} with a counting
 * accelerator (computing with the runtime-c kernels: the outputs are those of {@code net_run}, one
 * call per kernel call), a declining one (outputs identical, the built-in kernels ran) and a
 * failing one (its status comes out of the run after its first call). Skips without {@code cc}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AcceleratorHooksTest {

  private static final Path KERNELS = Path.of("../runtime-c/kernels");
  private static final Path INCLUDE = Path.of("../runtime-c/include");
  private static final Map<String, Integer> CALLS = new LinkedHashMap<>();

  static {
    CALLS.put("gemm_f32", 1);
    CALLS.put("conv2d_f32", 1);
    CALLS.put("conv2d_winograd_f32", 0);
    CALLS.put("depthwise_conv2d_f32", 1);
    CALLS.put("maxpool2d_f32", 1);
    CALLS.put("avgpool2d_f32", 1);
    CALLS.put("gemm_s8s8s32", 1);
    CALLS.put("gemm_s8s8s8", 1);
    CALLS.put("conv2d_s8", 1);
  }

  private Func model;
  private final Map<String, Map<String, String>> results = new java.util.HashMap<>();

  @TempDir
  Path tmp;

  @BeforeAll
  void parse() throws IOException {
    try (InputStream in = getClass().getResourceAsStream("/accel/model.kir")) {
      model = ModuleParser.parse(new String(in.readAllBytes(), StandardCharsets.UTF_8), "model.kir")
        .funcs()
        .getFirst();
    }
  }

  /** The driver's three lines, keyed by the accelerator's name; built once per backend. */
  private synchronized Map<String, String> run(String backendName) throws IOException {
    Map<String, String> done = results.get(backendName);
    if (done == null) {
      done = build(backendName, Files.createDirectories(tmp.resolve(backendName)));
      results.put(backendName, done);
    }
    return done;
  }

  private Map<String, String> build(String backendName, Path dir) throws IOException {
    assumeTrue(Toolchain.find("cc").isPresent(), "skipped: no C compiler (cc)");
    Backend backend = backendName.equals("c")
      ? new CBackend()
      : new LlvmBackend(NativeCompiler.resolve(null, null));
    List<String> inputs = IntStream.range(0, model.arguments().size())
      .mapToObj(i -> "in" + i)
      .toList();
    List<String> outputs = IntStream.range(0, 5)
      .mapToObj(i -> "out" + i)
      .toList();
    LoopModule lowered = Lowering.lowerModule(
      model,
      "net",
      inputs,
      outputs,
      backend.target(),
      "model.kir"
    );
    Artifacts code = backend.compile(lowered, backend.target(), EmitOptions.of(backend.linkable()));
    List<Path> generated = new ArrayList<>();
    for (var e : code.files().entrySet()) {
      Path p = dir.resolve(e.getKey());
      Files.createDirectories(p.getParent());
      Files.write(p, e.getValue());
      if (!e.getKey().contains("/") && (e.getKey().endsWith(".c") || e.getKey().endsWith(".o"))) {
        generated.add(p);
      }
    }
    Path header = dir.resolve("net.h");
    if (!Files.exists(header)) {
      Files.writeString(header, CHeader.of(lowered.func(), "net", "model.kir"));
    }
    Path driver = dir.resolve("driver.c");
    try (InputStream in = getClass().getResourceAsStream("/accel/driver.c")) {
      Files.write(driver, in.readAllBytes());
    }
    Toolchain cc = Toolchain.host();
    List<Path> sources = new ArrayList<>(List.of(driver));
    List<Path> include = new ArrayList<>(List.of(dir));
    if (backend.linkable() == Artifacts.Kind.C_SOURCE) {
      include.add(dir.resolve("runtime-c/include"));
      sources.addAll(cc.compileC99(generated, include, dir));
    } else {
      sources.addAll(generated);
    }
    include.add(INCLUDE.toAbsolutePath());
    include.add(KERNELS.toAbsolutePath());
    try (Stream<Path> files = Files.list(KERNELS)) {
      files
        .filter(p -> p.toString().endsWith(".c"))
        .filter(p -> !Files.exists(dir.resolve("runtime-c/kernels").resolve(p.getFileName())))
        .sorted()
        .forEach(p -> sources.add(p.toAbsolutePath()));
    }
    Path exe = dir.resolve("driver");
    cc.link(sources, include, exe, true);
    Toolchain.Result r = cc.run(exe, List.of(), dir, 120);
    assertEquals(0, r.exit(), r.output());
    Map<String, String> lines = new LinkedHashMap<>();
    r
      .output()
      .lines()
      .forEach(l -> lines.put(l.split(" ", 2)[0], l));
    return lines;
  }

  private static String calls(Map<String, Integer> counts) {
    StringBuilder s = new StringBuilder();
    counts.forEach((k, v) -> s.append(' ').append(k).append('=').append(v));
    return s.toString();
  }

  @ParameterizedTest
  @ValueSource(strings = { "llvm", "c" })
  void counting_accelerator_takes_every_kernel_call_with_identical_outputs(String backend)
    throws IOException {
    assertEquals("counting status=0 identical=1" + calls(CALLS), run(backend).get("counting"));
  }

  @ParameterizedTest
  @ValueSource(strings = { "llvm", "c" })
  void declining_accelerator_leaves_the_outputs_identical(String backend) throws IOException {
    assertEquals("declining status=0 identical=1" + calls(CALLS), run(backend).get("declining"));
  }

  @ParameterizedTest
  @ValueSource(strings = { "llvm", "c" })
  void failing_accelerator_status_comes_out_of_the_run(String backend) throws IOException {
    String line = run(backend).get("failing");
    assertTrue(line.startsWith("failing status=5 "), line);
    long total = Stream.of(line.split(" "))
      .filter(w -> w.contains("=") && !w.startsWith("status") && !w.startsWith("identical"))
      .mapToLong(w -> Long.parseLong(w.substring(w.indexOf('=') + 1)))
      .sum();
    assertEquals(1, total, "the run stops at the first failing call: " + line);
  }
}
