package dev.kiln.backend.llvm;

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
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The runtime-c micro-kernels as LLVM bitcode for a target. The jar carries {@code
 * runtime-c/include} and {@code runtime-c/kernels} as the classpath resources {@code
 * kiln/runtime-c/include/...} and {@code kiln/runtime-c/kernels/...} (the backend's pom copies
 * them); {@link #bitcode} writes them to a private temporary directory once per JVM, compiles every
 * {@code kernels/*.c} with the bundled {@link Clang} for the target, and keeps the result in memory
 * per target, CPU and features. Thread-safe.
 */
public final class KernelLibrary {

  static final String RESOURCE_ROOT = "kiln/runtime-c";

  private static final Map<String, Map<String, byte[]>> CACHE = new HashMap<>();
  private static Path sources;

  private KernelLibrary() {}

  /**
   * The bitcode of every kernel source for {@code target}, keyed by source file name ({@code
   * gemm_f32.c}) in name order.
   */
  public static synchronized Map<String, byte[]> bitcode(Targets.Resolved target) {
    String key = target.triple() + " " + target.cpu() + " " + target.features();
    Map<String, byte[]> cached = CACHE.get(key);
    if (cached != null) {
      return cached;
    }
    Path root = sources();
    Path include = root.resolve("include");
    Map<String, byte[]> compiled = new LinkedHashMap<>();
    for (Path source : kernelSources(root.resolve("kernels"))) {
      compiled.put(
        source.getFileName().toString(),
        Clang.bundled().compileToBitcode(source, target, List.of(include))
      );
    }
    Map<String, byte[]> result = java.util.Collections.unmodifiableMap(compiled);
    CACHE.put(key, result);
    return result;
  }

  private static List<Path> kernelSources(Path dir) {
    try (Stream<Path> files = Files.list(dir)) {
      return files
        .filter(p -> p.getFileName().toString().endsWith(".c"))
        .sorted(Comparator.comparing(p -> p.getFileName().toString()))
        .toList();
    } catch (IOException e) {
      throw new IllegalStateException("cannot list the kernel sources in " + dir, e);
    }
  }

  /** The runtime-c resources copied to a temporary directory (once per JVM). */
  private static Path sources() {
    if (sources != null) {
      return sources;
    }
    URL url = KernelLibrary.class.getClassLoader().getResource(RESOURCE_ROOT + "/kernels");
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
      sources = copy;
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
