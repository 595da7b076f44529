package dev.kiln.backend.llvm;

import static org.bytedeco.llvm.global.LLVM.*;

import dev.kiln.ir.DiagnosticException;
import dev.kiln.ir.Location;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.llvm.LLVM.LLVMMemoryBufferRef;
import org.bytedeco.llvm.LLVM.LLVMModuleRef;
import org.bytedeco.llvm.LLVM.LLVMPassBuilderOptionsRef;
import org.bytedeco.llvm.LLVM.LLVMTargetDataRef;
import org.bytedeco.llvm.LLVM.LLVMTargetMachineRef;
import org.bytedeco.llvm.LLVM.LLVMTargetRef;
import org.bytedeco.llvm.LLVM.LLVMValueRef;

/**
 * An LLVM target machine for one {@link Targets.Resolved} target: the triple, CPU and features,
 * the target's relocation model (PIC on Linux, static on bare metal), the default code model and
 * {@code -O3} code generation. It stamps modules with its triple and data layout, runs new-pass-
 * manager pipelines on them and emits objects, assembly or textual IR. Not thread-safe; one per
 * compilation. Close it to free the target machine.
 */
public final class LlvmTarget implements AutoCloseable {

  /** What {@link #emit} produces. */
  public enum Output {
    /** A relocatable ELF object. */
    OBJECT,
    /** Target assembly text. */
    ASSEMBLY,
    /** Textual LLVM IR of the module as it is. */
    LLVM_IR,
  }

  /** The host CPU as LLVM detects it: name and feature string. */
  public record HostCpu(String name, String features) {}

  private final Targets.Resolved resolved;
  private final LLVMTargetMachineRef machine;
  private final String dataLayout;

  private LlvmTarget(Targets.Resolved resolved, LLVMTargetMachineRef machine, String dataLayout) {
    this.resolved = resolved;
    this.machine = machine;
    this.dataLayout = dataLayout;
  }

  /** Creates the target machine; the LLVM backend for the target's architecture is initialized. */
  public static LlvmTarget create(Targets.Resolved resolved) {
    Llvm.initialize(resolved.arch());
    CodegenStage.installFatalErrorHandler();
    LLVMTargetRef target = new LLVMTargetRef();
    BytePointer error = new BytePointer((BytePointer) null);
    if (LLVMGetTargetFromTriple(new BytePointer(resolved.triple()), target, error) != 0) {
      throw DiagnosticException.error(
        Location.UNKNOWN,
        "llvm has no backend for triple " + resolved.triple() + ": " + Llvm.takeMessage(error)
      );
    }
    int reloc = switch (resolved.target().relocation()) {
      case PIC -> LLVMRelocPIC;
      case STATIC -> LLVMRelocStatic;
    };
    LLVMTargetMachineRef machine = LLVMCreateTargetMachine(
      target,
      resolved.triple(),
      resolved.cpu(),
      resolved.features(),
      LLVMCodeGenLevelAggressive,
      reloc,
      LLVMCodeModelDefault
    );
    if (machine == null || machine.isNull()) {
      throw DiagnosticException.error(
        Location.UNKNOWN,
        "llvm cannot create a target machine for " + resolved.triple() + " cpu " + resolved.cpu()
      );
    }
    LLVMTargetDataRef data = LLVMCreateTargetDataLayout(machine);
    String layout = Llvm.takeMessage(LLVMCopyStringRepOfTargetData(data));
    LLVMDisposeTargetData(data);
    return new LlvmTarget(resolved, machine, layout);
  }

  /** Resolves the names and creates the target machine. */
  public static LlvmTarget create(String targetName, String cpuName) {
    return create(Targets.resolve(targetName, cpuName));
  }

  /** The host CPU name and features, as {@code -mcpu=native} would see them. */
  public static HostCpu hostCpu() {
    Llvm.load();
    return new HostCpu(
      Llvm.takeMessage(LLVMGetHostCPUName()),
      Llvm.takeMessage(LLVMGetHostCPUFeatures())
    );
  }

  public Targets.Resolved resolved() {
    return resolved;
  }

  public String triple() {
    return resolved.triple();
  }

  public String dataLayout() {
    return dataLayout;
  }

  public LLVMTargetMachineRef machine() {
    return machine;
  }

  /** Sets the module's triple and data layout to this target's. */
  public void configure(LLVMModuleRef module) {
    LLVMSetTarget(module, resolved.triple());
    LLVMSetDataLayout(module, dataLayout);
  }

  /**
   * Marks a function as clang marks the kernels it compiles with {@code -ffreestanding
   * -fno-builtin}: this target's CPU and features, and {@code no-builtins}, so that LLVM neither
   * turns loops into libc calls ({@code memset}, {@code memcpy}) nor refuses to inline such kernels
   * into the function (LLVM inlines a {@code no-builtins} callee only into a {@code no-builtins}
   * caller).
   */
  public void markFunction(LLVMValueRef function) {
    addStringAttribute(function, "target-cpu", resolved.cpu());
    if (!resolved.features().isEmpty()) {
      addStringAttribute(function, "target-features", resolved.features());
    }
    addStringAttribute(function, "no-builtins", "");
  }

  private static void addStringAttribute(LLVMValueRef function, String key, String value) {
    var context = LLVMGetTypeContext(LLVMTypeOf(function));
    var attribute = LLVMCreateStringAttribute(context, key, key.length(), value, value.length());
    LLVMAddAttributeAtIndex(function, LLVMAttributeFunctionIndex, attribute);
  }

  /** Runs a new-pass-manager pipeline such as {@code default<O3>} on the module. */
  public void runPasses(LLVMModuleRef module, String pipeline) {
    CodegenStage.during("running " + pipeline, () -> {
      LLVMPassBuilderOptionsRef options = LLVMCreatePassBuilderOptions();
      try {
        String error = Llvm.takeError(LLVMRunPasses(module, pipeline, machine, options));
        if (error != null) {
          throw new IllegalStateException("llvm pipeline " + pipeline + " failed: " + error);
        }
      } finally {
        LLVMDisposePassBuilderOptions(options);
      }
    });
  }

  /** Emits the module as it is (no optimization here) in the requested form. */
  public byte[] emit(LLVMModuleRef module, Output output) {
    return CodegenStage.during(
      "emitting the " + output.toString().toLowerCase(java.util.Locale.ROOT).replace('_', ' '),
      () -> emitNow(module, output)
    );
  }

  private byte[] emitNow(LLVMModuleRef module, Output output) {
    if (output == Output.LLVM_IR) {
      return Llvm.takeMessage(LLVMPrintModuleToString(module)).getBytes(
        java.nio.charset.StandardCharsets.UTF_8
      );
    }
    int fileType = output == Output.OBJECT ? LLVMObjectFile : LLVMAssemblyFile;
    BytePointer error = new BytePointer((BytePointer) null);
    LLVMMemoryBufferRef buffer = new LLVMMemoryBufferRef();
    if (LLVMTargetMachineEmitToMemoryBuffer(machine, module, fileType, error, buffer) != 0) {
      throw new IllegalStateException(
        "llvm code generation for " + resolved.triple() + " failed: " + Llvm.takeMessage(error)
      );
    }
    return Llvm.takeBuffer(buffer);
  }

  @Override
  public void close() {
    LLVMDisposeTargetMachine(machine);
  }
}
