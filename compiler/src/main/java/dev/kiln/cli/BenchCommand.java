package dev.kiln.cli;

import dev.kiln.backend.llvm.Targets;
import dev.kiln.emit.NativeCompiler;
import dev.kiln.emit.NativeEngine;
import dev.kiln.frontend.ImportedModel;
import dev.kiln.ir.DiagnosticException;
import dev.kiln.ir.ElementType;
import dev.kiln.ir.Location;
import dev.kiln.ir.Tensor;
import dev.kiln.ir.TensorType;
import dev.kiln.pass.Pipelines;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/**
 * {@code kiln bench MODEL}: compiles a model as {@code kiln compile} would ({@code -O2} unless
 * given), links it with the harness for the target and times it there: {@code --warmup} untimed
 * runs, then {@code --runs} runs timed one by one; prints the minimum, median, mean, 90th percentile
 * and maximum per run, the object's size and the workspace. Inputs given as {@code NAME=FILE} are
 * used as they are; the others ({@code NAME=DIMS[:type]} or the model's own static shapes) are
 * filled from a fixed seed (floats uniform in [-1, 1), integers and booleans 0), so runs are
 * repeatable. ARM targets run under qemu, whose times say little about the hardware.
 */
@Command(
  name = "bench",
  mixinStandardHelpOptions = true,
  description = "Compile a model for a target, run it there and report the time per inference."
)
final class BenchCommand implements Callable<Integer> {

  @ParentCommand
  private Main main;

  @Mixin
  private ModelSource source;

  @Option(
    names = "--input",
    paramLabel = "NAME=FILE|DIMS[:type]",
    description = "An input's value (.npy or .pb) or its shape (then seeded random data)."
  )
  private List<String> inputs = new ArrayList<>();

  @Option(names = "--runs", defaultValue = "100", description = "Timed runs (default: 100).")
  private long runs;

  @Option(
    names = "--warmup",
    defaultValue = "10",
    description = "Untimed runs first (default: 10)."
  )
  private long warmup;

  @Option(names = "--target", paramLabel = "TRIPLE", description = "Default: the host.")
  private String target;

  @Option(
    names = "--cpu",
    paramLabel = "NAME",
    description = "Default: native for the host, else the target's baseline."
  )
  private String cpu;

  @Option(
    names = "--threads",
    paramLabel = "N",
    defaultValue = "1",
    description = "Threads of the pool the model runs on (default: 1)."
  )
  private int threads;

  @Mixin
  private PassOptions passOptions;

  @Override
  public Integer call() {
    if (runs < 1 || runs > 100_000_000 || warmup < 0 || warmup > 100_000_000) {
      throw DiagnosticException.error(
        Location.UNKNOWN,
        "--runs must be in [1, 10^8] and --warmup in [0, 10^8]"
      );
    }
    ModelInputs in = ModelInputs.of(inputs);
    ImportedModel m = source.load(in.options());
    passOptions
      .manager(null, Pipelines.DEFAULT_LEVEL, PassOptions.MODEL_DUMPS)
      .run(m.module(), main.err);
    List<Tensor> args = new ArrayList<>();
    var arguments = m.module().funcs().getFirst().arguments();
    for (int i = 0; i < arguments.size(); i++) {
      String name = m.inputNames().get(i);
      Tensor given = in.values.get(name);
      args.add(given != null ? given : seeded(name, arguments.get(i).type(), i));
    }
    if (threads < 1 || threads > 1024) {
      throw DiagnosticException.error(Location.UNKNOWN, "--threads must be in [1, 1024]");
    }
    var resolved = NativeCompiler.resolve(target, NativeCompiler.hostCpuByDefault(target, cpu));
    NativeEngine.Timing t = new NativeEngine(resolved, 3600).bench(m, args, warmup, runs, threads);
    main.out.printf(
      "kiln bench: %s for %s (%s, %s kernels), %d thread%s: object %d bytes, workspace %d bytes%n",
      source.model,
      resolved.target().name(),
      resolved.cpuName(),
      Targets.info(resolved).kernels(),
      threads,
      threads == 1 ? "" : "s",
      t.objectBytes(),
      t.workspaceBytes()
    );
    main.out.printf(
      "%d runs after %d warm-up: min %.1f us, median %.1f us, mean %.1f us, p90 %.1f us, max %.1f us%n",
      t.runs(),
      warmup,
      t.min(),
      t.median(),
      t.mean(),
      t.p90(),
      t.max()
    );
    return Main.OK;
  }

  /** A repeatable value for input {@code index}: floats uniform in [-1, 1), anything else 0. */
  private Tensor seeded(String name, TensorType type, int index) {
    if (!type.shape().isStatic()) {
      throw DiagnosticException.error(
        Location.UNKNOWN,
        source.model +
        ": input " +
        name +
        " has the dynamic shape " +
        type.shape() +
        "; give --input " +
        name +
        "=DIMS"
      );
    }
    SplittableRandom r = new SplittableRandom(index);
    Tensor.Builder b = new Tensor.Builder(type);
    boolean real = type.elementType().isFloat();
    for (long k = 0; k < b.size(); k++) {
      b.setDouble(k, real ? r.nextDouble() * 2 - 1 : 0);
    }
    return b.build();
  }
}
