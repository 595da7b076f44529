package dev.kiln.backend.llvm;

import static org.bytedeco.llvm.global.LLVM.*;

import dev.kiln.ir.DiagnosticException;
import dev.kiln.ir.Location;
import java.util.List;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.llvm.LLVM.LLVMContextRef;
import org.bytedeco.llvm.LLVM.LLVMMemoryBufferRef;
import org.bytedeco.llvm.LLVM.LLVMModuleRef;

/**
 * Links LLVM bitcode (the micro-kernels {@link Clang} compiled) into a module, so that LLVM can
 * inline and specialize them there. The bitcode must have been compiled for the module's triple.
 */
public final class BitcodeLinker {

  private BitcodeLinker() {}

  /** Parses {@code bitcode} in the context of {@code module}; the caller owns the result. */
  public static LLVMModuleRef parse(LLVMContextRef context, byte[] bitcode, String name) {
    Llvm.load();
    LLVMMemoryBufferRef buffer;
    try (BytePointer bytes = new BytePointer(bitcode)) {
      buffer = LLVMCreateMemoryBufferWithMemoryRangeCopy(
        bytes,
        bitcode.length,
        new BytePointer(name)
      );
    }
    try {
      LLVMModuleRef parsed = new LLVMModuleRef();
      int[] failed = new int[1];
      List<String> errors = Llvm.collectErrors(context, () ->
        failed[0] = LLVMParseBitcodeInContext2(context, buffer, parsed)
      );
      if (failed[0] != 0 || !errors.isEmpty()) {
        throw DiagnosticException.error(
          Location.UNKNOWN,
          name +
          " is not valid llvm bitcode" +
          (errors.isEmpty() ? "" : ": " + String.join("; ", errors))
        );
      }
      return parsed;
    } finally {
      LLVMDisposeMemoryBuffer(buffer);
    }
  }

  /**
   * Parses {@code bitcode} and links it into {@code module} ({@code LLVMLinkModules2}); the
   * module's triple must be set and equal the bitcode's.
   */
  public static void link(LLVMModuleRef module, byte[] bitcode, String name) {
    LLVMModuleRef source = parse(LLVMGetModuleContext(module), bitcode, name);
    String want = LLVMGetTarget(module).getString();
    String got = LLVMGetTarget(source).getString();
    if (!want.equals(got)) {
      LLVMDisposeModule(source);
      throw DiagnosticException.error(
        Location.UNKNOWN,
        name + " was compiled for " + got + " but the module is for " + want
      );
    }
    int[] failed = new int[1];
    List<String> errors = Llvm.collectErrors(LLVMGetModuleContext(module), () ->
      failed[0] = LLVMLinkModules2(module, source)
    );
    if (failed[0] != 0 || !errors.isEmpty()) {
      throw DiagnosticException.error(
        Location.UNKNOWN,
        "linking " +
        name +
        " into module " +
        moduleName(module) +
        " failed" +
        (errors.isEmpty() ? "" : ": " + String.join("; ", errors))
      );
    }
  }

  private static String moduleName(LLVMModuleRef module) {
    try (var length = new org.bytedeco.javacpp.SizeTPointer(1)) {
      return LLVMGetModuleIdentifier(module, length).getString();
    }
  }
}
