package dev.kiln.emit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/** A temporary directory that {@link #close} removes with everything in it. */
public final class TempDir implements AutoCloseable {

  private final Path path;

  private TempDir(Path path) {
    this.path = path;
  }

  /** A new empty directory under the system temporary directory. */
  public static TempDir create(String prefix) {
    try {
      return new TempDir(Files.createTempDirectory(prefix));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public Path path() {
    return path;
  }

  /** {@code name} inside the directory. */
  public Path resolve(String name) {
    return path.resolve(name);
  }

  @Override
  public void close() {
    try (Stream<Path> s = Files.walk(path)) {
      for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
