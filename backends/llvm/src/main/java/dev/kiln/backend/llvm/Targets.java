package dev.kiln.backend.llvm;

import dev.kiln.backend.KernelConfig;
import dev.kiln.ir.DiagnosticException;
import dev.kiln.ir.Location;
import dev.kiln.ir.loop.TargetInfo;
import java.util.List;
import java.util.Optional;

/**
 * The targets Kiln compiles for and the CPUs each accepts, mapped to what LLVM wants: a normalized
 * triple, a CPU name and a feature string. {@link #resolve} turns the user's {@code --target} and
 * {@code --cpu} into a {@link Resolved}; anything not in the table is a one-line error listing the
 * valid names.
 *
 * <p>Triples are spelled as clang writes them into bitcode ({@code armv7} for ARMv7-A), so that
 * kernels compiled by {@link Clang} link into modules for the same target without a mismatch.
 *
 * <p>The CPU {@code native} of {@code x86_64-linux-gnu} is the CPU of the machine running the
 * compiler (LLVM's host CPU name and features), so its objects differ between machines; every other
 * entry is fixed.
 */
public final class Targets {

  /** A CPU a target accepts: the Kiln name, the LLVM CPU name and extra LLVM features. */
  public record Cpu(String name, String llvmCpu, String features) {}

  /** How code addresses itself: position independent for Linux, absolute for bare metal. */
  public enum Relocation {
    PIC,
    STATIC,
  }

  /**
   * A supported target: the Kiln name (as on the command line), the normalized LLVM triple, the
   * LLVM architecture family whose backend must be initialized, the relocation model, and its CPUs
   * (the first is the default).
   */
  public record Target(
    String name,
    String triple,
    Arch arch,
    Relocation relocation,
    List<Cpu> cpus
  ) {
    public Target {
      cpus = List.copyOf(cpus);
    }

    public Cpu defaultCpu() {
      return cpus.getFirst();
    }

    public Optional<Cpu> cpu(String name) {
      return cpus
        .stream()
        .filter(c -> c.name().equals(name))
        .findFirst();
    }

    public List<String> cpuNames() {
      return cpus.stream().map(Cpu::name).toList();
    }
  }

  /** LLVM backends Kiln initializes. */
  public enum Arch {
    X86,
    AARCH64,
    ARM,
    /** NVIDIA GPUs (PTX); initialized without an assembly parser, which LLVM's NVPTX lacks. */
    NVPTX,
  }

  /** A target and CPU ready for LLVM: {@code cpu} and {@code features} as LLVM spells them. */
  public record Resolved(
    Target target,
    String cpuName,
    String triple,
    String cpu,
    String features
  ) {
    public Arch arch() {
      return target.arch();
    }
  }

  /** The name of the CPU that stands for the machine running the compiler. */
  public static final String NATIVE = "native";

  public static final Target X86_64_LINUX = new Target(
    "x86_64-linux-gnu",
    "x86_64-unknown-linux-gnu",
    Arch.X86,
    Relocation.PIC,
    List.of(
      new Cpu("x86-64-v2", "x86-64-v2", ""),
      new Cpu("x86-64-v3", "x86-64-v3", ""),
      new Cpu("skylake-avx512", "skylake-avx512", ""),
      new Cpu(NATIVE, NATIVE, "")
    )
  );

  public static final Target AARCH64_LINUX = new Target(
    "aarch64-linux-gnu",
    "aarch64-unknown-linux-gnu",
    Arch.AARCH64,
    Relocation.PIC,
    List.of(
      new Cpu("generic", "generic", "+neon"),
      new Cpu("cortex-a53", "cortex-a53", ""),
      new Cpu("cortex-a72", "cortex-a72", ""),
      new Cpu("neoverse-n1", "neoverse-n1", "")
    )
  );

  public static final Target ARMV7A_LINUX = new Target(
    "armv7a-linux-gnueabihf",
    "armv7-unknown-linux-gnueabihf",
    Arch.ARM,
    Relocation.PIC,
    List.of(new Cpu("generic", "generic", "+neon,+vfp3,+d32"))
  );

  public static final Target THUMBV7EM_NONE = new Target(
    "thumbv7em-none-eabihf",
    "thumbv7em-unknown-none-eabihf",
    Arch.ARM,
    Relocation.STATIC,
    List.of(new Cpu("cortex-m4", "cortex-m4", ""), new Cpu("cortex-m7", "cortex-m7", ""))
  );

  public static final List<Target> ALL = List.of(
    X86_64_LINUX,
    AARCH64_LINUX,
    ARMV7A_LINUX,
    THUMBV7EM_NONE
  );

  /**
   * NVIDIA GPUs: PTX for the CUDA driver, which compiles it for the GPU it runs on. Not in {@link
   * #ALL} (no objects, no C kernels); the CUDA backend resolves it with {@link #resolveCuda}. The
   * CPU is the oldest compute capability the PTX must run on; every one asks for PTX ISA 7.8 (CUDA
   * 11.8 drivers and later).
   */
  public static final Target NVPTX64_CUDA = new Target(
    "nvptx64-nvidia-cuda",
    "nvptx64-nvidia-cuda",
    Arch.NVPTX,
    Relocation.PIC,
    List.of(
      new Cpu("sm_80", "sm_80", "+ptx78"),
      new Cpu("sm_86", "sm_86", "+ptx78"),
      new Cpu("sm_89", "sm_89", "+ptx78"),
      new Cpu("sm_90", "sm_90", "+ptx78")
    )
  );

  private Targets() {}

  /** {@link #NVPTX64_CUDA} with {@code cpuName} (null: {@code sm_80}), or a diagnostic. */
  public static Resolved resolveCuda(String cpuName) {
    Target t = NVPTX64_CUDA;
    Cpu cpu = cpuName == null
      ? t.defaultCpu()
      : t.cpu(cpuName).orElseThrow(() -> unknownCpu(cpuName, t));
    return new Resolved(t, cpu.name(), t.triple(), cpu.llvmCpu(), cpu.features());
  }

  private static DiagnosticException unknownCpu(String cpuName, Target t) {
    return DiagnosticException.error(
      Location.UNKNOWN,
      "unknown cpu \"" +
      cpuName +
      "\" for target " +
      t.name() +
      ": supported cpus are " +
      String.join(", ", t.cpuNames())
    );
  }

  public static List<String> names() {
    return ALL.stream().map(Target::name).toList();
  }

  /** The target named {@code name}, or a diagnostic listing the supported ones. */
  public static Target target(String name) {
    for (Target t : ALL) {
      if (t.name().equals(name)) {
        return t;
      }
    }
    throw DiagnosticException.error(
      Location.UNKNOWN,
      "unknown target \"" + name + "\": supported targets are " + String.join(", ", names())
    );
  }

  /** The target for the machine running the compiler; only x86-64 Linux hosts have one. */
  public static Target host() {
    String arch = System.getProperty("os.arch", "");
    String os = System.getProperty("os.name", "");
    if (os.startsWith("Linux")) {
      if (arch.equals("amd64") || arch.equals("x86_64")) {
        return X86_64_LINUX;
      }
      if (arch.equals("aarch64")) {
        return AARCH64_LINUX;
      }
    }
    throw DiagnosticException.error(
      Location.UNKNOWN,
      "the host (" +
      os +
      " " +
      arch +
      ") is not a supported target; pass --target, one of " +
      String.join(", ", names())
    );
  }

  /**
   * Resolves a target name and CPU name (null for the target's default CPU) to LLVM's triple, CPU
   * and features. {@code native} asks LLVM for the host CPU and its features.
   */
  public static Resolved resolve(String targetName, String cpuName) {
    Target t = target(targetName);
    Cpu cpu = cpuName == null
      ? t.defaultCpu()
      : t.cpu(cpuName).orElseThrow(() -> unknownCpu(cpuName, t));
    if (cpu.name().equals(NATIVE)) {
      Target host = host();
      if (host != t) {
        throw DiagnosticException.error(
          Location.UNKNOWN,
          "cpu native means the host, which is " + host.name() + ", not " + t.name()
        );
      }
      LlvmTarget.HostCpu h = LlvmTarget.hostCpu();
      return new Resolved(t, cpu.name(), t.triple(), h.name(), h.features());
    }
    return new Resolved(t, cpu.name(), t.triple(), cpu.llvmCpu(), cpu.features());
  }

  /**
   * What lowering needs to know about {@code r}: the kernel set its CPU's features select, the
   * GEMM register block the runtime-c micro-kernel is compiled with for it, and typical cache
   * sizes of such cores.
   */
  public static TargetInfo info(Resolved r) {
    String name = r.target().name() + "/" + r.cpuName();
    return switch (r.arch()) {
      case X86 -> {
        String f = r.features();
        boolean avx512 = r.cpu().equals("skylake-avx512") || f.contains("+avx512f");
        boolean avx2 = r.cpu().equals("x86-64-v3") || (f.contains("+avx2") && f.contains("+fma"));
        if (avx512) {
          yield new TargetInfo(
            name,
            TargetInfo.KernelSet.X86_AVX512,
            64,
            12,
            32,
            48 << 10,
            1 << 20,
            true
          );
        }
        if (avx2) {
          yield new TargetInfo(
            name,
            TargetInfo.KernelSet.X86_AVX2,
            32,
            6,
            16,
            32 << 10,
            512 << 10,
            true
          );
        }
        yield new TargetInfo(
          name,
          TargetInfo.KernelSet.X86_SSE,
          16,
          4,
          8,
          32 << 10,
          256 << 10,
          true
        );
      }
      case AARCH64 -> new TargetInfo(
        name,
        TargetInfo.KernelSet.NEON64,
        16,
        8,
        12,
        32 << 10,
        512 << 10,
        true
      );
      case ARM -> r.target().relocation() == Relocation.STATIC
        ? new TargetInfo(name, TargetInfo.KernelSet.SCALAR, 4, 4, 4, 1 << 10, 8 << 10, false)
        : new TargetInfo(name, TargetInfo.KernelSet.NEON32, 16, 4, 8, 32 << 10, 256 << 10, true);
      case NVPTX -> new TargetInfo(
        name,
        TargetInfo.KernelSet.NONE,
        4,
        1,
        1,
        48 << 10,
        40 << 20,
        false
      );
    };
  }

  /** The {@code -D} definitions that compile the runtime-c kernels for {@link #info}'s block. */
  public static List<String> kernelDefines(Resolved r) {
    return KernelConfig.defines(info(r));
  }
}
