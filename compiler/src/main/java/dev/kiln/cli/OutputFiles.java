package dev.kiln.cli;

import dev.kiln.ir.DiagnosticException;
import dev.kiln.ir.Location;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * Writes output files all or nothing: the bytes go to a temporary file beside the target, which is
 * renamed over it only when complete, so a failure never leaves a partial file behind.
 */
public final class OutputFiles {

  private OutputFiles() {}

  public static void write(Path target, String text) {
    write(target, text.getBytes(StandardCharsets.UTF_8));
  }

  public static void write(Path target, byte[] bytes) {
    Path dir = target.toAbsolutePath().getParent();
    Path tmp = null;
    try {
      Files.createDirectories(dir);
      tmp = Files.createTempFile(dir, "." + target.getFileName(), ".tmp");
      Files.write(tmp, bytes);
      try {
        Files.move(
          tmp,
          target,
          StandardCopyOption.ATOMIC_MOVE,
          StandardCopyOption.REPLACE_EXISTING
        );
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
      }
      tmp = null;
    } catch (IOException e) {
      throw DiagnosticException.error(
        Location.UNKNOWN,
        target + ": cannot write: " + e.getMessage()
      );
    } finally {
      if (tmp != null) {
        try {
          Files.deleteIfExists(tmp);
        } catch (IOException ignored) {
          // The write already failed and is being reported; a leftover temp file is secondary.
        }
      }
    }
  }
}
