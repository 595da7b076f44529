package dev.kiln.emit;

import dev.kiln.backend.llvm.Targets;
import dev.kiln.conformance.ConformanceRunner;
import dev.kiln.frontend.ImportedModel;
import dev.kiln.io.Npy;
import dev.kiln.ir.ElementType;
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
 * Runs a model as native code: lowers it, compiles it for {@code target} with the harness ({@code
 * --emit harness}), links it with the target's {@link Toolchain}, runs the program (under qemu for
 * a cross target) on {@code .npy} files in a temporary directory, and reads the outputs back. This
 * is {@code kiln run --backend native} and {@code kiln conformance --backend native}; {@link
 * #bench} times the same program for {@code kiln bench}.
 */
public final class NativeEngine implements ConformanceRunner.Engine {

  private static final String NAME = "model";

  private final Targets.Resolved target;
  private final Toolchain toolchain;
  private final long timeoutSeconds;
  private final int threads;

  public NativeEngine(Targets.Resolved target, long timeoutSeconds) {
    this(target, timeoutSeconds, 1);
  }

  /** An engine whose {@link #run} uses a pool of {@code threads} threads ({@code run_parallel}). */
  public NativeEngine(Targets.Resolved target, long timeoutSeconds, int threads) {
    this.target = target;
    this.toolchain = Toolchain.forTarget(target);
    this.timeoutSeconds = timeoutSeconds;
    this.threads = threads;
  }

  @Override
  public List<Tensor> run(ImportedModel m, List<Tensor> args) {
    LoopFunc f = lower(m);
    byte[] object = NativeCompiler.object(f, target);
    try (TempDir tmp = TempDir.create("kiln-native")) {
      Path dir = tmp.path();
      Path exe = link(f, object, dir);
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
    LoopFunc f = lower(m);
    byte[] object = NativeCompiler.object(f, target);
    try (TempDir tmp = TempDir.create("kiln-bench")) {
      Path dir = tmp.path();
      Path exe = link(f, object, dir);
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
        object.length,
        f.workspaceBytes(threads)
      );
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private LoopFunc lower(ImportedModel m) {
    return Lowering.lower(
      m.module().funcs().getFirst(),
      NAME,
      m.inputNames(),
      m.outputNames(),
      Targets.info(target)
    );
  }

  /** Writes the object, header and harness into {@code dir} and links the program. */
  private Path link(LoopFunc f, byte[] object, Path dir) throws IOException {
    Files.write(dir.resolve(NAME + ".o"), object);
    Files.writeString(dir.resolve(NAME + ".h"), CHeader.of(f, NAME, NAME));
    Files.writeString(dir.resolve(NAME + "_harness.c"), CHarness.of(f, NAME));
    Path exe = dir.resolve(NAME);
    toolchain.link(
      List.of(dir.resolve(NAME + "_harness.c"), dir.resolve(NAME + ".o")),
      dir,
      exe,
      false
    );
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
