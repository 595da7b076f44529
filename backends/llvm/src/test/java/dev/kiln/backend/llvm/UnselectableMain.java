package dev.kiln.backend.llvm;

import static org.bytedeco.llvm.global.LLVM.*;

import java.nio.charset.StandardCharsets;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.llvm.LLVM.LLVMContextRef;
import org.bytedeco.llvm.LLVM.LLVMMemoryBufferRef;
import org.bytedeco.llvm.LLVM.LLVMModuleRef;

/**
 * A program that makes LLVM fail fatally: it emits, for x86-64, a module calling an AArch64 NEON
 * intrinsic, which instruction selection cannot select. Run in a process of its own by {@link
 * CodegenStageTest}; it never returns normally.
 */
final class UnselectableMain {

  /** The module: {@code f} adds two vectors with {@code llvm.aarch64.neon.sqadd}. */
  static final String IR = """
    define <4 x i32> @f(<4 x i32> %a, <4 x i32> %b) {
      %r = call <4 x i32> @llvm.aarch64.neon.sqadd.v4i32(<4 x i32> %a, <4 x i32> %b)
      ret <4 x i32> %r
    }
    declare <4 x i32> @llvm.aarch64.neon.sqadd.v4i32(<4 x i32>, <4 x i32>)
    """;

  private UnselectableMain() {}

  public static void main(String[] args) {
    try (LlvmTarget target = LlvmTarget.create("x86_64-linux-gnu", null)) {
      LLVMContextRef ctx = LLVMContextCreate();
      byte[] text = IR.getBytes(StandardCharsets.UTF_8);
      LLVMMemoryBufferRef buffer = LLVMCreateMemoryBufferWithMemoryRangeCopy(
        new BytePointer(text),
        text.length,
        new BytePointer("unselectable.ll")
      );
      LLVMModuleRef module = new LLVMModuleRef();
      BytePointer error = new BytePointer((BytePointer) null);
      if (LLVMParseIRInContext(ctx, buffer, module, error) != 0) {
        throw new IllegalStateException(Llvm.takeMessage(error));
      }
      CodegenStage.during("compiling unselectable.onnx", () ->
        ObjectEmitter.emit(target, module, LlvmTarget.Output.OBJECT)
      );
    }
    System.out.println("emitted");
  }
}
