package dev.kiln.backend.llvm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The kernel bitcode cache: a compile fills it with one file per kernel, a second compile reads
 * them instead of running clang (shown by planting bytes in one entry and getting them back), and
 * another CPU or kernel has another key.
 */
class KernelLibraryTest {

  @Test
  void second_compile_reads_the_cache_and_other_cpus_miss_it(@TempDir Path cache) throws Exception {
    Targets.Resolved target = Targets.resolve("aarch64-linux-gnu", "generic");
    Map<String, byte[]> first = KernelLibrary.compile(target, cache);
    List<Path> entries;
    try (Stream<Path> files = Files.list(cache)) {
      entries = files.sorted().toList();
    }
    assertEquals(first.size(), entries.size());
    for (Path e : entries) {
      assertEquals(64 + 3, e.getFileName().toString().length(), e.toString());
    }

    byte[] planted = { 'B', 'C', 0, 1 };
    Path entry = null;
    String kernel = null;
    for (Path e : entries) {
      for (Map.Entry<String, byte[]> k : first.entrySet()) {
        if (java.util.Arrays.equals(Files.readAllBytes(e), k.getValue())) {
          entry = e;
          kernel = k.getKey();
        }
      }
    }
    Files.write(entry, planted);
    Map<String, byte[]> second = KernelLibrary.compile(target, cache);
    assertArrayEquals(planted, second.get(kernel), "the cached entry of " + kernel);

    byte[] tree = KernelLibrary.treeDigest();
    assertNotEquals(
      KernelLibrary.cacheKey(tree, kernel, target),
      KernelLibrary.cacheKey(tree, kernel, Targets.resolve("aarch64-linux-gnu", "cortex-a72"))
    );
    assertNotEquals(
      KernelLibrary.cacheKey(tree, kernel, target),
      KernelLibrary.cacheKey(tree, "other_" + kernel, target)
    );
  }
}
