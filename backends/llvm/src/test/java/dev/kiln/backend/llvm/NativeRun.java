package dev.kiln.backend.llvm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import dev.kiln.ir.Shape;
import dev.kiln.ir.Tensor;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.loop.Buffer;
import dev.kiln.ir.loop.LoopFunc;
import dev.kiln.ir.loop.Scalar;
import java.io.File;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Links a compiled {@link LoopFunc} with a generated C driver and runs it: the driver reads each
 * input from {@code inN.bin} into 64-byte aligned memory, calls {@code NAME_run} and writes each
 * output to {@code outN.bin}. Natively with {@code cc}, or for AArch64 with {@code
 * aarch64-linux-gnu-gcc -static} under {@code qemu-aarch64}.
 */
final class NativeRun {

  /** How a program is linked and run on one target. */
  record Toolchain(String target, String compiler, List<String> runner) {
    static final Toolchain HOST = new Toolchain("x86_64-linux-gnu", "cc", List.of());
    static final Toolchain AARCH64 = new Toolchain(
      "aarch64-linux-gnu",
      "aarch64-linux-gnu-gcc",
      List.of("qemu-aarch64")
    );

    /** Null when every tool is on the PATH, else what is missing. */
    String missing() {
      List<String> tools = new ArrayList<>(runner);
      tools.add(compiler);
      for (String tool : tools) {
        if (!onPath(tool)) {
          return tool + " is not installed";
        }
      }
      return null;
    }
  }

  private NativeRun() {}

  static boolean onPath(String tool) {
    for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
      if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, tool))) {
        return true;
      }
    }
    return false;
  }

  /** Compiles {@code f}, links it with the driver for {@code tc}, runs it and returns the outputs. */
  static List<Tensor> run(Toolchain tc, LoopFunc f, List<Tensor> inputs, Path dir)
    throws IOException, InterruptedException {
    for (int i = 0; i < inputs.size(); i++) {
      Files.write(dir.resolve("in" + i + ".bin"), inputs.get(i).bytes());
    }
    runDriver(tc, f, driver(f), dir);
    List<Tensor> outputs = new ArrayList<>();
    for (int i = 0; i < f.outputs().size(); i++) {
      Buffer b = f.outputs().get(i);
      TensorType t = new TensorType(b.elem().elementType(), Shape.of(b.dims()));
      outputs.add(Tensor.ofBytes(t, Files.readAllBytes(dir.resolve("out" + i + ".bin"))));
    }
    return outputs;
  }

  /**
   * Compiles {@code f}, links it with the C program {@code driver} (which may include {@code
   * kiln/runtime.h}) for {@code tc}, runs it in {@code dir} and returns what it printed.
   */
  static String runDriver(Toolchain tc, LoopFunc f, String driver, Path dir)
    throws IOException, InterruptedException {
    byte[] object = LlvmCodegen.compile(f, Targets.resolve(tc.target(), null)).object();
    Files.write(dir.resolve("model.o"), object);
    Files.writeString(dir.resolve("driver.c"), driver, StandardCharsets.UTF_8);
    Path header = dir.resolve("include/kiln/runtime.h");
    Files.createDirectories(header.getParent());
    try (var in = NativeRun.class.getResourceAsStream("/kiln/runtime-c/include/kiln/runtime.h")) {
      Files.copy(in, header);
    }
    List<String> link = new ArrayList<>(
      List.of(tc.compiler(), "-std=c11", "-O1", "-Iinclude", "driver.c", "model.o", "-lm")
    );
    link.addAll(List.of("-o", "prog"));
    if (!tc.runner().isEmpty()) {
      link.add("-static");
    }
    exec(link, dir);
    List<String> cmd = new ArrayList<>(tc.runner());
    cmd.add(dir.resolve("prog").toString());
    return exec(cmd, dir);
  }

  private static String exec(List<String> cmd, Path dir) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
    p.getOutputStream().close();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(120, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      fail(String.join(" ", cmd) + " timed out");
    }
    assertEquals(0, p.exitValue(), String.join(" ", cmd) + " failed:\n" + out);
    return out;
  }

  static String driver(LoopFunc f) {
    StringBuilder c = new StringBuilder();
    c.append("#include <stdint.h>\n#include <stdio.h>\n#include <stdlib.h>\n#include <string.h>\n");
    c
      .append("int32_t ")
      .append(f.name())
      .append("_run(const void *const *inputs, void *const *outputs, void *workspace);\n");
    c.append("static void *buffer(size_t n) {\n");
    c.append("  void *p = aligned_alloc(64, (n + 64) / 64 * 64);\n");
    c.append("  if (!p) exit(3);\n  memset(p, 0xA5, (n + 64) / 64 * 64);\n  return p;\n}\n");
    c.append("int main(void) {\n  char name[32];\n  FILE *file;\n");
    int ni = f.inputs().size();
    int no = f.outputs().size();
    c.append("  void *in[").append(Math.max(ni, 1)).append("];\n");
    c.append("  void *out[").append(Math.max(no, 1)).append("];\n");
    for (int i = 0; i < ni; i++) {
      long n = f.inputs().get(i).bytes();
      c.append("  in[").append(i).append("] = buffer(").append(n).append(");\n");
      c.append("  snprintf(name, sizeof name, \"in%d.bin\", ").append(i).append(");\n");
      c.append("  file = fopen(name, \"rb\");\n");
      c.append("  if (!file || fread(in[").append(i).append("], 1, ").append(n);
      c.append(", file) != ").append(n).append(") return 4;\n  fclose(file);\n");
    }
    for (int i = 0; i < no; i++) {
      c.append("  out[").append(i).append("] = buffer(").append(f.outputs().get(i).bytes());
      c.append(");\n");
    }
    c.append("  void *ws = buffer(").append(f.workspaceBytes()).append(");\n");
    c.append("  if (").append(f.name()).append("_run((const void *const *) in, out, ws) != 0) ");
    c.append("return 5;\n");
    for (int i = 0; i < no; i++) {
      long n = f.outputs().get(i).bytes();
      c.append("  snprintf(name, sizeof name, \"out%d.bin\", ").append(i).append(");\n");
      c.append("  file = fopen(name, \"wb\");\n");
      c.append("  if (!file || fwrite(out[").append(i).append("], 1, ").append(n);
      c.append(", file) != ").append(n).append(") return 6;\n  fclose(file);\n");
    }
    c.append("  return 0;\n}\n");
    return c.toString();
  }

  /**
   * Asserts that {@code actual} equals {@code expected}: integers and booleans exactly, floats to
   * a relative 1e-6 (NaN matches NaN, infinities and zeros exactly).
   */
  static void assertClose(Buffer b, Tensor expected, Tensor actual) {
    Scalar t = b.elem();
    ByteBuffer e = ByteBuffer.wrap(expected.bytes()).order(ByteOrder.LITTLE_ENDIAN);
    ByteBuffer a = ByteBuffer.wrap(actual.bytes()).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < b.length(); i++) {
      int at = i * t.bytes();
      if (!t.isFloat()) {
        long x = t.bytes() == 1
          ? e.get(at)
          : t.bytes() == 2 ? e.getShort(at) : t.bytes() == 4 ? e.getInt(at) : e.getLong(at);
        long y = t.bytes() == 1
          ? a.get(at)
          : t.bytes() == 2 ? a.getShort(at) : t.bytes() == 4 ? a.getInt(at) : a.getLong(at);
        assertEquals(x, y, b + "[" + i + "] of " + t);
        continue;
      }
      double x = value(t, e, at);
      double y = value(t, a, at);
      boolean ok = Double.isNaN(x)
        ? Double.isNaN(y)
        : x == y || Math.abs(x - y) <= 1e-6 * Math.max(Math.abs(x), Math.abs(y));
      if (!ok) {
        fail(b + "[" + i + "] of " + t + ": expected " + x + ", got " + y);
      }
    }
  }

  private static double value(Scalar t, ByteBuffer m, int at) {
    return switch (t) {
      case F16 -> Float.float16ToFloat(m.getShort(at));
      case BF16 -> Float.intBitsToFloat((m.getShort(at) & 0xffff) << 16);
      case F32 -> m.getFloat(at);
      default -> m.getDouble(at);
    };
  }
}
