package dev.kiln.emit;

import dev.kiln.backend.Artifacts;
import dev.kiln.backend.Backend;
import dev.kiln.backend.CHeader;
import dev.kiln.backend.EmitOptions;
import dev.kiln.backend.LoopModule;
import dev.kiln.backend.c.CBackend;
import dev.kiln.backend.cuda.CudaBackend;
import dev.kiln.backend.llvm.LlvmBackend;
import dev.kiln.backend.llvm.Targets;
import dev.kiln.conformance.ConformanceRunner;
import dev.kiln.frontend.ImportedModel;
import dev.kiln.io.Npy;
import dev.kiln.ir.DiagnosticException;
import dev.kiln.ir.ElementType;
import dev.kiln.ir.Location;
import dev.kiln.ir.Tensor;
import dev.kiln.ir.loop.LoopFunc;
import dev.kiln.lower.Lowering;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs a model as native code: lowers it for a {@link Backend}'s target, compiles it to the
 * backend's {@linkplain Backend#linkable linkable} artifacts (an object from LLVM, C source from
 * the C backend), builds them with the harness ({@code --emit harness}) by the target's {@link
 * Toolchain}, runs the program (under qemu for a cross target) on {@code .npy} files in a
 * temporary directory, and reads the outputs back. This is {@code kiln run --backend native|c|cuda}
 * and {@code kiln conformance --backend native|c|cuda}; {@link #bench} times the same program for
 * {@code kiln bench}.
 */
public final class NativeEngine implements ConformanceRunner.Engine {

  private static final String NAME = "model";

  private final Backend backend;
  private final Toolchain toolchain;
  private final long timeoutSeconds;
  private final int threads;

  public NativeEngine(Targets.Resolved target, long timeoutSeconds) {
    this(target, timeoutSeconds, 1);
  }

  /** An engine whose {@link #run} uses a pool of {@code threads} threads ({@code run_parallel}). */
  public NativeEngine(Targets.Resolved target, long timeoutSeconds, int threads) {
    this(new LlvmBackend(target), Toolchain.forTarget(target), timeoutSeconds, threads);
  }

  /** An engine compiling through {@code backend} and building with {@code toolchain}. */
  public NativeEngine(Backend backend, Toolchain toolchain, long timeoutSeconds, int threads) {
    this.backend = backend;
    this.toolchain = toolchain;
    this.timeoutSeconds = timeoutSeconds;
    this.threads = threads;
  }

  /**
   * The engine of the CUDA backend ({@code --backend cuda}): PTX and the host plan for the GPU
   * {@code cpu} (null: sm_80), built with the harness by the host's {@code cc}, run on device 0
   * through {@code libcuda.so.1}.
   */
  public static NativeEngine cuda(String cpu, long timeoutSeconds) {
    return new NativeEngine(new CudaBackend(cpu), Toolchain.host(), timeoutSeconds, 1);
  }

  /**
   * This engine with its programs (the harness, and generated C) built with {@code flags} too;
   * sanitizers need a dynamically linked host program.
   */
  public NativeEngine withToolchainFlags(List<String> flags) {
    if (flags.isEmpty()) {
      return this;
    }
    if (toolchain.isStatic()) {
      throw DiagnosticException.error(
        Location.UNKNOWN,
        "programs for " + backend.target().name() + " are linked statically: no sanitizers"
      );
    }
    return new NativeEngine(backend, toolchain.withFlags(flags), timeoutSeconds, threads);
  }

  /** The engine of the portable C backend, built by the host's {@code cc}. */
  public static NativeEngine portableC(long timeoutSeconds, int threads) {
    return new NativeEngine(new CBackend(), Toolchain.host(), timeoutSeconds, threads);
  }

  /** The engine of the portable C backend built and run by {@code target}'s {@link Toolchain}. */
  public static NativeEngine portableC(Targets.Resolved target, long timeoutSeconds, int threads) {
    return new NativeEngine(new CBackend(), Toolchain.forTarget(target), timeoutSeconds, threads);
  }

  @Override
  public List<Tensor> run(ImportedModel m, List<Tensor> args) {
    LoopModule module = lower(m);
    LoopFunc f = module.func();
    Artifacts code = compile(module);
    try (TempDir tmp = TempDir.create("kiln-native")) {
      Path dir = tmp.path();
      Path exe = link(f, code, dir);
      List<String> files = new ArrayList<>(List.of("--threads", "" + threads));
      files.addAll(inputFiles(dir, args));
      for (int i = 0; i < f.outputs().size(); i++) {
        files.add(dir.resolve("output_" + i + ".npy").toString());
      }
      execute(exe, files, dir);
      List<Tensor> outputs = new ArrayList<>();
      for (int i = 0; i < f.outputs().size(); i++) {
        Tensor t = Npy.read(dir.resolve("output_" + i + ".npy"));
        ElementType want = f.outputs().get(i).elem().elementType();
        outputs.add(
          t.elementType() == want
            ? t
            : f.outputs().get(i).elem().isLowPrecision()
              ? Tensor.ofBytes(t.type().withElementType(want), t.bytes())
              : convert(t, want)
        );
      }
      return outputs;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** What {@link #bench} measured: per-run wall times in microseconds, and the code's sizes. */
  public record Timing(
    long runs,
    double min,
    double median,
    double mean,
    double p90,
    double max,
    long objectBytes,
    long workspaceBytes
  ) {}

  /**
   * Times the compiled model on {@code args}: {@code warmup} untimed runs, then {@code runs} timed
   * one by one in the harness's {@code --bench} mode, on a pool of {@code threads} threads.
   */
  public Timing bench(ImportedModel m, List<Tensor> args, long warmup, long runs, int threads) {
    LoopModule module = lower(m);
    LoopFunc f = module.func();
    Artifacts code = compile(module);
    try (TempDir tmp = TempDir.create("kiln-bench")) {
      Path dir = tmp.path();
      Path exe = link(f, code, dir);
      List<String> files = new ArrayList<>(
        List.of("--threads", "" + threads, "--bench", "" + warmup, "" + runs)
      );
      files.addAll(inputFiles(dir, args));
      String out = execute(exe, files, dir).strip();
      String[] w = out.substring(out.lastIndexOf("runs ")).split("\\s+");
      if (w.length != 13 || !w[0].equals("runs") || !w[12].equals("us")) {
        throw new IllegalStateException("the benchmark printed an unexpected line: " + out);
      }
      return new Timing(
        Long.parseLong(w[1]),
        Double.parseDouble(w[3]),
        Double.parseDouble(w[5]),
        Double.parseDouble(w[7]),
        Double.parseDouble(w[9]),
        Double.parseDouble(w[11]),
        code.get(backend.linkable()).length,
        f.workspaceBytes(threads)
      );
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private LoopModule lower(ImportedModel m) {
    return Lowering.lowerModule(
      m.module().funcs().getFirst(),
      NAME,
      m.inputNames(),
      m.outputNames(),
      backend.target(),
      NAME
    );
  }

  private Artifacts compile(LoopModule module) {
    return backend.compile(module, backend.target(), EmitOptions.of(backend.linkable()));
  }

  /**
   * Writes the artifacts, the header and the harness into {@code dir} and builds the program from
   * the harness and every top-level C source or object among the artifacts; generated C is
   * compiled at {@code -O2} under {@link Toolchain#STRICT_C99} first.
   */
  private Path link(LoopFunc f, Artifacts code, Path dir) throws IOException {
    List<Path> sources = new ArrayList<>();
    Path harness = dir.resolve(NAME + "_harness.c");
    Files.writeString(
      harness,
      toolchain.board() == null
        ? CHarness.of(f, NAME, backend instanceof CudaBackend)
        : CHarness.bareMetal(f, NAME)
    );
    sources.add(harness);
    for (var e : code.files().entrySet()) {
      Path p = dir.resolve(e.getKey());
      Files.createDirectories(p.getParent());
      Files.write(p, e.getValue());
      String file = e.getKey();
      if (!file.contains("/") && (file.endsWith(".c") || file.endsWith(".o"))) {
        sources.add(p);
      }
    }
    Path header = dir.resolve(NAME + ".h");
    if (!Files.exists(header)) {
      Files.writeString(header, CHeader.of(f, NAME, NAME));
    }
    List<Path> include = new ArrayList<>(List.of(dir));
    if (Files.isDirectory(dir.resolve("runtime-c/include"))) {
      include.add(dir.resolve("runtime-c/include"));
    }
    if (backend.linkable() == Artifacts.Kind.C_SOURCE) {
      List<Path> generated = sources.subList(1, sources.size());
      List<Path> objects = toolchain.compileC99(List.copyOf(generated), include, dir);
      generated.clear();
      sources.addAll(objects);
    }
    Path exe = dir.resolve(NAME);
    toolchain.link(sources, include, exe, false);
    return exe;
  }

  private static List<String> inputFiles(Path dir, List<Tensor> args) throws IOException {
    List<String> files = new ArrayList<>();
    for (int i = 0; i < args.size(); i++) {
      Path in = dir.resolve("input_" + i + ".npy");
      Tensor t = args.get(i);
      if (t.elementType().isLowPrecisionFloat()) {
        t = Tensor.ofBytes(t.type().withElementType(ElementType.U8), t.bytes());
      }
      Files.write(in, Npy.encode(t));
      files.add(in.toString());
    }
    return files;
  }

  private String execute(Path exe, List<String> args, Path dir) {
    Toolchain.Result r = toolchain.run(exe, args, dir, timeoutSeconds);
    if (r.exit() != 0) {
      throw new IllegalStateException(
        "the compiled model exited with status " + r.exit() + ": " + r.output().strip()
      );
    }
    return r.output();
  }

  /** {@code t} (a bf16 tensor read back as f32) as a tensor of {@code type}. */
  private static Tensor convert(Tensor t, ElementType type) {
    Tensor.Builder b = new Tensor.Builder(new dev.kiln.ir.TensorType(type, t.shape()));
    for (long i = 0; i < t.size(); i++) {
      b.setDouble(i, t.getDouble(i));
    }
    return b.build();
  }
}
