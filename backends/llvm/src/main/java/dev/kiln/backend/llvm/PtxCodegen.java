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
import java.util.Set;
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
    try (LlvmTarget machine = LlvmTarget.create(target)) {
      LLVMContextRef ctx = LLVMContextCreate();
      try {
        LLVMModuleRef module = LLVMModuleCreateWithNameInContext(f.name(), ctx);
        try {
          machine.configure(module);
          BitcodeLinker.link(module, GpuMath.bitcode(target), "gpu/math.c");
          Map<Buffer, LLVMValueRef> constants = LlvmCodegen.constants(module, f, machine);
          List<String> names = new ArrayList<>();
          for (Stmt s : f.body()) {
            if (!(s instanceof Stmt.For launch) || !isZero(launch)) {
              throw new IllegalStateException(
                "a top-level statement of " + f.name() + " is not a launch loop from 0"
              );
            }
            String name = kernelName(f.name(), names.size());
            LLVMValueRef kernel = LoopTranslator.defineKernel(module, name, f, launch, constants);
            machine.markFunction(kernel);
            names.add(name);
          }
          Set<String> exported = new HashSet<>(names);
          LlvmCodegen.internalizeAllBut(module, exported);
          String[] text = new String[1];
          List<String> errors = Llvm.collectErrors(ctx, () -> {
            ObjectEmitter.optimize(machine, module);
            text[0] = new String(
              machine.emit(module, LlvmTarget.Output.ASSEMBLY),
              StandardCharsets.UTF_8
            );
          });
          if (!errors.isEmpty()) {
            throw new IllegalStateException(
              "llvm failed on the kernels of " + f.name() + ": " + String.join("; ", errors)
            );
          }
          return new Ptx(text[0], names);
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
