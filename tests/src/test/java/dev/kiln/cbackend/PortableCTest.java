package dev.kiln.cbackend;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.kiln.backend.llvm.Clang;
import dev.kiln.emit.Toolchain;
import dev.kiln.io.Npy;
import dev.kiln.ir.Tensor;
import dev.kiln.testing.Cli;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@code kiln compile --target c} end to end: the files, their determinism, warning-free builds of
 * {@code examples/digits.onnx} and {@code ch_ppocr_mobile_v2.0_cls_infer.onnx} with gcc, clang
 * (the bundled one: no system clang is assumed) and the cross compilers under {@code -std=c99
 * -Wall -Wextra -Werror -pedantic -O2} (and {@code -Wvla}), {@code kiln run --backend c} against
 * the interpreter, and
 * the refusals. Each compiler that is not installed is skipped with a message.
 */
class PortableCTest {

  static final Path DIGITS = Path.of("../examples/digits.onnx");
  static final Path PPOCR_CLS = Path.of("../../shared/models/ch_ppocr_mobile_v2.0_cls_infer.onnx");
  static final List<String> STRICT = Toolchain.STRICT_C99;

  static Stream<Arguments> models() {
    return Stream.of(
      Arguments.of("digits", DIGITS, List.of()),
      Arguments.of("ppocr_cls", PPOCR_CLS, List.of("--input", "x=1x3x48x192"))
    );
  }

  private static Cli.Result ok(List<String> args) {
    Cli.Result r = Cli.run(args.toArray(String[]::new));
    assertEquals(0, r.status(), () -> String.join(" ", args) + "\n" + r.err());
    return r;
  }

  /** Compiles {@code model} with {@code --target c} into {@code dir}; the C files to build. */
  private static List<Path> compile(String name, Path model, List<String> extra, Path dir) {
    assumeTrue(
      Files.isRegularFile(model),
      "skipped: " + model.toAbsolutePath().normalize() + " is absent"
    );
    List<String> args = new ArrayList<>(
      List.of("compile", model.toString(), "--target", "c", "--name", name, "-o", dir.toString())
    );
    args.addAll(extra);
    ok(args);
    List<Path> sources = new ArrayList<>(List.of(dir.resolve(name + ".c")));
    if (Files.exists(dir.resolve(name + "_kernels.c"))) {
      sources.add(dir.resolve(name + "_kernels.c"));
    }
    return sources;
  }

  private static void build(List<String> compiler, Path dir, List<Path> sources) throws Exception {
    List<String> cmd = new ArrayList<>(compiler);
    cmd.addAll(List.of("-O2", "-Wvla"));
    cmd.addAll(STRICT);
    cmd.addAll(List.of("-I" + dir.resolve("runtime-c/include"), "-c"));
    sources.forEach(s -> cmd.add(s.toString()));
    Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(600, TimeUnit.SECONDS), String.join(" ", cmd) + " timed out");
    assertEquals(0, p.exitValue(), String.join(" ", cmd) + "\n" + out);
    assertEquals("", out.strip(), "no diagnostics from " + String.join(" ", cmd));
  }

  @Test
  void output_is_byte_identical_across_runs(@TempDir Path tmp) throws IOException {
    compile("digits", DIGITS, List.of(), tmp.resolve("a"));
    compile("digits", DIGITS, List.of(), tmp.resolve("b"));
    Map<String, byte[]> a = files(tmp.resolve("a"));
    Map<String, byte[]> b = files(tmp.resolve("b"));
    assertEquals(a.keySet(), b.keySet());
    for (String f : a.keySet()) {
      assertArrayEquals(a.get(f), b.get(f), f);
    }
    assertTrue(a.containsKey("digits.c") && a.containsKey("digits.h"), a.keySet().toString());
    assertTrue(a.containsKey("runtime-c/kernels/gemm_f32.c"), a.keySet().toString());
    String c = new String(a.get("digits.c"), StandardCharsets.UTF_8);
    assertTrue(c.contains("/* nn.gemm \"hidden\" */\nstatic int32_t gemm_0("), c);
    assertTrue(c.contains("static KILN_ALIGNED(64) const float c"), c);
    List<String> includes = c
      .lines()
      .filter(l -> l.startsWith("#include <"))
      .toList();
    assertEquals(
      List.of("#include <math.h>", "#include <stddef.h>", "#include <stdint.h>"),
      includes,
      "no libc beyond math.h, stddef.h, stdint.h (and string.h for the 16-bit floats)"
    );
  }

  private static Map<String, byte[]> files(Path dir) throws IOException {
    Map<String, byte[]> out = new TreeMap<>();
    try (Stream<Path> walk = Files.walk(dir)) {
      for (Path p : walk.filter(Files::isRegularFile).toList()) {
        out.put(dir.relativize(p).toString(), Files.readAllBytes(p));
      }
    }
    return out;
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("models")
  void builds_warning_free_with_gcc_and_clang(
    String name,
    Path model,
    List<String> extra,
    @TempDir Path tmp
  ) throws Exception {
    List<Path> sources = compile(name, model, extra, tmp);
    assumeTrue(Toolchain.find("gcc").isPresent(), "skipped: gcc is not installed");
    build(List.of("gcc"), tmp, sources);
    List<String> flags = new ArrayList<>(List.of("-O2"));
    flags.addAll(STRICT);
    flags.add("-I" + tmp.resolve("runtime-c/include"));
    Clang.bundled().compileHostC(flags, sources, tmp);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("models")
  void builds_warning_free_for_cortex_m4(
    String name,
    Path model,
    List<String> extra,
    @TempDir Path tmp
  ) throws Exception {
    assumeTrue(
      Toolchain.find("arm-none-eabi-gcc").isPresent(),
      "skipped: arm-none-eabi-gcc is not installed (apt-get install gcc-arm-none-eabi libnewlib-arm-none-eabi)"
    );
    List<Path> sources = compile(name, model, extra, tmp);
    build(
      List.of(
        "arm-none-eabi-gcc",
        "-mcpu=cortex-m4",
        "-mthumb",
        "-mfloat-abi=hard",
        "-mfpu=fpv4-sp-d16"
      ),
      tmp,
      sources
    );
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("models")
  void builds_warning_free_for_aarch64_linux(
    String name,
    Path model,
    List<String> extra,
    @TempDir Path tmp
  ) throws Exception {
    assumeTrue(
      Toolchain.find("aarch64-linux-gnu-gcc").isPresent(),
      "skipped: aarch64-linux-gnu-gcc is not installed (apt-get install gcc-aarch64-linux-gnu)"
    );
    build(List.of("aarch64-linux-gnu-gcc"), tmp, compile(name, model, extra, tmp));
  }

  @Test
  void run_backend_c_matches_the_interpreter(@TempDir Path tmp) throws IOException {
    assumeTrue(Toolchain.find("cc").isPresent(), "skipped: no C compiler (cc)");
    float[] image = new float[64];
    for (int i = 0; i < image.length; i++) {
      image[i] = ((i * 37) % 17) / 16f;
    }
    Tensor in = Tensor.ofDoubles(
      new dev.kiln.ir.TensorType(dev.kiln.ir.ElementType.F32, dev.kiln.ir.Shape.of(1, 64)),
      toDoubles(image)
    );
    Path input = tmp.resolve("image.npy");
    Files.write(input, Npy.encode(in));
    double[][] got = new double[2][];
    int k = 0;
    for (String backend : List.of("c", "interp")) {
      Path out = tmp.resolve(backend);
      ok(
        List.of(
          "run",
          DIGITS.toString(),
          "--backend",
          backend,
          "--input",
          "image=" + input,
          "--output-dir",
          out.toString()
        )
      );
      got[k++] = Npy.read(out.resolve("output_0.npy")).toDoubles();
    }
    assertEquals(10, got[0].length);
    for (int i = 0; i < 10; i++) {
      assertEquals(got[1][i], got[0][i], 1e-5 + 1e-4 * Math.abs(got[1][i]), "probability " + i);
    }
  }

  private static double[] toDoubles(float[] f) {
    double[] d = new double[f.length];
    for (int i = 0; i < f.length; i++) {
      d[i] = f[i];
    }
    return d;
  }

  @Test
  void refusals_exit_two_and_write_nothing(@TempDir Path tmp) throws IOException {
    List<List<String>> bad = List.of(
      List.of(
        "compile",
        DIGITS.toString(),
        "--target",
        "c",
        "--cpu",
        "cortex-m4",
        "-o",
        tmp.toString()
      ),
      List.of("compile", DIGITS.toString(), "--target", "c", "--emit", "obj", "-o", tmp.toString()),
      List.of("compile", DIGITS.toString(), "--weights-file", "-o", tmp.toString()),
      List.of(
        "compile",
        DIGITS.toString(),
        "--target",
        "x86_64-linux-gnu",
        "--emit",
        "c",
        "-o",
        tmp.toString()
      ),
      List.of(
        "run",
        DIGITS.toString(),
        "--backend",
        "c",
        "--target",
        "aarch64-linux-gnu",
        "--output-dir",
        tmp.toString()
      )
    );
    for (List<String> args : bad) {
      Cli.Result r = Cli.run(args.toArray(String[]::new));
      assertEquals(2, r.status(), String.join(" ", args) + "\n" + r.err());
      assertEquals(1, r.err().strip().lines().count(), r.err());
    }
    try (var files = Files.list(tmp)) {
      assertEquals(0, files.count());
    }
  }

  @Test
  void weights_file_blob_runs_through_run_ctx(@TempDir Path tmp) throws Exception {
    assumeTrue(Toolchain.find("cc").isPresent(), "skipped: no C compiler (cc)");
    List<Path> sources = compile("digits", DIGITS, List.of("--weights-file"), tmp);
    String c = Files.readString(tmp.resolve("digits.c"));
    assertTrue(!c.contains("static KILN_ALIGNED(64) const"), "no weights in digits.c");
    String header = Files.readString(tmp.resolve("digits.h"));
    long blob = Files.size(tmp.resolve("digits_weights.bin"));
    assertTrue(header.contains("#define DIGITS_WEIGHTS_SIZE " + blob + "\n"), header);
    build(List.of("gcc"), tmp, sources);
    Path driver = tmp.resolve("driver.c");
    try (var in = getClass().getResourceAsStream("/weights/driver.c")) {
      Files.write(driver, in.readAllBytes());
    }
    List<Path> objects = new ArrayList<>(List.of(driver));
    sources.forEach(s -> objects.add(tmp.resolve(s.getFileName().toString().replace(".c", ".o"))));
    Toolchain.host().link(
      objects,
      List.of(tmp, tmp.resolve("runtime-c/include")),
      tmp.resolve("d"),
      false
    );
    float[] image = new float[64];
    List<String> args = new ArrayList<>();
    for (int i = 0; i < image.length; i++) {
      image[i] = ((i * 37) % 17) / 16f;
      args.add(Float.toString(image[i]));
    }
    Toolchain.Result r = Toolchain.host().run(tmp.resolve("d"), args, tmp, 60);
    assertEquals(0, r.exit(), r.output());
    List<String> lines = r.output().lines().toList();
    assertEquals("status 0", lines.get(0));
    assertEquals("without weights 1", lines.get(11), "KILN_ERR_BAD_ARGUMENT");
    assertEquals("misaligned 3", lines.get(12), "KILN_ERR_ALIGNMENT");
    Path input = tmp.resolve("image.npy");
    Files.write(
      input,
      Npy.encode(
        Tensor.ofDoubles(
          new dev.kiln.ir.TensorType(dev.kiln.ir.ElementType.F32, dev.kiln.ir.Shape.of(1, 64)),
          toDoubles(image)
        )
      )
    );
    Path out = tmp.resolve("interp");
    ok(
      List.of("run", DIGITS.toString(), "--input", "image=" + input, "--output-dir", out.toString())
    );
    double[] want = Npy.read(out.resolve("output_0.npy")).toDoubles();
    for (int i = 0; i < 10; i++) {
      double got = Double.parseDouble(lines.get(1 + i));
      assertEquals(want[i], got, 1e-5 + 1e-4 * Math.abs(want[i]), "probability " + i);
    }
  }
}
