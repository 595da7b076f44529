package dev.kiln.nativecode;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.kiln.emit.Toolchain;
import dev.kiln.io.Npy;
import dev.kiln.ir.ElementType;
import dev.kiln.ir.Shape;
import dev.kiln.ir.Tensor;
import dev.kiln.ir.TensorType;
import dev.kiln.testing.Cli;
import dev.kiln.testing.OnnxModels;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code kiln compile} end to end: the files it writes, their determinism, the header and harness
 * under strict warnings and sanitizers, numbers against the interpreter, cross targets, and its
 * refusals. Tests that link need the system C compiler and skip without it.
 */
class NativeCompileTest {

  static final Path DIGITS = Path.of("../examples/digits.onnx");

  private static void assumeCc() {
    assumeTrue(Toolchain.find("cc").isPresent(), "skipped: no C compiler (cc) to link native code");
  }

  private static Cli.Result ok(String... args) {
    Cli.Result r = Cli.run(args);
    assertEquals(0, r.status(), () -> String.join(" ", args) + "\n" + r.err());
    return r;
  }

  @Test
  void objectAndHeaderAreByteIdenticalAcrossRuns(@TempDir Path tmp) throws IOException {
    Path a = tmp.resolve("a");
    Path b = tmp.resolve("b");
    ok("compile", DIGITS.toString(), "--name", "digits", "-o", a.toString());
    ok("compile", DIGITS.toString(), "--name", "digits", "-o", b.toString());
    for (String f : List.of("digits.o", "digits.h")) {
      assertArrayEquals(Files.readAllBytes(a.resolve(f)), Files.readAllBytes(b.resolve(f)), f);
    }
    byte[] o = Files.readAllBytes(a.resolve("digits.o"));
    assertEquals(0x7f, o[0]);
    assertEquals('E', o[1]);
    assertEquals(62, o[18] & 0xff, "e_machine of an x86-64 object");
    String h = Files.readString(a.resolve("digits.h"));
    assertTrue(h.contains("#define DIGITS_INPUT_0_NAME \"image\""), h);
    assertTrue(h.contains("#define DIGITS_INPUT_0_DIMS { 1, 64 }"), h);
    assertTrue(h.contains("#define DIGITS_OUTPUT_0_NAME \"probabilities\""), h);
    assertTrue(h.contains("int digits_run(const void *const *inputs, void *const *outputs,"), h);
    try (var files = Files.list(a)) {
      assertEquals(2, files.count(), "only the object and the header by default");
    }
  }

  @Test
  void everyEmitKindIsWritten(@TempDir Path tmp) throws IOException {
    ok(
      "compile",
      DIGITS.toString(),
      "--name",
      "net",
      "--emit",
      "obj,header,so,asm,llvm,ir,loop,harness",
      "-o",
      tmp.toString()
    );
    for (String f : List.of(
      "net.o",
      "net.h",
      "net.so",
      "net.s",
      "net.ll",
      "net.kir",
      "net.loop",
      "net_harness.c"
    )) {
      assertTrue(Files.isRegularFile(tmp.resolve(f)), f);
    }
    if (tmp.getFileSystem().supportedFileAttributeViews().contains("posix")) {
      Path plain = Files.writeString(tmp.resolve("plain.txt"), "x");
      for (String f : List.of("net.o", "net.h", "net.so")) {
        assertEquals(
          Files.getPosixFilePermissions(plain),
          Files.getPosixFilePermissions(tmp.resolve(f)),
          f + ": permissions as for any new file under this umask, not a private temporary's"
        );
      }
    }
    byte[] so = Files.readAllBytes(tmp.resolve("net.so"));
    assertEquals(3, so[16], "e_type of a shared object (ET_DYN)");
  }

  @Test
  void nativeRunMatchesTheInterpreter(@TempDir Path tmp) throws IOException {
    assumeCc();
    SplittableRandom r = new SplittableRandom(3);
    double[] v = new double[64];
    for (int i = 0; i < v.length; i++) {
      v[i] = r.nextDouble();
    }
    Path in = tmp.resolve("image.npy");
    Npy.write(in, Tensor.ofDoubles(new TensorType(ElementType.F32, Shape.of(1, 64)), v));
    for (String backend : List.of("interp", "native")) {
      ok(
        "run",
        DIGITS.toString(),
        "--input",
        "image=" + in,
        "--backend",
        backend,
        "--output-dir",
        tmp.resolve(backend).toString()
      );
    }
    double[] want = Npy.read(tmp.resolve("interp/output_0.npy")).toDoubles();
    double[] got = Npy.read(tmp.resolve("native/output_0.npy")).toDoubles();
    assertEquals(want.length, got.length);
    for (int i = 0; i < want.length; i++) {
      assertEquals(want[i], got[i], 1e-5 + 1e-4 * Math.abs(want[i]), "element " + i);
    }
  }

  /** The header and harness under -Werror -pedantic, then run under ASan and UBSan. */
  @Test
  void harnessesRunCleanUnderSanitizers(@TempDir Path tmp) throws IOException {
    assumeCc();
    Path conv = tmp.resolve("conv.onnx");
    Files.write(conv, OnnxModels.model(OnnxModels.convReluGemmAdd()).toByteArray());
    record Case(Path model, String name, List<String> inputs) {}
    List<Case> cases = List.of(
      new Case(DIGITS, "digits", List.of("1x64")),
      new Case(conv, "conv", List.of("1x3x8x8", "1x10"))
    );
    for (Case c : cases) {
      Path dir = tmp.resolve(c.name());
      ok(
        "compile",
        c.model().toString(),
        "--name",
        c.name(),
        "--emit",
        "obj,harness",
        "-o",
        dir.toString()
      );
      List<String> cmd = new ArrayList<>(
        List.of("cc", "-g", "-fsanitize=address,undefined", "-fno-sanitize-recover=all")
      );
      cmd.addAll(Toolchain.STRICT);
      cmd.addAll(List.of(c.name() + "_harness.c", c.name() + ".o", "-lm", "-o", c.name()));
      Toolchain.Result link = Toolchain.exec(cmd, dir, 120);
      assertEquals(0, link.exit(), link.output());
      List<String> run = new ArrayList<>(List.of("./" + c.name()));
      for (int i = 0; i < c.inputs().size(); i++) {
        long[] dims = parse(c.inputs().get(i));
        long n = 1;
        for (long d : dims) {
          n *= d;
        }
        double[] v = new double[(int) n];
        SplittableRandom r = new SplittableRandom(i);
        for (int k = 0; k < v.length; k++) {
          v[k] = r.nextDouble() - 0.5;
        }
        Path f = dir.resolve("in" + i + ".npy");
        Npy.write(f, Tensor.ofDoubles(new TensorType(ElementType.F32, Shape.of(dims)), v));
        run.add(f.toString());
      }
      run.add(dir.resolve("out.npy").toString());
      Toolchain.Result r = Toolchain.exec(run, dir, 120);
      assertEquals(0, r.exit(), c.name() + ": " + r.output());
      assertFalse(r.output().contains("runtime error"), r.output());
      assertTrue(Files.size(dir.resolve("out.npy")) > 0);
    }
  }

  private static long[] parse(String dims) {
    String[] p = dims.split("x");
    long[] d = new long[p.length];
    for (int i = 0; i < p.length; i++) {
      d[i] = Long.parseLong(p[i]);
    }
    return d;
  }

  @Test
  void crossTargetsProduceObjectsForTheirMachines(@TempDir Path tmp) throws IOException {
    record Target(String triple, String cpu, int machine) {}
    for (Target t : List.of(
      new Target("aarch64-linux-gnu", "cortex-a72", 183),
      new Target("armv7a-linux-gnueabihf", "generic", 40),
      new Target("thumbv7em-none-eabihf", "cortex-m4", 40)
    )) {
      Path dir = tmp.resolve(t.triple());
      ok(
        "compile",
        DIGITS.toString(),
        "--target",
        t.triple(),
        "--cpu",
        t.cpu(),
        "-o",
        dir.toString()
      );
      byte[] o = Files.readAllBytes(dir.resolve("digits.o"));
      int machine = (o[18] & 0xff) | ((o[19] & 0xff) << 8);
      assertEquals(t.machine(), machine, t.triple());
    }
  }

  @Test
  void refusalsWriteNothing(@TempDir Path tmp) throws IOException {
    Cli.Result bad = Cli.run(
      "compile",
      DIGITS.toString(),
      "--name",
      "9lives",
      "-o",
      tmp.toString()
    );
    assertEquals(2, bad.status(), bad.err());
    assertTrue(bad.err().contains("--name 9lives: must be a C identifier"), bad.err());
    Cli.Result target = Cli.run(
      "compile",
      DIGITS.toString(),
      "--target",
      "mips",
      "-o",
      tmp.toString()
    );
    assertEquals(2, target.status(), target.err());
    assertTrue(target.err().contains("unknown target \"mips\""), target.err());
    try (var files = Files.list(tmp)) {
      assertEquals(0, files.count());
    }
    assertEquals(1, bad.err().strip().lines().count(), bad.err());
  }

  /**
   * An op without a native lowering, for the host and for {@code --target c}: exit 3, the op named
   * on one line, no files written.
   */
  @Test
  void unsupportedOpsExitThreeAndWriteNothing(@TempDir Path tmp) throws IOException {
    Path model = tmp.resolve("shift.onnx");
    int i32 = dev.kiln.onnx.proto.OnnxProto.TensorProto.DataType.INT32_VALUE;
    Files.write(
      model,
      OnnxModels.model(
        dev.kiln.onnx.proto.OnnxProto.GraphProto.newBuilder()
          .addInput(OnnxModels.typedInput("x", i32, 4))
          .addInput(OnnxModels.typedInput("n", i32, 4))
          .addNode(
            OnnxModels.withString(
              OnnxModels.node("BitShift", "shift", List.of("x", "n"), List.of("y")),
              "direction",
              "LEFT"
            )
          )
          .addOutput(OnnxModels.output("y"))
      ).toByteArray()
    );
    for (String target : List.of("x86_64-linux-gnu", "c")) {
      Path out = tmp.resolve("out-" + target);
      Files.createDirectory(out);
      Cli.Result r = Cli.run("compile", model.toString(), "--target", target, "-o", out.toString());
      assertEquals(3, r.status(), r.err());
      assertTrue(r.err().contains("the native backend does not support: nn.bit_shift"), r.err());
      assertEquals(1, r.err().strip().lines().count(), r.err());
      try (var files = Files.list(out)) {
        assertEquals(0, files.count(), target);
      }
    }
  }

  @Test
  void demoRecognizesTheDigits() {
    assumeCc();
    Cli.Result r = ok("demo");
    String out = r.out();
    assertTrue(out.contains("us per inference"), out);
    int correct = Integer.parseInt(out.replaceAll("(?s).*\\n(\\d+) of 10 correct.*", "$1"));
    assertTrue(correct >= 9, out);
  }

  @Test
  void aThreadCountOutOfRangeIsBadUsage() {
    for (String t : List.of("0", "1025")) {
      Cli.Result b = Cli.run("bench", DIGITS.toString(), "--threads", t);
      assertEquals(2, b.status(), b.err());
      assertEquals("../examples/digits.onnx: --threads must be in [1, 1024]", b.err().strip());
    }
  }

  @Test
  void benchReportsOrderedTimesAndSizes() {
    assumeCc();
    Cli.Result r = ok(
      "bench",
      DIGITS.toString(),
      "--cpu",
      "x86-64-v2",
      "--threads",
      "2",
      "--runs",
      "7",
      "--warmup",
      "2"
    );
    String out = r.out();
    assertTrue(out.contains("(x86-64-v2, X86_SSE kernels), 2 threads"), out);
    // 192 bytes of arena and, per thread, a packed 4 x 64 block of A (1 KiB).
    assertTrue(out.contains("object ") && out.contains("workspace 2240 bytes"), out);
    java.util.regex.Matcher m = java.util.regex.Pattern.compile(
      "7 runs after 2 warm-up: min ([0-9.]+) us, median ([0-9.]+) us, mean ([0-9.]+) us, " +
      "p90 ([0-9.]+) us, max ([0-9.]+) us"
    ).matcher(out);
    assertTrue(m.find(), out);
    double min = Double.parseDouble(m.group(1));
    double median = Double.parseDouble(m.group(2));
    double max = Double.parseDouble(m.group(5));
    assertTrue(min > 0 && min <= median && median <= max, out);
    Cli.Result bad = Cli.run("bench", DIGITS.toString(), "--runs", "0");
    assertEquals(2, bad.status(), bad.err());
    assertTrue(bad.err().contains("--runs must be in"), bad.err());
  }
}
