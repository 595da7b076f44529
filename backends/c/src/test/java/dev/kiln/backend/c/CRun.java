package dev.kiln.backend.c;

import dev.kiln.backend.Artifacts;
import dev.kiln.backend.EmitOptions;
import dev.kiln.backend.LoopModule;
import dev.kiln.ir.Tensor;
import dev.kiln.ir.loop.Buffer;
import dev.kiln.ir.loop.LoopFunc;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Test support: builds a function's C with the host's {@code cc} under the strict C99 flags, links
 * it with a driver that embeds the inputs and prints each output's bytes in hex, and runs it.
 */
final class CRun {

  static final List<String> STRICT = List.of(
    "-std=c99",
    "-Wall",
    "-Wextra",
    "-Werror",
    "-pedantic"
  );

  private CRun() {}

  /** The host C compiler, if there is one on {@code PATH}. */
  static Optional<String> cc() {
    for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
      Path p = Path.of(dir.isEmpty() ? "." : dir, "cc");
      if (Files.isExecutable(p)) {
        return Optional.of(p.toString());
      }
    }
    return Optional.empty();
  }

  /** Writes the C backend's files for {@code module} into {@code dir}. */
  static void write(LoopModule module, Path dir) throws IOException {
    Artifacts a = new CBackend().compile(
      module,
      CBackend.PORTABLE,
      EmitOptions.of(Artifacts.Kind.C_SOURCE)
    );
    for (var e : a.files().entrySet()) {
      Path p = dir.resolve(e.getKey());
      Files.createDirectories(p.getParent());
      Files.write(p, e.getValue());
    }
  }

  /** The output bytes of {@code f} on {@code inputs}, computed by the compiled C. */
  static List<byte[]> run(LoopFunc f, List<Tensor> inputs, Path dir) throws Exception {
    write(LoopModule.of(f), dir);
    String name = f.name();
    StringBuilder d = new StringBuilder();
    d.append("#include \"").append(name).append(".h\"\n#include <stdio.h>\n");
    for (int i = 0; i < inputs.size(); i++) {
      byte[] bytes = inputs.get(i).bytes();
      d.append("static _Alignas(64) const unsigned char in").append(i).append("[");
      d.append(Math.max(1, bytes.length)).append("] = {");
      for (byte b : bytes) {
        d.append(b & 0xff).append(',');
      }
      d.append(bytes.length == 0 ? "0" : "").append("};\n");
    }
    for (Buffer b : f.outputs()) {
      d.append("static _Alignas(64) unsigned char out").append(b.param()).append("[");
      d.append(Math.max(1, b.bytes())).append("];\n");
    }
    d.append("static _Alignas(64) unsigned char ws[").append(f.workspaceBytes() + 64);
    d.append("];\nint main(void) {\n  const void *ins[] = {0");
    for (int i = 0; i < inputs.size(); i++) {
      d.append(", in").append(i);
    }
    d.append("};\n  void *outs[] = {0");
    for (Buffer b : f.outputs()) {
      d.append(", out").append(b.param());
    }
    d.append("};\n  if (").append(name).append("_run(ins + 1, outs + 1, ws) != 0) {\n");
    d.append("    return 1;\n  }\n");
    for (Buffer b : f.outputs()) {
      d.append("  for (int i = 0; i < ").append(b.bytes()).append("; i++) {\n");
      d.append("    printf(\"%02x\", out").append(b.param()).append("[i]);\n  }\n");
      d.append("  printf(\"\\n\");\n");
    }
    d.append("  return 0;\n}\n");
    Files.writeString(dir.resolve("driver.c"), d);
    List<String> cmd = new ArrayList<>(List.of(cc().orElseThrow(), "-O2"));
    cmd.addAll(STRICT);
    cmd.addAll(List.of("-I" + dir.resolve("runtime-c/include"), "-c", name + ".c"));
    exec(cmd, dir);
    exec(
      List.of(cc().orElseThrow(), "-std=c11", "driver.c", name + ".o", "-lm", "-o", "driver"),
      dir
    );
    String out = exec(List.of(dir.resolve("driver").toString()), dir);
    List<byte[]> outputs = new ArrayList<>();
    for (String line : out.strip().split("\n", -1)) {
      outputs.add(HexFormat.of().parseHex(line.strip()));
    }
    return outputs;
  }

  /** Runs {@code cmd} in {@code dir}; its output, or an assertion error saying why it failed. */
  static String exec(List<String> cmd, Path dir) throws Exception {
    Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
    byte[] out = p.getInputStream().readAllBytes();
    if (!p.waitFor(300, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new AssertionError(
        String.join(" ", cmd) + " failed: " + new String(out, StandardCharsets.UTF_8)
      );
    }
    return new String(out, StandardCharsets.UTF_8);
  }
}
