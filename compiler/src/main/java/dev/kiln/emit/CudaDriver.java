package dev.kiln.emit;

import dev.kiln.ir.DiagnosticException;
import dev.kiln.ir.Location;
import java.lang.foreign.Arena;
import java.lang.foreign.SymbolLookup;

/**
 * Whether this machine has the CUDA driver ({@code libcuda.so.1}), probed with the FFM linker's
 * library lookup, which fails cleanly where JNI bindings of the driver would throw {@code
 * UnsatisfiedLinkError}. Running models on a GPU ({@code --backend cuda} of {@code run} and {@code
 * conformance}) needs one; without it they stop with one line before compiling anything.
 */
public final class CudaDriver {

  /** The driver library's soname. */
  public static final String LIBRARY = "libcuda.so.1";

  private CudaDriver() {}

  /** Whether {@link #LIBRARY} loads. */
  @SuppressWarnings("restricted")
  public static boolean present() {
    try (Arena arena = Arena.ofConfined()) {
      SymbolLookup lookup = SymbolLookup.libraryLookup(LIBRARY, arena);
      return lookup.find("cuInit").isPresent();
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  /**
   * Throws the one-line diagnostic of {@code --backend cuda} on a machine without the driver: no
   * JNI class or harness is touched before it.
   */
  public static void require() {
    if (!present()) {
      throw DiagnosticException.error(
        Location.UNKNOWN,
        "--backend cuda: no CUDA driver found (" + LIBRARY + " does not load)"
      );
    }
  }
}
