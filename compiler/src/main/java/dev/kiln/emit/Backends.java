package dev.kiln.emit;

import dev.kiln.backend.Backend;
import dev.kiln.backend.c.CBackend;
import dev.kiln.backend.cuda.CudaBackend;
import dev.kiln.backend.llvm.LlvmBackend;
import dev.kiln.ir.DiagnosticException;
import dev.kiln.ir.Location;
import dev.kiln.ir.loop.TargetInfo;

/**
 * The backend for a {@code --target}/{@code --cpu} pair: {@code c} is the portable C backend
 * (which takes no CPU), {@code nvptx64-nvidia-cuda} (alias {@code cuda}) the NVIDIA GPU backend
 * (CPU: the compute capability, {@code sm_80} by default), anything else an LLVM target ({@link
 * NativeCompiler#resolve}).
 */
public final class Backends {

  /** The {@code --target} name of the portable C backend. */
  public static final String C_TARGET = "c";

  private Backends() {}

  /** Whether {@code target} is a microcontroller's (Cortex-M), which gets a flash and RAM report. */
  public static boolean isMicrocontroller(TargetInfo target) {
    return target.name().startsWith(NativeCompiler.CORTEX_M + "/");
  }

  /** The backend for {@code target} (null: the host) and {@code cpu} (null: the default). */
  public static Backend forTarget(String target, String cpu) {
    if (C_TARGET.equals(target)) {
      if (cpu != null) {
        throw DiagnosticException.error(
          Location.UNKNOWN,
          "--cpu " + cpu + ": the portable C target takes no CPU"
        );
      }
      return new CBackend();
    }
    if (CudaBackend.names(target)) {
      return new CudaBackend(cpu);
    }
    return new LlvmBackend(NativeCompiler.resolve(target, cpu));
  }
}
