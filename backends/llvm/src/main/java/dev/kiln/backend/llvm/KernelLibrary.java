package dev.kiln.backend.llvm;

import dev.kiln.backend.RuntimeC;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The runtime-c micro-kernels as LLVM bitcode for a target: {@link #bitcode} compiles every
 * {@code kernels/*.c} of the unpacked {@link RuntimeC} sources with the bundled {@link Clang} for
 * the target, and keeps the result in memory per target, CPU and features. Thread-safe.
 */
public final class KernelLibrary {

  private static final Map<String, Map<String, byte[]>> CACHE = new HashMap<>();

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
    Path root = RuntimeC.unpacked();
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
}
