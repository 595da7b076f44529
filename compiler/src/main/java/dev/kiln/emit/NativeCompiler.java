package dev.kiln.emit;

import dev.kiln.backend.Artifacts;
import dev.kiln.backend.EmitOptions;
import dev.kiln.backend.LoopModule;
import dev.kiln.backend.llvm.LlvmBackend;
import dev.kiln.backend.llvm.Targets;
import dev.kiln.ir.loop.LoopFunc;

/** LLVM target names as the command line gives them, and the object code of a lowered function. */
public final class NativeCompiler {

  /** The Cortex-M target, which runs on a QEMU board ({@link BoardSupport}). */
  public static final String CORTEX_M = "thumbv7em-none-eabihf";

  private NativeCompiler() {}

  /** The target {@code --target}/{@code --cpu} name; a null target means the host. */
  public static Targets.Resolved resolve(String target, String cpu) {
    return Targets.resolve(target == null ? Targets.host().name() : target, cpu);
  }

  /**
   * The CPU for code that runs on this machine (bench, native run, conformance): {@code cpu} when
   * given, else {@code native} when the target is the host (a null target), else null (the
   * target's baseline).
   */
  public static String hostCpuByDefault(String target, String cpu) {
    if (cpu != null) {
      return cpu;
    }
    return target == null || target.equals(Targets.host().name()) ? Targets.NATIVE : null;
  }

  /** The ELF object of {@code f} for {@code target}, through the {@link LlvmBackend}. */
  public static byte[] object(LoopFunc f, Targets.Resolved target) {
    LlvmBackend backend = new LlvmBackend(target);
    return backend
      .compile(LoopModule.of(f), backend.target(), EmitOptions.of(Artifacts.Kind.OBJECT))
      .get(Artifacts.Kind.OBJECT);
  }
}
