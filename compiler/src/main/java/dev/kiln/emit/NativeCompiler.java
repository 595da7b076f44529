package dev.kiln.emit;

import dev.kiln.backend.llvm.LlvmCodegen;
import dev.kiln.backend.llvm.LlvmTarget;
import dev.kiln.backend.llvm.Targets;
import dev.kiln.ir.loop.LoopFunc;
import java.util.EnumSet;

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

  /** The ELF object of {@code f} for {@code target}. */
  public static byte[] object(LoopFunc f, Targets.Resolved target) {
    return LlvmCodegen.compile(f, target).object();
  }

  /** The object and, when asked for, the assembly and optimized LLVM IR (null otherwise). */
  public record Outputs(byte[] object, String assembly, String llvmIr) {}

  /** One compilation giving the object and the texts asked for. */
  public static Outputs all(LoopFunc f, Targets.Resolved target, boolean asm, boolean llvm) {
    EnumSet<LlvmTarget.Output> kinds = EnumSet.of(LlvmTarget.Output.OBJECT);
    if (asm) {
      kinds.add(LlvmTarget.Output.ASSEMBLY);
    }
    if (llvm) {
      kinds.add(LlvmTarget.Output.LLVM_IR);
    }
    LlvmCodegen.Compiled c = LlvmCodegen.compile(f, target, kinds);
    return new Outputs(c.object(), asm ? c.assembly() : null, llvm ? c.llvmIr() : null);
  }
}
