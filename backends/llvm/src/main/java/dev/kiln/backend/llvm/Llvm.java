package dev.kiln.backend.llvm;

import static org.bytedeco.llvm.global.LLVM.*;

import dev.kiln.ir.DiagnosticException;
import dev.kiln.ir.Location;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.llvm.LLVM.LLVMContextRef;
import org.bytedeco.llvm.LLVM.LLVMDiagnosticHandler;
import org.bytedeco.llvm.LLVM.LLVMDiagnosticInfoRef;
import org.bytedeco.llvm.LLVM.LLVMErrorRef;
import org.bytedeco.llvm.LLVM.LLVMMemoryBufferRef;

/**
 * Loading of the Bytedeco LLVM natives and small conversions around the C API: strings LLVM owns,
 * {@code LLVMErrorRef}s and memory buffers. Every entry point of this package calls {@link #load}
 * first, so a host without the natives gets one line instead of an {@code UnsatisfiedLinkError}.
 */
final class Llvm {

  private static final Set<Targets.Arch> INITIALIZED = EnumSet.noneOf(Targets.Arch.class);
  private static final ThreadLocal<List<String>> ERRORS = ThreadLocal.withInitial(ArrayList::new);
  private static boolean loaded;
  private static LLVMDiagnosticHandler handler;

  private Llvm() {}

  /** Loads {@code libLLVM} and its JNI bridge (extracted by JavaCPP into its cache on first use). */
  static synchronized void load() {
    if (loaded) {
      return;
    }
    try {
      Loader.load(org.bytedeco.llvm.global.LLVM.class);
    } catch (Throwable e) {
      throw DiagnosticException.error(
        Location.UNKNOWN,
        "cannot load the LLVM native libraries of org.bytedeco:llvm for platform " +
        Loader.getPlatform() +
        ": " +
        oneLine(e)
      );
    }
    loaded = true;
  }

  /** Registers LLVM's backend for {@code arch}: target info, code generator, MC layer, printers. */
  static synchronized void initialize(Targets.Arch arch) {
    load();
    if (!INITIALIZED.add(arch)) {
      return;
    }
    switch (arch) {
      case X86 -> {
        LLVMInitializeX86TargetInfo();
        LLVMInitializeX86Target();
        LLVMInitializeX86TargetMC();
        LLVMInitializeX86AsmPrinter();
        LLVMInitializeX86AsmParser();
      }
      case AARCH64 -> {
        LLVMInitializeAArch64TargetInfo();
        LLVMInitializeAArch64Target();
        LLVMInitializeAArch64TargetMC();
        LLVMInitializeAArch64AsmPrinter();
        LLVMInitializeAArch64AsmParser();
      }
      case ARM -> {
        LLVMInitializeARMTargetInfo();
        LLVMInitializeARMTarget();
        LLVMInitializeARMTargetMC();
        LLVMInitializeARMAsmPrinter();
        LLVMInitializeARMAsmParser();
      }
      case NVPTX -> {
        LLVMInitializeNVPTXTargetInfo();
        LLVMInitializeNVPTXTarget();
        LLVMInitializeNVPTXTargetMC();
        LLVMInitializeNVPTXAsmPrinter();
      }
    }
  }

  /**
   * Runs {@code action} with a diagnostic handler on {@code context} that collects LLVM's error
   * messages instead of letting LLVM print them and exit the process, as its default handler does
   * for errors (a bad bitcode file, a failed link). Returns the errors, empty when there were none.
   */
  static List<String> collectErrors(LLVMContextRef context, Runnable action) {
    LLVMDiagnosticHandler previous = LLVMContextGetDiagnosticHandler(context);
    Pointer previousContext = LLVMContextGetDiagnosticContext(context);
    List<String> errors = ERRORS.get();
    errors.clear();
    LLVMContextSetDiagnosticHandler(context, handler(), null);
    try {
      action.run();
      return List.copyOf(errors);
    } finally {
      errors.clear();
      LLVMContextSetDiagnosticHandler(context, previous, previousContext);
    }
  }

  private static synchronized LLVMDiagnosticHandler handler() {
    if (handler == null) {
      handler = new LLVMDiagnosticHandler() {
        @Override
        public void call(LLVMDiagnosticInfoRef info, Pointer context) {
          String message = takeMessage(LLVMGetDiagInfoDescription(info));
          if (LLVMGetDiagInfoSeverity(info) == LLVMDSError) {
            ERRORS.get().add(message == null ? "unknown error" : oneLine(message));
          }
        }
      };
    }
    return handler;
  }

  /** The string of a message LLVM allocated, which is then disposed; null stays null. */
  static String takeMessage(BytePointer message) {
    if (message == null || message.isNull()) {
      return null;
    }
    try {
      return message.getString();
    } finally {
      LLVMDisposeMessage(message);
    }
  }

  /** The message of an {@code LLVMErrorRef} (consumed), or null when there was no error. */
  static String takeError(LLVMErrorRef error) {
    if (error == null || error.isNull()) {
      return null;
    }
    BytePointer message = LLVMGetErrorMessage(error);
    try {
      return message.getString();
    } finally {
      LLVMDisposeErrorMessage(message);
    }
  }

  /** The bytes of a memory buffer, which is then disposed. */
  static byte[] takeBuffer(LLVMMemoryBufferRef buffer) {
    try {
      long size = LLVMGetBufferSize(buffer);
      if (size > Integer.MAX_VALUE - 8) {
        throw new IllegalStateException("llvm output of " + size + " bytes exceeds a java array");
      }
      byte[] bytes = new byte[(int) size];
      LLVMGetBufferStart(buffer).capacity(size).get(bytes);
      return bytes;
    } finally {
      LLVMDisposeMemoryBuffer(buffer);
    }
  }

  static String oneLine(Throwable e) {
    return oneLine(e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage());
  }

  static String oneLine(String text) {
    return text.strip().replaceAll("\\s*\\R\\s*", "; ");
  }
}
