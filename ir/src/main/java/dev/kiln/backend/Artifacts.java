package dev.kiln.backend;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The files a {@link Backend} produced: relative path (with {@code /} as separator) to bytes, in a
 * fixed order, and which kind each main file is.
 */
public final class Artifacts {

  /** What a file is. */
  public enum Kind {
    /** A relocatable object ({@code NAME.o}). */
    OBJECT,
    /** A shared library linking the object ({@code NAME.so}). */
    SHARED_LIBRARY,
    /** The target assembly ({@code NAME.s}). */
    ASSEMBLY,
    /** Optimized LLVM IR ({@code NAME.ll}). */
    LLVM_IR,
    /**
     * C source: {@code NAME.c}, {@code NAME.h} and the runtime-c files they need, which a C
     * compiler builds with {@code -I} pointing at the output directory.
     */
    C_SOURCE,
    /**
     * With {@link #C_SOURCE}: the weights as a separate blob ({@code NAME_weights.bin}) that the
     * caller passes to {@code NAME_run_ctx} in {@code kiln_run_ctx_t.weights} (for targets that
     * keep weights in external flash), instead of arrays in {@code NAME.c}.
     */
    WEIGHTS,
  }

  private final Map<String, byte[]> files = new LinkedHashMap<>();
  private final Map<Kind, String> main = new LinkedHashMap<>();

  /** Adds {@code path}; {@code kind} marks it as that kind's main file (or null). */
  public Artifacts add(String path, byte[] bytes, Kind kind) {
    if (files.put(path, bytes.clone()) != null) {
      throw new IllegalStateException(path + " produced twice");
    }
    if (kind != null) {
      main.putIfAbsent(kind, path);
    }
    return this;
  }

  /** Every file, in the order added. */
  public Map<String, byte[]> files() {
    return Collections.unmodifiableMap(files);
  }

  /** The path of the main file of {@code kind}, or null when it was not produced. */
  public String path(Kind kind) {
    return main.get(kind);
  }

  /** The bytes of the main file of {@code kind}. */
  public byte[] get(Kind kind) {
    String path = main.get(kind);
    if (path == null) {
      throw new IllegalStateException(kind + " was not produced");
    }
    return files.get(path).clone();
  }
}
