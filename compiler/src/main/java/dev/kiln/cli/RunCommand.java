package dev.kiln.cli;

import dev.kiln.conformance.LoopEngine;
import dev.kiln.emit.CudaDriver;
import dev.kiln.emit.NativeCompiler;
import dev.kiln.emit.NativeEngine;
import dev.kiln.frontend.ImportedModel;
import dev.kiln.interp.Interpreter;
import dev.kiln.io.Npy;
import dev.kiln.ir.DiagnosticException;
import dev.kiln.ir.Location;
import dev.kiln.ir.Tensor;
import dev.kiln.pass.Pipelines;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/**
 * {@code kiln run MODEL --input NAME=FILE ... --output-dir DIR}: optimizes a model ({@code -O},
 * default {@code -O2}) and runs it on given inputs.
 */
@Command(
  name = "run",
  mixinStandardHelpOptions = true,
  description = "Run a model on inputs from .npy or TensorProto .pb files; write DIR/output_<i>.npy."
)
final class RunCommand implements Callable<Integer> {

  /** Where the model runs. */
  enum Backend {
    INTERP,
    LOOP,
    NATIVE,
    C,
    CUDA;

    @Override
    public String toString() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  @ParentCommand
  private Main main;

  @Mixin
  private ModelSource source;

  @Option(names = "--input", paramLabel = "NAME=FILE", description = "Input value (.npy or .pb).")
  private List<String> inputs = new ArrayList<>();

  @Option(
    names = "--backend",
    defaultValue = "interp",
    description = "Backend: ${COMPLETION-CANDIDATES}."
  )
  private Backend backend;

  @Option(
    names = "--output-dir",
    paramLabel = "DIR",
    required = true,
    description = "Where outputs go."
  )
  private Path outputDir;

  @Option(
    names = "--target",
    paramLabel = "TRIPLE",
    description = "Native backend: the target (default: the host; ARM targets run under qemu)."
  )
  private String target;

  @Option(
    names = "--cpu",
    paramLabel = "NAME",
    description = "Native backend: the CPU (default: native on the host, else the baseline)."
  )
  private String cpu;

  @Option(
    names = "--threads",
    paramLabel = "N",
    defaultValue = "1",
    description = "Native backend: threads of the pool the model runs on (default: 1)."
  )
  private int threads;

  @Mixin
  private PassOptions passOptions;

  @Override
  public Integer call() {
    if (backend == Backend.CUDA) {
      if (target != null) {
        throw DiagnosticException.error(
          Location.UNKNOWN,
          "--backend cuda runs on the GPU: it takes --cpu sm_80|sm_86|sm_89|sm_90, not --target"
        );
      }
      CudaDriver.require();
    }
    ModelInputs in = ModelInputs.of(inputs);
    ImportedModel m = source.load(in.options());
    passOptions
      .manager(null, Pipelines.DEFAULT_LEVEL, PassOptions.MODEL_DUMPS)
      .run(m.module(), main.err);
    List<Tensor> args = new ArrayList<>();
    List<String> missing = new ArrayList<>();
    for (String name : m.inputNames()) {
      Tensor t = in.values.get(name);
      if (t == null) {
        missing.add(name);
      }
      args.add(t);
    }
    if (!missing.isEmpty()) {
      throw DiagnosticException.error(
        Location.UNKNOWN,
        source.model +
        ": no value for input " +
        String.join(", ", missing) +
        " (use --input NAME=FILE)"
      );
    }
    if (backend == Backend.NATIVE || backend == Backend.C) {
      if (threads < 1 || threads > 1024) {
        throw DiagnosticException.error(Location.UNKNOWN, "--threads must be in [1, 1024]");
      }
    }
    if (
      backend == Backend.C &&
      (target == null ? cpu != null : !target.equals(NativeCompiler.CORTEX_M))
    ) {
      throw DiagnosticException.error(
        Location.UNKNOWN,
        "--backend c builds portable C with the host's cc, or for --target " +
        NativeCompiler.CORTEX_M +
        " with arm-none-eabi-gcc; it takes no other --target or --cpu"
      );
    }
    List<Tensor> outputs = switch (backend) {
      case INTERP -> Interpreter.run(m.module().funcs().getFirst(), args);
      case LOOP -> LoopEngine.INSTANCE.run(m, args);
      case NATIVE -> new NativeEngine(
        NativeCompiler.resolve(target, NativeCompiler.hostCpuByDefault(target, cpu)),
        3600,
        threads
      ).run(m, args);
      case C -> (target == null
          ? NativeEngine.portableC(3600, threads)
          : NativeEngine.portableC(NativeCompiler.resolve(target, cpu), 3600, threads)).run(
        m,
        args
      );
      case CUDA -> NativeEngine.cuda(cpu, 3600).run(m, args);
    };
    for (int i = 0; i < outputs.size(); i++) {
      OutputFiles.write(outputDir.resolve("output_" + i + ".npy"), Npy.encode(outputs.get(i)));
    }
    return Main.OK;
  }
}
