package dev.kiln.backend;

import dev.kiln.ir.DiagnosticException;
import dev.kiln.ir.Location;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.FileSystem;
import java.nio.file.FileSystemNotFoundException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * The runtime-c sources that generated code builds with. The {@code ir} jar carries {@code
 * runtime-c/include}, {@code runtime-c/kernels} and {@code runtime-c/src/pool.c} as the classpath
 * resources {@code kiln/runtime-c/...} (its pom copies them); {@link #unpacked} writes them to a
 * private temporary directory once per JVM, and {@link #files} reads them from there. Thread-safe.
 */
public final class RuntimeC {

  /** The classpath folder holding the runtime-c tree. */
  public static final String RESOURCE_ROOT = "kiln/runtime-c";

  private static Path unpacked;
  private static Map<String, byte[]> files;

  private RuntimeC() {}

  /**
   * Every runtime-c file the jar carries, keyed by its path under {@code runtime-c} with {@code /}
   * separators ({@code include/kiln/kernels.h}, {@code kernels/gemm_f32.c}), in path order.
   */
  public static synchronized Map<String, byte[]> files() {
    if (files != null) {
      return files;
    }
    Path root = unpacked();
    Map<String, byte[]> all = new TreeMap<>();
    try (Stream<Path> walk = Files.walk(root)) {
      for (Path p : walk.filter(Files::isRegularFile).toList()) {
        all.put(root.relativize(p).toString().replace('\\', '/'), Files.readAllBytes(p));
      }
    } catch (IOException e) {
      throw new IllegalStateException("cannot read the unpacked runtime-c sources in " + root, e);
    }
    files = Collections.unmodifiableMap(all);
    return files;
  }

  /** The runtime-c resources copied to a temporary directory (once per JVM). */
  public static synchronized Path unpacked() {
    if (unpacked != null) {
      return unpacked;
    }
    URL url = RuntimeC.class.getClassLoader().getResource(RESOURCE_ROOT + "/kernels");
    if (url == null) {
      throw DiagnosticException.error(
        Location.UNKNOWN,
        "the runtime-c kernel sources are missing from the classpath (" + RESOURCE_ROOT + ")"
      );
    }
    try {
      Path copy = Files.createTempDirectory("kiln-runtime-c");
      copy.toFile().deleteOnExit();
      URI uri = url.toURI();
      if ("jar".equals(uri.getScheme())) {
        try (FileSystem fs = jarFileSystem(uri)) {
          copyTree(fs.provider().getPath(uri).getParent(), copy);
        }
      } else {
        copyTree(Path.of(uri).getParent(), copy);
      }
      unpacked = copy;
      return copy;
    } catch (IOException | URISyntaxException e) {
      throw new IllegalStateException("cannot unpack the runtime-c kernel sources", e);
    }
  }

  private static FileSystem jarFileSystem(URI uri) throws IOException {
    try {
      FileSystems.getFileSystem(uri);
      throw new IllegalStateException("the jar of " + uri + " is already open as a file system");
    } catch (FileSystemNotFoundException e) {
      return FileSystems.newFileSystem(uri, Map.of());
    }
  }

  private static void copyTree(Path from, Path to) throws IOException {
    List<Path> all;
    try (Stream<Path> walk = Files.walk(from)) {
      all = new ArrayList<>(walk.sorted().toList());
    }
    for (Path p : all) {
      Path target = to.resolve(from.relativize(p).toString());
      if (Files.isDirectory(p)) {
        Files.createDirectories(target);
      } else {
        Files.copy(p, target);
      }
      target.toFile().deleteOnExit();
    }
  }
}
