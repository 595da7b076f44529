package dev.kiln.backend.llvm;

import dev.kiln.backend.RuntimeC;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.bytedeco.llvm.global.LLVM;

/**
 * The runtime-c micro-kernels as LLVM bitcode for a target: {@link #bitcode} compiles every
 * {@code kernels/*.c} of the unpacked {@link RuntimeC} sources with the bundled {@link Clang} for
 * the target, and keeps the result in memory per target, CPU and features. Thread-safe.
 *
 * <p>Compiled bitcode is also kept across runs in a cache directory ({@link #cacheDir}), one file
 * per kernel named by the SHA-256 of everything that decides its bits: the LLVM version, every
 * runtime-c file (sources and headers), the kernel's name and clang's arguments with the paths
 * left out. A file is written under a temporary name and renamed, so concurrent compilers never
 * read half a file; an unreadable cache is skipped and the kernel compiled.
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
    Map<String, byte[]> result = compile(target, cacheDir());
    CACHE.put(key, result);
    return result;
  }

  /**
   * The directory of the bitcode cache: {@code $KILN_CACHE_DIR} (the system property {@code
   * kiln.cache.dir} first), else {@code $XDG_CACHE_HOME/kiln}, else {@code ~/.cache/kiln}, each with
   * {@code kernels/} appended; null (no cache) when the setting is {@code off}.
   */
  static Path cacheDir() {
    String dir = System.getProperty("kiln.cache.dir", System.getenv("KILN_CACHE_DIR"));
    if ("off".equals(dir)) {
      return null;
    }
    if (dir == null || dir.isEmpty()) {
      String xdg = System.getenv("XDG_CACHE_HOME");
      dir = xdg != null && !xdg.isEmpty()
        ? Path.of(xdg, "kiln").toString()
        : Path.of(System.getProperty("user.home"), ".cache", "kiln").toString();
    }
    return Path.of(dir, "kernels");
  }

  /** Every kernel's bitcode for {@code target}, read from or added to {@code cache} (if not null). */
  static Map<String, byte[]> compile(Targets.Resolved target, Path cache) {
    Path root = RuntimeC.unpacked();
    Path include = root.resolve("include");
    byte[] tree = treeDigest();
    Map<String, byte[]> compiled = new LinkedHashMap<>();
    for (Path source : kernelSources(root.resolve("kernels"))) {
      String name = source.getFileName().toString();
      Path entry = cache == null ? null : cache.resolve(cacheKey(tree, name, target) + ".bc");
      byte[] bitcode = entry == null ? null : read(entry);
      if (bitcode == null) {
        bitcode = Clang.bundled().compileToBitcode(source, target, List.of(include));
        if (entry != null) {
          write(entry, bitcode);
        }
      }
      compiled.put(name, bitcode);
    }
    return java.util.Collections.unmodifiableMap(compiled);
  }

  static byte[] treeDigest() {
    MessageDigest d = sha256();
    int[] major = new int[1];
    int[] minor = new int[1];
    int[] patch = new int[1];
    Llvm.load();
    LLVM.LLVMGetVersion(major, minor, patch);
    d.update((major[0] + "." + minor[0] + "." + patch[0] + "\n").getBytes(StandardCharsets.UTF_8));
    for (Map.Entry<String, byte[]> f : RuntimeC.files().entrySet()) {
      d.update(f.getKey().getBytes(StandardCharsets.UTF_8));
      d.update((byte) 0);
      d.update(sha256().digest(f.getValue()));
    }
    return d.digest();
  }

  static String cacheKey(byte[] tree, String name, Targets.Resolved target) {
    MessageDigest d = sha256();
    d.update(tree);
    List<String> args = Clang.bundled().bitcodeCommand(target, name, "out.bc", List.of());
    for (String a : args.subList(1, args.size())) {
      if (!a.startsWith("/")) {
        d.update(a.getBytes(StandardCharsets.UTF_8));
        d.update((byte) 0);
      }
    }
    return HexFormat.of().formatHex(d.digest());
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is a required JDK algorithm", e);
    }
  }

  private static byte[] read(Path entry) {
    try {
      return Files.isRegularFile(entry) ? Files.readAllBytes(entry) : null;
    } catch (IOException e) {
      return null;
    }
  }

  private static void write(Path entry, byte[] bitcode) {
    try {
      Files.createDirectories(entry.getParent());
      Path tmp = Files.createTempFile(entry.getParent(), entry.getFileName().toString(), ".tmp");
      try {
        Files.write(tmp, bitcode);
        Files.move(tmp, entry, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      } finally {
        Files.deleteIfExists(tmp);
      }
    } catch (IOException e) {
      // A cache that cannot be written costs a recompile next time, nothing else.
      return;
    }
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
