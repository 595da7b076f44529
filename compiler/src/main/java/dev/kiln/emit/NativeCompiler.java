package dev.kiln.emit;

import dev.kiln.backend.llvm.LlvmCodegen;
import dev.kiln.backend.llvm.Targets;
import dev.kiln.ir.loop.LoopFunc;

/**
 * The one place the compiler hands Loop IR to the LLVM backend: object code, assembly and
 * optimized LLVM IR of a lowered function for a target.
 */
public final class NativeCompiler {

  private NativeCompiler() {}

  /** The target {@code --target}/{@code --cpu} name; a null target means the host. */
  public static Targets.Resolved resolve(String target, String cpu) {
    return Targets.resolve(target == null ? Targets.host().name() : target, cpu);
  }

  /** The ELF object of {@code f} for {@code target}. */
  public static byte[] object(LoopFunc f, Targets.Resolved target) {
    try (LlvmCodegen.Compiled c = LlvmCodegen.compile(f, target)) {
      return c.object();
    }
  }

  /** All three outputs at once (one compilation). */
  public record Outputs(byte[] object, String assembly, String llvmIr) {}

  public static Outputs all(LoopFunc f, Targets.Resolved target) {
    try (LlvmCodegen.Compiled c = LlvmCodegen.compile(f, target)) {
      return new Outputs(c.object(), c.assembly(), c.llvmIr());
    }
  }
}
