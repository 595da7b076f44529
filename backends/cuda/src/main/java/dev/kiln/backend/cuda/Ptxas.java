package dev.kiln.backend.cuda;

import dev.kiln.ir.DiagnosticException;
import dev.kiln.ir.Location;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * NVIDIA's PTX assembler, when it is on {@code PATH}: {@link #check} assembles a PTX module for one
 * GPU architecture and turns a rejection into a one-line diagnostic. Kiln never needs it to
 * compile; tests use it to prove that the PTX the backend writes is valid.
 */
public final class Ptxas {

  private final Path executable;

  private Ptxas(Path executable) {
    this.executable = executable;
  }

  /** {@code ptxas} from {@code PATH}, if there is one. */
  public static Optional<Ptxas> find() {
    String path = System.getenv("PATH");
    if (path == null) {
      return Optional.empty();
    }
    for (String dir : path.split(java.io.File.pathSeparator)) {
      if (dir.isEmpty()) {
        continue;
      }
      Path p = Path.of(dir, "ptxas");
      if (Files.isExecutable(p)) {
        return Optional.of(new Ptxas(p));
      }
    }
    return Optional.empty();
  }

  public Path executable() {
    return executable;
  }

  /**
   * Assembles {@code ptx} for {@code arch} ({@code sm_80}, ...) and throws a diagnostic with
   * ptxas's first message when it refuses.
   */
  public void check(String ptx, String arch) {
    Path dir = null;
    try {
      dir = Files.createTempDirectory("kiln-ptxas");
      Path in = dir.resolve("module.ptx");
      Path out = dir.resolve("module.cubin");
      Path log = dir.resolve("log.txt");
      Files.writeString(in, ptx, StandardCharsets.UTF_8);
      Process p = new ProcessBuilder(
        List.of(executable.toString(), "-arch=" + arch, "-o", out.toString(), in.toString())
      )
        .redirectErrorStream(true)
        .redirectOutput(log.toFile())
        .start();
      if (!p.waitFor(300, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw DiagnosticException.error(Location.UNKNOWN, "ptxas -arch=" + arch + " timed out");
      }
      if (p.exitValue() != 0) {
        String first = Files.readAllLines(log, StandardCharsets.UTF_8)
          .stream()
          .filter(l -> !l.isBlank())
          .findFirst()
          .orElse("exit status " + p.exitValue());
        throw DiagnosticException.error(
          Location.UNKNOWN,
          "ptxas -arch=" + arch + " rejects the ptx: " + first.replace(in.toString(), "module.ptx")
        );
      }
    } catch (IOException e) {
      throw new IllegalStateException("cannot run " + executable, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while running ptxas", e);
    } finally {
      if (dir != null) {
        try (var files = Files.list(dir)) {
          for (Path f : files.toList()) {
            Files.deleteIfExists(f);
          }
          Files.deleteIfExists(dir);
        } catch (IOException ignored) {
          dir.toFile().deleteOnExit();
        }
      }
    }
  }
}
