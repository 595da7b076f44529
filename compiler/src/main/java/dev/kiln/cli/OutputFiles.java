package dev.kiln.cli;

import dev.kiln.ir.DiagnosticException;
import dev.kiln.ir.Location;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * Writes output files all or nothing: the bytes go to a temporary file beside the target, which is
 * renamed over it only when complete, so a failure never leaves a partial file behind.
 */
public final class OutputFiles {

  private OutputFiles() {}

  private static final Set<PosixFilePermission> READABLE = PosixFilePermissions.fromString(
    "rw-r--r--"
  );

  /**
   * A temporary file beside {@code name} in {@code dir}, created readable by all (as the umask
   * allows) like any file a compiler writes, rather than private like a usual temporary file.
   */
  private static Path stage(Path dir, String name) throws IOException {
    String prefix = "." + name;
    if (!dir.getFileSystem().supportedFileAttributeViews().contains("posix")) {
      return Files.createTempFile(dir, prefix, ".tmp");
    }
    return Files.createTempFile(
      dir,
      prefix,
      ".tmp",
      PosixFilePermissions.asFileAttribute(READABLE)
    );
  }

  public static void write(Path target, String text) {
    write(target, text.getBytes(StandardCharsets.UTF_8));
  }

  public static void write(Path target, byte[] bytes) {
    Path dir = target.toAbsolutePath().getParent();
    Path tmp = null;
    try {
      Files.createDirectories(dir);
      tmp = stage(dir, target.getFileName().toString());
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

  /**
   * Writes every file of {@code files} (name to bytes; a name may have folders, separated by
   * {@code /}) into {@code dir}: all are written to temporary names first and renamed only when
   * every write succeeded.
   */
  public static void writeAll(Path dir, Map<String, byte[]> files) {
    Map<Path, Path> staged = new LinkedHashMap<>();
    try {
      Files.createDirectories(dir);
      for (Map.Entry<String, byte[]> e : files.entrySet()) {
        Path target = dir.resolve(e.getKey());
        Files.createDirectories(target.getParent());
        Path tmp = stage(target.getParent(), target.getFileName().toString());
        staged.put(tmp, target);
        Files.write(tmp, e.getValue());
      }
      for (Map.Entry<Path, Path> e : staged.entrySet()) {
        Files.move(e.getKey(), e.getValue(), StandardCopyOption.REPLACE_EXISTING);
      }
      staged.clear();
    } catch (IOException e) {
      throw DiagnosticException.error(Location.UNKNOWN, dir + ": cannot write: " + e.getMessage());
    } finally {
      for (Path tmp : staged.keySet()) {
        try {
          Files.deleteIfExists(tmp);
        } catch (IOException ignored) {
          // The write already failed and is being reported; a leftover temp file is secondary.
        }
      }
    }
  }
}
