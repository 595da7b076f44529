package dev.kiln.cli;

import dev.kiln.backend.cuda.Ptxas;
import dev.kiln.conformance.ConformanceRunner;
import dev.kiln.conformance.GpuSimEngine;
import dev.kiln.conformance.LoopEngine;
import dev.kiln.conformance.Tolerance;
import dev.kiln.emit.CudaDriver;
import dev.kiln.emit.NativeCompiler;
import dev.kiln.emit.NativeEngine;
import dev.kiln.emit.Toolchain;
import dev.kiln.ir.DiagnosticException;
import dev.kiln.ir.Location;
import dev.kiln.pass.Pipelines;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/**
 * {@code kiln conformance DIR}: runs ONNX backend node tests and prints {@code PASS name}, {@code
 * FAIL name reason} or {@code SKIP name reason} per test, then {@code N passed, N failed, N
 * skipped}. Each test's graph goes through the {@code -O} pipeline (default {@code -O2}) before the
 * interpreter runs it. Exits 0 when it could run the tests, whatever they reported.
 */
@Command(
  name = "conformance",
  mixinStandardHelpOptions = true,
  description = "Run ONNX backend node tests (model.onnx + test_data_set_*) and compare outputs."
)
final class ConformanceCommand implements Callable<Integer> {

  /** Where the tests run. */
  enum Backend {
    INTERP,
    LOOP,
    NATIVE,
    C,
    GPUSIM,
    CUDA;

    @Override
    public String toString() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  @ParentCommand
  private Main main;

  @Parameters(index = "0", paramLabel = "DIR", description = "A directory of test directories.")
  private Path dir;

  @Option(
    names = "--backend",
    defaultValue = "interp",
    description = "Backend: ${COMPLETION-CANDIDATES}."
  )
  private Backend backend;

  @Option(names = "--filter", paramLabel = "REGEX", description = "Run tests whose name matches.")
  private String filter;

  @Option(
    names = "--tolerances",
    paramLabel = "FILE",
    description = "Per-test overrides: lines 'name rtol atol # reason'."
  )
  private Path tolerances;

  @Option(
    names = "--jobs",
    paramLabel = "N",
    description = "Tests run in parallel (default: cores)."
  )
  private int jobs = Runtime.getRuntime().availableProcessors();

  @Option(
    names = "--timeout",
    paramLabel = "SECONDS",
    description = "Per-test limit (default 120)."
  )
  private long timeout = 120;

  @Option(
    names = "--target",
    paramLabel = "TRIPLE",
    description = "Native backend: the target (default: the host; ARM targets run under qemu)."
  )
  private String target;

  /** What {@code --sanitize} can ask for. */
  enum Sanitizer {
    address,
    undefined,
    thread,
  }

  @Option(
    names = "--sanitize",
    split = ",",
    paramLabel = "KIND",
    description = "Native and C backends: build each test program (harness, generated C) with " +
    "-fsanitize=KIND,... (${COMPLETION-CANDIDATES}); a report fails the test."
  )
  private List<Sanitizer> sanitize = new ArrayList<>();

  @Option(names = "--cpu", paramLabel = "NAME", description = "Native backend: the CPU.")
  private String cpu;

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
    if (!Files.isDirectory(dir)) {
      throw DiagnosticException.error(Location.UNKNOWN, dir + ": not a directory");
    }
    Pattern p;
    try {
      p = filter == null ? null : Pattern.compile(filter);
    } catch (PatternSyntaxException e) {
      throw DiagnosticException.error(Location.UNKNOWN, "--filter: " + e.getDescription());
    }
    if (backend == Backend.C && (target != null || cpu != null)) {
      throw DiagnosticException.error(
        Location.UNKNOWN,
        "--backend c builds portable C with the host's cc; it takes no --target or --cpu"
      );
    }
    Map<String, Tolerance> overrides = tolerances == null
      ? Map.of()
      : ConformanceRunner.readOverrides(tolerances);
    List<Path> tests = ConformanceRunner.tests(dir, p);
    if (!sanitize.isEmpty() && (backend == Backend.INTERP || backend == Backend.LOOP)) {
      throw DiagnosticException.error(
        Location.UNKNOWN,
        "--sanitize applies to --backend native and c, which build programs"
      );
    }
    List<String> sanitizerFlags = sanitize.isEmpty()
      ? List.of()
      : Toolchain.sanitizerFlags(sanitize.stream().map(Sanitizer::name).toList());
    int[] counts = new int[3];
    ConformanceRunner runner = new ConformanceRunner(
      overrides,
      timeout,
      passOptions.passes(Pipelines.DEFAULT_LEVEL),
      passOptions.options(PassOptions.MODEL_DUMPS),
      main.err,
      switch (backend) {
        case INTERP -> ConformanceRunner.Engine.INTERPRETER;
        case LOOP -> LoopEngine.INSTANCE;
        case NATIVE -> new NativeEngine(
          NativeCompiler.resolve(target, cpu),
          timeout
        ).withToolchainFlags(sanitizerFlags);
        case C -> NativeEngine.portableC(timeout, 1).withToolchainFlags(sanitizerFlags);
        case GPUSIM -> new GpuSimEngine(Ptxas.find());
        case CUDA -> NativeEngine.cuda(cpu, timeout);
      }
    );
    runner.run(tests, jobs, r -> {
      main.out.println(r);
      counts[r.status().ordinal()]++;
    });
    main.out.println(counts[0] + " passed, " + counts[1] + " failed, " + counts[2] + " skipped");
    return Main.OK;
  }
}
