package dev.kiln.bench;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The host's single-thread FP32 peak, measured: {@code peak.c} (independent FMA chains on the
 * widest vector ISA the compiler enables) built with {@code cc -O2 -march=native} and run once.
 *
 * @param isa the instruction set the kernel used ({@code AVX-512}, {@code AVX2+FMA}, ...)
 * @param gflops the best of the kernel's timed passes, in GFLOP/s (an FMA is two flops per lane)
 */
record Peak(String isa, double gflops) {
  /** Builds and runs the kernel in {@code dir}. */
  static Peak measure(Path dir) throws IOException, InterruptedException {
    Path source = dir.resolve("peak.c");
    try (InputStream in = Peak.class.getResourceAsStream("peak.c")) {
      Files.copy(in, source);
    }
    Path exe = dir.resolve("peak");
    run(List.of("cc", "-std=c11", "-O2", "-march=native", source.toString(), "-o", exe.toString()));
    String out = run(List.of(exe.toString())).strip();
    int last = out.lastIndexOf(' ');
    int gflops = out.lastIndexOf(' ', last - 1);
    return new Peak(out.substring(0, gflops), Double.parseDouble(out.substring(gflops + 1, last)));
  }

  private static String run(List<String> cmd) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    p.getOutputStream().close();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
      p.destroyForcibly();
      throw new IOException(String.join(" ", cmd) + " failed:\n" + out);
    }
    return out;
  }
}
