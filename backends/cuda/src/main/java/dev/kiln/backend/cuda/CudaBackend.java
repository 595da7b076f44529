package dev.kiln.backend.cuda;

import dev.kiln.backend.Artifacts;
import dev.kiln.backend.Backend;
import dev.kiln.backend.CHeader;
import dev.kiln.backend.EmitOptions;
import dev.kiln.backend.LoopModule;
import dev.kiln.backend.llvm.PtxCodegen;
import dev.kiln.backend.llvm.Targets;
import dev.kiln.ir.loop.TargetInfo;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Set;

/**
 * The NVIDIA GPU backend ({@code --target nvptx64-nvidia-cuda}, alias {@code cuda}): Loop IR
 * lowered without runtime-c kernels ({@link TargetInfo.KernelSet#NONE}: every op as loops) is
 * scheduled for the GPU ({@link GpuSchedule}) and compiled to one PTX module ({@link PtxCodegen})
 * holding every kernel and the constants. It writes {@code NAME.ptx} (the {@link
 * Artifacts.Kind#ASSEMBLY}) and {@code NAME.h}: the tensor and workspace macros of every backend,
 * then the launch table, {@code NAME_CUDA_NUM_LAUNCHES} and {@code NAME_CUDA_LAUNCH_<k>} = {@code
 * "kernel", blocks, threads per block}, with the nodes each launch computes. Launch {@code k}
 * runs kernel {@code NAME_k<k>(inputs..., outputs..., workspace)} (device pointers, the workspace
 * {@code NAME_WORKSPACE_SIZE} bytes, 64-byte aligned) on one stream in table order. With {@link
 * Artifacts.Kind#C_SOURCE} it also writes the host plan {@code NAME_host.c} ({@link HostPlan}),
 * whose functions the header declares.
 */
public final class CudaBackend implements Backend {

  /** The {@code --target} alias of {@link Targets#NVPTX64_CUDA}. */
  public static final String ALIAS = "cuda";

  private final Targets.Resolved resolved;
  private final TargetInfo info;

  /** The backend for the GPU {@code cpu} ({@code sm_80} when null). */
  public CudaBackend(String cpu) {
    this.resolved = Targets.resolveCuda(cpu);
    this.info = Targets.info(resolved);
  }

  /** Whether {@code target} names this backend. */
  public static boolean names(String target) {
    return ALIAS.equals(target) || Targets.NVPTX64_CUDA.name().equals(target);
  }

  @Override
  public String name() {
    return "cuda";
  }

  /** The host plan (C source, embedding the PTX), which a program links to run the model. */
  @Override
  public Artifacts.Kind linkable() {
    return Artifacts.Kind.C_SOURCE;
  }

  @Override
  public TargetInfo target() {
    return info;
  }

  @Override
  public Artifacts compile(LoopModule module, TargetInfo target, EmitOptions options) {
    if (!target.equals(info)) {
      throw new IllegalArgumentException(
        "loop ir lowered for " + target.name() + " given to the backend of " + info.name()
      );
    }
    Set<Artifacts.Kind> made = Set.of(Artifacts.Kind.ASSEMBLY, Artifacts.Kind.C_SOURCE);
    if (!made.containsAll(options.kinds())) {
      throw new UnsupportedOperationException(
        "the cuda backend writes PTX (assembly) and the host plan (C source), not " +
        options.kinds()
      );
    }
    GpuSchedule.Scheduled s = GpuSchedule.of(module);
    PtxCodegen.Ptx ptx = PtxCodegen.compile(s.func(), resolved);
    String name = module.func().name();
    Artifacts a = new Artifacts();
    a.add(name + ".ptx", utf8(ptx.text()), Artifacts.Kind.ASSEMBLY);
    a.add(name + ".h", utf8(header(module, s, ptx)), null);
    if (options.wants(Artifacts.Kind.C_SOURCE)) {
      String plan = HostPlan.source(module.func(), name, module.source(), ptx.text(), s.launches());
      a.add(name + "_host.c", utf8(plan), Artifacts.Kind.C_SOURCE);
    }
    return a;
  }

  private String header(LoopModule module, GpuSchedule.Scheduled s, PtxCodegen.Ptx ptx) {
    String name = module.func().name();
    String up = name.toUpperCase(Locale.ROOT);
    StringBuilder d = new StringBuilder();
    d.append("\n/* Device code: ").append(name).append(".ptx (").append(resolved.cpuName());
    d.append(" and later). Launch k runs kernel \"").append(name).append("_k<k>\"(inputs...,\n");
    d.append("   outputs..., workspace), all device pointers, with _BLOCKS blocks of _THREADS\n");
    d.append("   threads, in order on one stream. */\n");
    d.append("#define ").append(up).append("_CUDA_NUM_LAUNCHES ");
    d.append(s.launches().size()).append('\n');
    for (int k = 0; k < s.launches().size(); k++) {
      GpuSchedule.Launch l = s.launches().get(k);
      String p = "#define " + up + "_CUDA_LAUNCH_" + k;
      if (!l.nodes().isEmpty()) {
        d.append("/* ").append(CHeader.comment(String.join(", ", l.nodes()))).append(" */\n");
      }
      d.append(p).append("_KERNEL ").append(CHeader.literal(ptx.kernels().get(k))).append('\n');
      d.append(p).append("_BLOCKS ").append(l.blocks()).append('\n');
      d.append(p).append("_THREADS ").append(Math.min(l.threads(), GpuSchedule.BLOCK)).append('\n');
    }
    d.append('\n').append(HostPlan.declarations(name));
    return CHeader.of(module.func(), name, module.source(), d.toString());
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
