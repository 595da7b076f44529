package dev.kiln.backend.llvm;

import static org.bytedeco.llvm.global.LLVM.*;

import dev.kiln.ir.loop.Buffer;
import dev.kiln.ir.loop.LoopFunc;
import dev.kiln.ir.loop.Stmt;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import org.bytedeco.llvm.LLVM.LLVMContextRef;
import org.bytedeco.llvm.LLVM.LLVMModuleRef;
import org.bytedeco.llvm.LLVM.LLVMValueRef;

/**
 * PTX for NVIDIA GPUs from GPU-scheduled Loop IR, through LLVM's NVPTX backend: every top-level
 * statement of the function is a launch, a loop {@code for t in [0, n)} whose iterations are the
 * threads of one kernel (see the CUDA backend's scheduler). Kernel {@code k} is {@code
 * void NAME_k<k>(inputs..., outputs..., workspace)}, all pointers to device memory, with the
 * {@code ptx_kernel} calling convention; thread {@code blockIdx.x * blockDim.x + threadIdx.x} runs
 * iteration {@code t} of its loop and threads past {@code n} do nothing, so any grid covering
 * {@code n} threads computes the launch. Constant buffers are module globals (the PTX carries the
 * weights). The transcendental operations call {@link GpuMath}'s functions, linked from bitcode.
 * The module is verified, optimized with {@code default<O3>} and printed as PTX; the same function
 * and target give the same text.
 */
public final class PtxCodegen {

  private PtxCodegen() {}

  /** The PTX module text and the name of each launch's kernel, in launch order. */
  public record Ptx(String text, List<String> kernels) {
    public Ptx {
      kernels = List.copyOf(kernels);
    }
  }

  /** The kernel name of launch {@code k} of the model {@code name}. */
  public static String kernelName(String name, int k) {
    return name + "_k" + k;
  }

  /**
   * Compiles {@code f} (every top-level statement a {@link Stmt.For} from 0) for the GPU {@code
   * target} ({@link Targets#resolveCuda}).
   */
  public static Ptx compile(LoopFunc f, Targets.Resolved target) {
    if (target.arch() != Targets.Arch.NVPTX) {
      throw new IllegalArgumentException("ptx for " + target.triple());
    }
    return new Ptx(text(build(f, target, false, LlvmTarget.Output.ASSEMBLY)), kernels(f));
  }

  /**
   * The CPU twins of {@code f}'s kernels as a shared library for the host {@code target}: {@code
   * void NAME_k<k>(void *const *params, int64_t thread)} computes what GPU thread {@code thread}
   * of launch {@code k} computes, {@code params} as the driver's {@code kernelParams}. What a fake
   * CUDA driver runs in tests; math calls the host's libm, which the loading program provides.
   */
  public static byte[] twins(LoopFunc f, Targets.Resolved target) {
    if (target.arch() == Targets.Arch.NVPTX) {
      throw new IllegalArgumentException("cpu twins for " + target.triple());
    }
    return Clang.bundled().linkShared(build(f, target, true, LlvmTarget.Output.OBJECT), target);
  }

  private static List<String> kernels(LoopFunc f) {
    List<String> names = new ArrayList<>();
    for (int k = 0; k < f.body().size(); k++) {
      names.add(kernelName(f.name(), k));
    }
    return names;
  }

  private static String text(byte[] bytes) {
    return new String(bytes, StandardCharsets.UTF_8);
  }

  private static byte[] build(
    LoopFunc f,
    Targets.Resolved target,
    boolean twins,
    LlvmTarget.Output output
  ) {
    try (LlvmTarget machine = LlvmTarget.create(target)) {
      LLVMContextRef ctx = LLVMContextCreate();
      try {
        LLVMModuleRef module = LLVMModuleCreateWithNameInContext(f.name(), ctx);
        try {
          machine.configure(module);
          if (!twins) {
            BitcodeLinker.link(module, GpuMath.bitcode(target), "gpu/math.c");
          }
          Map<Buffer, LLVMValueRef> constants = LlvmCodegen.constants(module, f, machine);
          List<String> names = kernels(f);
          for (int k = 0; k < names.size(); k++) {
            if (!(f.body().get(k) instanceof Stmt.For launch) || !isZero(launch)) {
              throw new IllegalStateException(
                "a top-level statement of " + f.name() + " is not a launch loop from 0"
              );
            }
            LLVMValueRef kernel = LoopTranslator.defineKernel(
              module,
              names.get(k),
              f,
              launch,
              constants
            );
            machine.markFunction(kernel);
          }
          LlvmCodegen.internalizeAllBut(module, new HashSet<>(names));
          byte[][] result = new byte[1][];
          List<String> errors = Llvm.collectErrors(ctx, () -> {
            ObjectEmitter.optimize(machine, module);
            result[0] = machine.emit(module, output);
          });
          if (!errors.isEmpty()) {
            throw new IllegalStateException(
              "llvm failed on the kernels of " + f.name() + ": " + String.join("; ", errors)
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

  private static boolean isZero(Stmt.For launch) {
    return launch.lower() instanceof dev.kiln.ir.loop.Expr.IntConst c && c.value() == 0;
  }
}
