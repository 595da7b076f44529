package dev.kiln.conformance;

import dev.kiln.backend.LoopModule;
import dev.kiln.backend.cuda.CudaBackend;
import dev.kiln.backend.cuda.GpuInterpreter;
import dev.kiln.backend.cuda.GpuSchedule;
import dev.kiln.backend.cuda.Ptxas;
import dev.kiln.backend.llvm.PtxCodegen;
import dev.kiln.backend.llvm.Targets;
import dev.kiln.frontend.ImportedModel;
import dev.kiln.ir.Tensor;
import dev.kiln.lower.Lowering;
import java.util.List;
import java.util.Optional;

/**
 * Runs a model as the CUDA backend compiles it, without a GPU ({@code --backend gpusim}): lowered
 * for the GPU target (loops only), scheduled into launches ({@link GpuSchedule}), compiled to PTX
 * that {@code ptxas} (when on {@code PATH}) must accept for {@code sm_80} and {@code sm_90}, and
 * run in the {@link GpuInterpreter}, where a race between threads is an error.
 */
public final class GpuSimEngine implements ConformanceRunner.Engine {

  /** The architectures ptxas checks the PTX for. */
  public static final List<String> ARCHS = List.of("sm_80", "sm_90");

  private final CudaBackend backend = new CudaBackend(null);
  private final Optional<Ptxas> ptxas;

  /** An engine checking PTX with {@code ptxas} (none: PTX is still compiled, not assembled). */
  public GpuSimEngine(Optional<Ptxas> ptxas) {
    this.ptxas = ptxas;
  }

  @Override
  public List<Tensor> run(ImportedModel m, List<Tensor> args) {
    LoopModule module = Lowering.lowerModule(
      m.module().funcs().getFirst(),
      "model",
      m.inputNames(),
      m.outputNames(),
      backend.target(),
      "model"
    );
    GpuSchedule.Scheduled s = GpuSchedule.of(module);
    String ptx = PtxCodegen.compile(s.func(), Targets.resolveCuda(null)).text();
    ptxas.ifPresent(p -> ARCHS.forEach(arch -> p.check(ptx, arch)));
    return GpuInterpreter.run(s.func(), args);
  }
}
