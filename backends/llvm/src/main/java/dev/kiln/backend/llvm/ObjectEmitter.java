package dev.kiln.backend.llvm;

import static org.bytedeco.llvm.global.LLVM.*;

import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.llvm.LLVM.LLVMModuleRef;

/**
 * The last step of the LLVM backend: verify a module, stamp it with the target's triple and data
 * layout, optimize it with LLVM's {@code default<O3>} pipeline and emit it as an object, assembly
 * or textual (optimized) LLVM IR. The same module content and target give byte-identical output.
 * The module is modified in place.
 */
public final class ObjectEmitter {

  /** The new-pass-manager pipeline every module goes through. */
  public static final String PIPELINE = "default<O3>";

  private ObjectEmitter() {}

  /** Verifies, optimizes and emits {@code module} for {@code target}. */
  public static byte[] emit(LlvmTarget target, LLVMModuleRef module, LlvmTarget.Output output) {
    optimize(target, module);
    return target.emit(module, output);
  }

  /** Verifies {@code module}, stamps it with the target and runs {@link #PIPELINE} on it. */
  public static void optimize(LlvmTarget target, LLVMModuleRef module) {
    verify(module, "before optimization");
    target.configure(module);
    target.runPasses(module, PIPELINE);
  }

  /**
   * Checks the module with LLVM's verifier. A broken module is a bug in whatever built it, so this
   * throws {@link IllegalStateException} with the verifier's report.
   */
  public static void verify(LLVMModuleRef module, String when) {
    BytePointer message = new BytePointer((BytePointer) null);
    boolean broken = LLVMVerifyModule(module, LLVMReturnStatusAction, message) != 0;
    String report = Llvm.takeMessage(message);
    if (broken) {
      throw new IllegalStateException("invalid llvm module " + when + ": " + report);
    }
  }
}
