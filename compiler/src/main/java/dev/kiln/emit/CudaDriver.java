package dev.kiln.emit;

import dev.kiln.ir.DiagnosticException;
import dev.kiln.ir.Location;
import java.lang.foreign.Arena;
import java.lang.foreign.SymbolLookup;

/**
 * Whether this machine has the CUDA driver ({@code libcuda.so.1}), probed with the FFM linker's
 * library lookup, which fails cleanly where JNI bindings of the driver would throw {@code
 * UnsatisfiedLinkError}. Running models on a GPU ({@code --backend cuda} of {@code run} and {@code
 * conformance}) needs a driver and a host runner; Kiln has no runner yet, so both cases are
 * refused with one line.
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
   * The diagnostic for {@code --backend cuda}: no driver, or (with one) that running PTX on the GPU
   * is not implemented; {@code kiln compile --target cuda} writes the PTX and launch table.
   */
  public static DiagnosticException unavailable() {
    if (!present()) {
      return DiagnosticException.error(
        Location.UNKNOWN,
        "--backend cuda: no CUDA driver found (" + LIBRARY + " does not load)"
      );
    }
    return DiagnosticException.error(
      Location.UNKNOWN,
      "--backend cuda: running on the GPU is not implemented yet; kiln compile --target cuda " +
      "writes the PTX and its launch table, --backend gpusim checks them without a GPU"
    );
  }
}
