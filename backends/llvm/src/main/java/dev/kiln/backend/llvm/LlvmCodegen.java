package dev.kiln.backend.llvm;

import static org.bytedeco.llvm.global.LLVM.*;

import dev.kiln.backend.LoopModule;
import dev.kiln.backend.PhaseTimer;
import dev.kiln.ir.DiagnosticException;
import dev.kiln.ir.Location;
import dev.kiln.ir.loop.Buffer;
import dev.kiln.ir.loop.LoopFunc;
import dev.kiln.ir.loop.Stmt;
import java.nio.charset.StandardCharsets;
import java.util.EnumSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.llvm.LLVM.LLVMContextRef;
import org.bytedeco.llvm.LLVM.LLVMModuleRef;
import org.bytedeco.llvm.LLVM.LLVMValueRef;

/**
 * Compiles a {@link LoopFunc} to native code through LLVM.
 *
 * <h2>API</h2>
 *
 * {@link #compile(LoopFunc, Targets.Resolved, Set)} returns a {@link Compiled} holding the object
 * file and, when asked for, the target assembly and the textual LLVM IR, all three after LLVM's
 * {@code default<O3>} pipeline; {@link #compile(LoopFunc, Targets.Resolved)} gives the object only.
 * Nothing LLVM owns outlives the call. The same function and target give byte-identical results.
 *
 * <h2>The generated function</h2>
 *
 * Four symbols are exported: {@code NAME_run_ctx} and {@code NAME_run_parallel} ({@link
 * LoopTranslator#define}), {@code int32_t NAME_run(const void *const *inputs, void *const
 * *outputs, void *workspace)} ({@code NAME} is {@link LoopFunc#name()}), which returns 0, and
 * {@code const kiln_model_info_t *NAME_info(void)}, the constant table of {@code kiln/runtime.h}
 * describing the inputs, outputs and workspace ({@link ModelInfo}). Input
 * {@code i} is read through {@code inputs[i]}, output {@code i} written through {@code outputs[i]},
 * each aligned to its element type; workspace buffers live at their offsets from {@code workspace},
 * which must be 64-byte aligned and hold {@link LoopFunc#workspaceBytes()} bytes (it may be null when
 * that is 0). Constant buffers are private {@code unnamed_addr} constant globals aligned to 64 bytes
 * holding the tensor bytes in the target's byte order.
 *
 * <h2>Semantics</h2>
 *
 * Exactly those of {@link dev.kiln.ir.loop.LoopInterpreter}, with these representations: {@code BOOL}
 * is {@code i1} in registers and one byte in memory (a load is {@code != 0}); {@code F16} is {@code
 * half}, {@code BF16} is {@code bfloat}; variables and loop indices are allocas in the entry block
 * (SROA makes them SSA values); loops count an {@code i64} upward by one. Integer division and
 * remainder never trap (zero divisor: 0; {@code MIN / -1}: {@code MIN}), shifts by at least the bit
 * width are defined, float {@code MIN}/{@code MAX} propagate NaN ({@code llvm.minimum}/{@code
 * maximum}), float comparisons are ordered except {@code NE}. Float to integer casts saturate and
 * map NaN to 0 ({@code llvm.fptosi.sat}/{@code fptoui.sat}); conversions to and from the 16-bit
 * floats go through f32 (bf16 rounding is done in integer arithmetic, so no target needs a libcall
 * for it). No fast-math flags are used. Loads and stores are {@code inbounds} element accesses:
 * lowering guarantees every index is in range.
 *
 * <h2>Schedules</h2>
 *
 * {@code vectorize(1)} becomes {@code llvm.loop.vectorize.width 1} (do not vectorize), {@code
 * vectorize(w)} {@code llvm.loop.vectorize.enable} with width {@code w}; as with clang's {@code
 * #pragma clang loop vectorize}, LLVM may then reassociate a float reduction carried by that loop.
 * {@code unroll(1)} becomes {@code llvm.loop.unroll.disable}, {@code unroll(n)} {@code
 * llvm.loop.unroll.count n}. {@code parallel} is not acted upon yet: the loop runs on one thread.
 *
 * <h2>Micro-kernels</h2>
 *
 * When the body calls kernels ({@link Stmt.Call}), every {@code runtime-c/kernels/*.c} is compiled
 * to bitcode for the target ({@link KernelLibrary}) and linked into the module; the kernels then get
 * internal linkage, so only the run functions and {@code NAME_info} are exported and {@code default<O3>} inlines and
 * specializes them on the constant parameter structs. Each call goes through the kernel's
 * accelerator hook ({@link dev.kiln.backend.AccelHooks}) and returns the hook's nonzero status from
 * the run. A {@link Stmt.Struct} argument is an alloca of
 * an LLVM struct of its (4-byte) field types, a {@link Stmt.Pointer} the address of the element,
 * {@link Stmt.Null} a null pointer; argument types are checked against the kernel's definition.
 *
 * <h2>External symbols</h2>
 *
 * Generated code calls nothing but the target's libm, and only for these operations: {@code expf
 * exp logf log sinf sin cosf cos tanf tan asinf asin acosf acos atanf atan sinhf sinh coshf cosh
 * tanhf tanh asinhf asinh acoshf acosh atanhf atanh erff erf powf pow atan2f atan2 fmodf fmod} (the
 * float {@code REM}) and, on targets without the instruction (32-bit ARM; {@code sqrt} on
 * single-precision FPUs such as Cortex-M4), {@code sqrt floorf floor ceilf ceil truncf trunc
 * roundevenf roundeven}. The compiler runtime (libgcc or compiler-rt) supplies helpers on some
 * targets: f16 conversions where the CPU has none ({@code __extendhfsf2} and {@code __truncsfhf2}
 * on x86-64 before F16C, {@code __gnu_h2f_ieee} and {@code __gnu_f2h_ieee} on ARM), and on 32-bit
 * ARM integer division and 64-bit integer/float conversions ({@code __aeabi_idiv}, {@code
 * __aeabi_ldivmod}, {@code __aeabi_l2f}, {@code __aeabi_f2lz}, ...) and, without a double-precision
 * FPU, double arithmetic ({@code __aeabi_dadd}, ...). Kernel calls add none of these on x86-64.
 *
 * <p>LLVM's warnings and remarks (a loop the schedule asked to vectorize that it could not) are
 * dropped; an error LLVM reports while optimizing or emitting is an {@link IllegalStateException}.
 */
public final class LlvmCodegen {

  private static final Pattern IDENTIFIER = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

  private LlvmCodegen() {}

  /** What {@link #compile} produced. */
  public static final class Compiled {

    private final byte[] object;
    private final String assembly;
    private final String llvmIr;

    private Compiled(byte[] object, String assembly, String llvmIr) {
      this.object = object;
      this.assembly = assembly;
      this.llvmIr = llvmIr;
    }

    /** The relocatable ELF object. */
    public byte[] object() {
      return object.clone();
    }

    /** The target assembly; only when {@link LlvmTarget.Output#ASSEMBLY} was asked for. */
    public String assembly() {
      if (assembly == null) {
        throw new IllegalStateException("assembly was not requested");
      }
      return assembly;
    }

    /** The optimized LLVM IR; only when {@link LlvmTarget.Output#LLVM_IR} was asked for. */
    public String llvmIr() {
      if (llvmIr == null) {
        throw new IllegalStateException("llvm ir was not requested");
      }
      return llvmIr;
    }
  }

  /** The object file of {@code f} for {@code target}. */
  public static Compiled compile(LoopFunc f, Targets.Resolved target) {
    return compile(f, target, Set.of(LlvmTarget.Output.OBJECT));
  }

  /**
   * Compiles {@code f} for {@code target}: the object always, assembly and LLVM IR when {@code
   * outputs} names them. A function name that is not a C identifier is a {@link
   * DiagnosticException}.
   */
  public static Compiled compile(
    LoopFunc f,
    Targets.Resolved target,
    Set<LlvmTarget.Output> outputs
  ) {
    return compile(f, target, outputs, PhaseTimer.NONE);
  }

  /**
   * {@link #compile(LoopFunc, Targets.Resolved, Set)} with its phases timed by {@code timer}:
   * {@code kernel compilation}, {@code LLVM IR generation}, {@code LLVM optimization}, {@code
   * emission}.
   */
  public static Compiled compile(
    LoopFunc f,
    Targets.Resolved target,
    Set<LlvmTarget.Output> outputs,
    PhaseTimer timer
  ) {
    return compile(LoopModule.of(f), target, outputs, timer);
  }

  /** {@link #compile(LoopModule, Targets.Resolved, Set, PhaseTimer)} with no phase timing. */
  public static Compiled compile(
    LoopModule module,
    Targets.Resolved target,
    Set<LlvmTarget.Output> outputs
  ) {
    return compile(module, target, outputs, PhaseTimer.NONE);
  }

  /**
   * {@link #compile(LoopFunc, Targets.Resolved, Set, PhaseTimer)} of {@code module}'s function, as
   * the {@link CodegenStage} {@code compiling SOURCE for TRIPLE cpu CPU}, each of the module's
   * groups translated as a stage naming its nodes.
   */
  public static Compiled compile(
    LoopModule module,
    Targets.Resolved target,
    Set<LlvmTarget.Output> outputs,
    PhaseTimer timer
  ) {
    return CodegenStage.during(
      "compiling " + module.source() + " for " + target.triple() + " cpu " + target.cpu(),
      () -> compileNow(module, target, outputs, timer)
    );
  }

  private static Compiled compileNow(
    LoopModule loopModule,
    Targets.Resolved target,
    Set<LlvmTarget.Output> outputs,
    PhaseTimer timer
  ) {
    LoopFunc f = loopModule.func();
    if (f.name() == null || !IDENTIFIER.matcher(f.name()).matches()) {
      throw DiagnosticException.error(
        Location.UNKNOWN,
        "the function name '" + f.name() + "' is not a C identifier"
      );
    }
    Set<LlvmTarget.Output> wanted = outputs.isEmpty()
      ? EnumSet.noneOf(LlvmTarget.Output.class)
      : EnumSet.copyOf(outputs);
    Map<String, byte[]> kernels = callsKernels(f.body())
      ? timer.time("kernel compilation", () -> KernelLibrary.bitcode(target))
      : Map.of();
    try (LlvmTarget machine = LlvmTarget.create(target)) {
      LLVMContextRef ctx = LLVMContextCreate();
      try {
        LLVMModuleRef module = LLVMModuleCreateWithNameInContext(f.name(), ctx);
        try {
          String symbol = f.name() + "_run";
          timer.time("LLVM IR generation", () -> {
            machine.configure(module);
            for (var kernel : kernels.entrySet()) {
              CodegenStage.during("linking kernel " + kernel.getKey(), () ->
                BitcodeLinker.link(module, kernel.getValue(), kernel.getKey())
              );
            }
            LoopTranslator.Entry entry = LoopTranslator.define(
              module,
              f.name(),
              f,
              constants(module, f, machine),
              loopModule.groups()
            );
            String infoSymbol = f.name() + "_info";
            LLVMValueRef info = ModelInfo.define(module, infoSymbol, f);
            for (LLVMValueRef fn : List.of(
              entry.run(),
              entry.runParallel(),
              entry.runCtx(),
              info
            )) {
              machine.markFunction(fn);
              LLVMAddAttributeAtIndex(
                fn,
                LLVMAttributeFunctionIndex,
                LLVMCreateEnumAttribute(ctx, LLVMGetEnumAttributeKindForName("nounwind", 8), 0)
              );
            }
            internalizeAllBut(
              module,
              Set.of(symbol, symbol + "_parallel", symbol + "_ctx", infoSymbol)
            );
            return null;
          });
          Compiled[] result = new Compiled[1];
          List<String> errors = Llvm.collectErrors(ctx, () ->
            result[0] = optimizeAndEmit(machine, module, wanted, timer)
          );
          if (!errors.isEmpty()) {
            throw new IllegalStateException(
              "llvm failed on " + symbol + ": " + String.join("; ", errors)
            );
          }
          return result[0];
        } finally {
          LLVMDisposeModule(module);
        }
      } finally {
        LLVMContextDispose(ctx);
      }
    }
  }

  private static Compiled optimizeAndEmit(
    LlvmTarget machine,
    LLVMModuleRef module,
    Set<LlvmTarget.Output> wanted,
    PhaseTimer timer
  ) {
    timer.time("LLVM optimization", () -> {
      ObjectEmitter.optimize(machine, module);
      return null;
    });
    return timer.time("emission", () -> emit(machine, module, wanted));
  }

  private static Compiled emit(
    LlvmTarget machine,
    LLVMModuleRef module,
    Set<LlvmTarget.Output> wanted
  ) {
    String ir = wanted.contains(LlvmTarget.Output.LLVM_IR)
      ? text(machine.emit(module, LlvmTarget.Output.LLVM_IR))
      : null;
    String asm = null;
    if (wanted.contains(LlvmTarget.Output.ASSEMBLY)) {
      LLVMModuleRef copy = LLVMCloneModule(module);
      try {
        asm = text(machine.emit(copy, LlvmTarget.Output.ASSEMBLY));
      } finally {
        LLVMDisposeModule(copy);
      }
    }
    return new Compiled(machine.emit(module, LlvmTarget.Output.OBJECT), asm, ir);
  }

  private static String text(byte[] bytes) {
    return new String(bytes, StandardCharsets.UTF_8);
  }

  private static boolean callsKernels(List<Stmt> body) {
    for (Stmt s : body) {
      boolean calls = switch (s) {
        case Stmt.Call c -> true;
        case Stmt.For f -> callsKernels(f.body());
        case Stmt.While w -> callsKernels(w.body());
        case Stmt.If i -> callsKernels(i.then()) || callsKernels(i.otherwise());
        default -> false;
      };
      if (calls) {
        return true;
      }
    }
    return false;
  }

  /** One private constant global per constant buffer, in the target's byte order. */
  static Map<Buffer, LLVMValueRef> constants(LLVMModuleRef module, LoopFunc f, LlvmTarget machine) {
    LLVMContextRef ctx = LLVMGetModuleContext(module);
    boolean bigEndian = List.of(machine.dataLayout().split("-")).contains("E");
    Map<Buffer, LLVMValueRef> globals = new IdentityHashMap<>();
    for (Buffer buf : f.constants()) {
      byte[] bytes = buf.data().bytes();
      if (bytes.length != buf.bytes()) {
        throw new IllegalStateException(
          "constant " + buf + " has " + bytes.length + " bytes, " + buf.bytes() + " expected"
        );
      }
      if (bigEndian) {
        bytes = swapBytes(bytes, buf.elem().bytes());
      }
      LLVMValueRef init;
      try (BytePointer data = new BytePointer(bytes)) {
        init = LLVMConstStringInContext2(ctx, data, bytes.length, 1);
      }
      LLVMValueRef global = LLVMAddGlobal(module, LLVMTypeOf(init), f.name() + "." + buf.name());
      LLVMSetInitializer(global, init);
      LLVMSetGlobalConstant(global, 1);
      LLVMSetLinkage(global, LLVMPrivateLinkage);
      LLVMSetUnnamedAddress(global, LLVMGlobalUnnamedAddr);
      LLVMSetAlignment(global, 64);
      globals.put(buf, global);
    }
    return globals;
  }

  private static byte[] swapBytes(byte[] littleEndian, int width) {
    byte[] out = new byte[littleEndian.length];
    for (int at = 0; at < out.length; at += width) {
      for (int i = 0; i < width; i++) {
        out[at + i] = littleEndian[at + width - 1 - i];
      }
    }
    return out;
  }

  /** Gives every defined function and global not named in {@code exported} internal linkage. */
  static void internalizeAllBut(LLVMModuleRef module, Set<String> exported) {
    for (
      LLVMValueRef fn = LLVMGetFirstFunction(module);
      fn != null && !fn.isNull();
      fn = LLVMGetNextFunction(fn)
    ) {
      if (LLVMIsDeclaration(fn) == 0 && !exported.contains(LLVMGetValueName(fn).getString())) {
        LLVMSetLinkage(fn, LLVMInternalLinkage);
      }
    }
    for (
      LLVMValueRef g = LLVMGetFirstGlobal(module);
      g != null && !g.isNull();
      g = LLVMGetNextGlobal(g)
    ) {
      if (LLVMIsDeclaration(g) == 0 && LLVMGetLinkage(g) != LLVMPrivateLinkage) {
        LLVMSetLinkage(g, LLVMInternalLinkage);
      }
    }
  }
}
