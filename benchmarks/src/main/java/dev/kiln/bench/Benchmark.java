package dev.kiln.bench;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.kiln.analysis.Flops;
import dev.kiln.backend.llvm.Clang;
import dev.kiln.backend.llvm.Targets;
import dev.kiln.emit.NativeCompiler;
import dev.kiln.frontend.ImportOptions;
import dev.kiln.frontend.ImportedModel;
import dev.kiln.ir.Func;
import dev.kiln.ir.Shape;
import dev.kiln.ir.loop.LoopFunc;
import dev.kiln.lower.Lowering;
import dev.kiln.lower.UnsupportedLowering;
import dev.kiln.onnx.ModelLoader;
import dev.kiln.onnx.OnnxImporter;
import dev.kiln.pass.PassManager;
import dev.kiln.pass.Pipelines;
import dev.kiln.runtime.CompiledModel;
import dev.kiln.runtime.ElementType;
import dev.kiln.runtime.TensorInfo;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.FloatBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Kiln against ONNX Runtime on the CPU this runs on.
 *
 * <p>For each model: Kiln compiles it in process ({@code --cpu native}, {@code -O3} or {@code -O2},
 * see {@link #compile}) to a shared
 * object that {@link CompiledModel} loads; ONNX Runtime opens the same file with {@code threads}
 * intra-op threads, sequential execution and all graph optimizations. Both get the same inputs
 * (uniform in [-1, 1) from a seed fixed per model); their outputs must agree within rtol 1e-3, atol
 * 1e-4 (a disagreement is printed as {@code MISMATCH} in the table and makes the exit status 1).
 * After the warm-up runs the timed runs interleave Kiln, ONNX Runtime, Kiln, ...; the table gives
 * medians. Without {@code --runs}, the run count fills about {@code --seconds} per model and thread
 * count (at least 3, at most 1000). FLOPs are Kiln's count ({@code kiln inspect}) of the optimized
 * graph; the peak is measured by {@link Peak}.
 *
 * <pre>
 * Benchmark [--threads 1,2] [--models a,b] [--runs N] [--warmup N] [--seconds S]
 *           [--models-dir DIR] [--output FILE]
 * </pre>
 */
public final class Benchmark {

  /** The models and their input dims, in table order; {@code sgemmN} are built in code. */
  static final Map<String, List<Long>> MODELS = models();

  /** The "## Compile time" section of {@code file} ({@code benchmarks/compile-times}), kept. */
  private static String compileTimeSection(Path file) throws IOException {
    if (!Files.isRegularFile(file)) {
      return "";
    }
    String old = Files.readString(file, StandardCharsets.UTF_8);
    int at = old.indexOf("\n## Compile time\n");
    return at < 0 ? "" : old.substring(at);
  }

  private static final double RTOL = 1e-3;
  private static final double ATOL = 1e-4;

  private Benchmark() {}

  private static Map<String, List<Long>> models() {
    Map<String, List<Long>> m = new LinkedHashMap<>();
    m.put("light_squeezenet", List.of(1L, 3L, 224L, 224L));
    m.put("light_inception_v1", List.of(1L, 3L, 224L, 224L));
    m.put("light_resnet50", List.of(1L, 3L, 224L, 224L));
    m.put("ch_ppocr_mobile_v2.0_cls_infer", List.of(1L, 3L, 48L, 192L));
    m.put("melspectrogram", List.of(1L, 1280L));
    m.put("embedding_model", List.of(1L, 76L, 32L, 1L));
    m.put("hey_jarvis_v0.1", List.of(1L, 16L, 96L));
    m.put("sgemm256", List.of(256L, 256L));
    m.put("sgemm1024", List.of(1024L, 1024L));
    return m;
  }

  /** The command line. */
  record Options(
    List<Integer> threads,
    List<String> models,
    int runs,
    int warmup,
    double seconds,
    Path modelsDir,
    Path output,
    boolean ortSpin
  ) {
    static Options parse(String[] args) {
      List<Integer> threads = List.of(1, 2);
      List<String> models = List.copyOf(MODELS.keySet());
      int runs = 0;
      int warmup = 2;
      double seconds = 6;
      Path modelsDir = Path.of("../shared/models");
      Path output = Path.of("docs/performance.md");
      boolean ortSpin = false;
      for (int i = 0; i < args.length; i++) {
        String flag = args[i];
        if (i + 1 >= args.length) {
          throw new IllegalArgumentException(flag + " needs a value");
        }
        String v = args[++i];
        switch (flag) {
          case "--threads" -> threads = Arrays.stream(v.split(",")).map(Integer::valueOf).toList();
          case "--models" -> models = List.of(v.split(","));
          case "--runs" -> runs = Integer.parseInt(v);
          case "--warmup" -> warmup = Integer.parseInt(v);
          case "--seconds" -> seconds = Double.parseDouble(v);
          case "--models-dir" -> modelsDir = Path.of(v);
          case "--output" -> output = Path.of(v);
          case "--ort-spin" -> ortSpin = Boolean.parseBoolean(v);
          default -> throw new IllegalArgumentException("unknown option " + flag);
        }
      }
      for (String m : models) {
        if (!MODELS.containsKey(m)) {
          throw new IllegalArgumentException(
            "unknown model " + m + "; known: " + String.join(",", MODELS.keySet())
          );
        }
      }
      if (threads.isEmpty() || threads.stream().anyMatch(t -> t < 1) || runs < 0 || warmup < 0) {
        throw new IllegalArgumentException("threads must be >= 1, runs and warmup >= 0");
      }
      return new Options(threads, models, runs, warmup, seconds, modelsDir, output, ortSpin);
    }
  }

  /** A model compiled by Kiln: its ONNX file, the shared object and Kiln's FLOP count. */
  record Compiled(
    String model,
    Path onnx,
    int optLevel,
    long flops,
    Path so,
    double compileSeconds
  ) {}

  /** One table row; {@code failure} is null when both engines ran. */
  record Row(
    String model,
    String opt,
    long flops,
    double ortMs,
    double kilnMs,
    int runs,
    boolean kilnParallel,
    String check,
    boolean agrees,
    String failure
  ) {
    static Row failed(String model, String opt, long flops, String failure) {
      return new Row(model, opt, flops, Double.NaN, Double.NaN, 0, false, "", false, failure);
    }
  }

  public static void main(String[] args) throws Exception {
    Options o;
    try {
      o = Options.parse(args);
    } catch (IllegalArgumentException e) {
      System.err.println("benchmark: " + e.getMessage());
      System.exit(2);
      return;
    }
    Path work = Files.createTempDirectory("kiln-bench");
    PrintStream log = System.err;
    Peak peak = Peak.measure(work);
    log.printf(Locale.ROOT, "peak: %s %.1f GFLOP/s (one thread)%n", peak.isa(), peak.gflops());
    Map<Integer, List<Row>> rows = new LinkedHashMap<>();
    o.threads().forEach(t -> rows.put(t, new ArrayList<>()));
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    for (String model : o.models()) {
      Compiled c;
      try {
        c = compile(model, o, work);
        log.printf(
          Locale.ROOT,
          "%s: compiled in %.1f s, %d FLOPs%n",
          model,
          c.compileSeconds(),
          c.flops()
        );
      } catch (Exception e) {
        log.println(model + ": FAILED to compile: " + e);
        o
          .threads()
          .forEach(t -> rows.get(t).add(Row.failed(model, "", 0, "compile: " + oneLine(e))));
        continue;
      }
      for (int threads : o.threads()) {
        Row row;
        try {
          row = measure(c, threads, o, env);
        } catch (Exception e) {
          log.println(model + " x" + threads + ": FAILED: " + e);
          row = Row.failed(model, "-O" + c.optLevel(), c.flops(), oneLine(e));
        }
        if (row.failure() == null) {
          log.printf(
            Locale.ROOT,
            "%s x%d: ort %.3f ms, kiln %.3f ms (%d runs) %s%n",
            model,
            threads,
            row.ortMs(),
            row.kilnMs(),
            row.runs(),
            row.check()
          );
        }
        rows.get(threads).add(row);
      }
    }
    String report = report(o, peak, rows);
    System.out.print(report);
    if (o.output().getParent() != null) {
      Files.createDirectories(o.output().getParent());
    }
    Files.writeString(o.output(), report + compileTimeSection(o.output()), StandardCharsets.UTF_8);
    log.println("wrote " + o.output());
    boolean complete = rows
      .values()
      .stream()
      .flatMap(List::stream)
      .allMatch(r -> r.failure() == null && r.agrees());
    if (!complete) {
      log.println("INCOMPLETE: a model failed or Kiln's outputs disagree with ONNX Runtime");
      System.exit(1);
    }
  }

  private static String oneLine(Exception e) {
    String m = e.getMessage() == null ? e.toString() : e.getMessage();
    return m.lines().findFirst().orElse("").replace("|", "/");
  }

  /**
   * Imports, optimizes, lowers and links the model for the host CPU at the highest level whose
   * graph lowers natively: {@code -O3}, else {@code -O2} (the level {@code kiln compile} uses).
   */
  static Compiled compile(String model, Options o, Path work) throws IOException {
    long start = System.nanoTime();
    Path onnx;
    if (model.startsWith("sgemm")) {
      onnx = work.resolve(model + ".onnx");
      Files.write(onnx, Sgemm.model(Math.toIntExact(MODELS.get(model).getFirst())));
    } else {
      onnx = o.modelsDir().resolve(model + ".onnx");
      if (!Files.isRegularFile(onnx)) {
        throw new IOException(onnx.toAbsolutePath().normalize() + " is absent");
      }
    }
    String input = OnnxImporter.graphInputs(ModelLoader.load(onnx).getGraph()).getFirst();
    for (int level = Pipelines.MAX_LEVEL; ; level--) {
      try {
        return compile(model, onnx, input, level, work, start);
      } catch (UnsupportedLowering e) {
        if (level == Pipelines.DEFAULT_LEVEL) {
          throw e;
        }
        System.err.println(
          model + ": -O" + level + " does not lower natively, trying -O" + (level - 1)
        );
      }
    }
  }

  private static Compiled compile(
    String model,
    Path onnx,
    String input,
    int level,
    Path work,
    long start
  ) throws IOException {
    ImportedModel m = OnnxImporter.importFile(
      onnx,
      new ImportOptions(Map.of(input, Shape.of(MODELS.get(model))), Map.of(), Map.of())
    );
    Pipelines.manager(level, List.of(), PassManager.Options.defaults()).run(m.module(), System.err);
    Func f = m.module().funcs().getFirst();
    long flops = Flops.of(f);
    Targets.Resolved host = NativeCompiler.resolve(null, "native");
    LoopFunc lowered = Lowering.lower(
      f,
      "model",
      m.inputNames(),
      m.outputNames(),
      Targets.info(host)
    );
    byte[] so = Clang.bundled().linkShared(NativeCompiler.object(lowered, host), host);
    Path dir = Files.createDirectory(work.resolve(model.replaceAll("[^A-Za-z0-9_]", "_")));
    Path file = Files.write(dir.resolve("model.so"), so);
    return new Compiled(model, onnx, level, flops, file, (System.nanoTime() - start) * 1e-9);
  }

  /** Checks the outputs, warms up, then times interleaved runs of both engines. */
  static Row measure(Compiled c, int threads, Options o, OrtEnvironment env) throws OrtException {
    Map<String, OnnxTensor> feeds = new LinkedHashMap<>();
    try (
      CompiledModel kiln = CompiledModel.load(c.so(), "model");
      Arena arena = Arena.ofConfined();
      OrtSession.SessionOptions options = new OrtSession.SessionOptions()
    ) {
      options.setIntraOpNumThreads(threads);
      options.setInterOpNumThreads(1);
      options.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
      options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
      if (!o.ortSpin()) {
        options.addConfigEntry("session.intra_op.allow_spinning", "0");
      }
      try (OrtSession ort = env.createSession(c.onnx().toString(), options)) {
        SplittableRandom random = new SplittableRandom(c.model().hashCode());
        MemorySegment[] in = new MemorySegment[kiln.inputs().size()];
        for (int i = 0; i < in.length; i++) {
          TensorInfo t = requireF32(kiln.inputs().get(i));
          float[] data = new float[Math.toIntExact(t.elements())];
          for (int k = 0; k < data.length; k++) {
            data[k] = (float) random.nextDouble(-1, 1);
          }
          in[i] = arena.allocate(t.byteSize(), 64);
          MemorySegment.copy(data, 0, in[i], ValueLayout.JAVA_FLOAT, 0, data.length);
          long[] shape = t.dims().stream().mapToLong(Long::longValue).toArray();
          feeds.put(t.name(), OnnxTensor.createTensor(env, FloatBuffer.wrap(data), shape));
        }
        MemorySegment[] out = new MemorySegment[kiln.outputs().size()];
        for (int i = 0; i < out.length; i++) {
          out[i] = arena.allocate(requireF32(kiln.outputs().get(i)).byteSize(), 64);
        }
        double kilnMs = timeKiln(kiln, threads, in, out);
        double[] check;
        long start = System.nanoTime();
        try (OrtSession.Result r = ort.run(feeds)) {
          check = compare(kiln.outputs(), out, r);
        }
        double ortMs = (System.nanoTime() - start) * 1e-6;
        for (int w = 0; w < o.warmup(); w++) {
          kilnMs = timeKiln(kiln, threads, in, out);
          ortMs = timeOrt(ort, feeds);
        }
        int runs = o.runs() > 0
          ? o.runs()
          : Math.clamp(Math.round((o.seconds() * 1e3) / (kilnMs + ortMs)), 3, 1000);
        double[] kilnTimes = new double[runs];
        double[] ortTimes = new double[runs];
        for (int r = 0; r < runs; r++) {
          kilnTimes[r] = timeKiln(kiln, threads, in, out);
          ortTimes[r] = timeOrt(ort, feeds);
        }
        boolean agrees = check[0] <= 0;
        String verdict = agrees
          ? String.format(Locale.ROOT, "ok (max abs error %.1e)", check[4])
          : String.format(
            Locale.ROOT,
            "**MISMATCH**: output %d element %d off by %.3e",
            (long) check[2],
            (long) check[3],
            check[1]
          );
        return new Row(
          c.model(),
          "-O" + c.optLevel(),
          c.flops(),
          median(ortTimes),
          median(kilnTimes),
          runs,
          kiln.parallel(),
          verdict,
          agrees,
          null
        );
      }
    } finally {
      feeds.values().forEach(OnnxTensor::close);
    }
  }

  private static TensorInfo requireF32(TensorInfo t) {
    if (t.type() != ElementType.F32) {
      throw new IllegalArgumentException(t.name() + " is " + t.type() + "; benchmarks feed f32");
    }
    return t;
  }

  private static double timeKiln(
    CompiledModel m,
    int threads,
    MemorySegment[] in,
    MemorySegment[] out
  ) {
    long start = System.nanoTime();
    m.run(threads, in, out);
    return (System.nanoTime() - start) * 1e-6;
  }

  private static double timeOrt(OrtSession s, Map<String, OnnxTensor> feeds) throws OrtException {
    long start = System.nanoTime();
    OrtSession.Result r = s.run(feeds);
    double ms = (System.nanoTime() - start) * 1e-6;
    r.close();
    return ms;
  }

  /**
   * Compares Kiln's outputs with ONNX Runtime's by name: {@code [worst excess over atol + rtol *
   * |want|, its absolute error, output index, element index, largest absolute error]}; the
   * excess is <= 0 when all agree (NaN against a number is an infinite error).
   */
  private static double[] compare(
    List<TensorInfo> outputs,
    MemorySegment[] got,
    OrtSession.Result r
  ) throws OrtException {
    double[] worst = { Double.NEGATIVE_INFINITY, 0, -1, -1, 0 };
    for (int i = 0; i < outputs.size(); i++) {
      String name = outputs.get(i).name();
      OnnxTensor want = (OnnxTensor) r
        .get(name)
        .orElseThrow(() -> new IllegalStateException("onnx runtime has no output named " + name));
      FloatBuffer w = want.getFloatBuffer();
      float[] k = got[i].toArray(ValueLayout.JAVA_FLOAT);
      if (w.remaining() != k.length) {
        throw new IllegalStateException(
          "output " +
          outputs.get(i).name() +
          ": kiln has " +
          k.length +
          " elements, onnx runtime " +
          w.remaining()
        );
      }
      for (int e = 0; e < k.length; e++) {
        double expected = w.get(e);
        double err = Math.abs(k[e] - expected);
        double excess = Double.isNaN(err)
          ? Double.POSITIVE_INFINITY
          : err - (ATOL + RTOL * Math.abs(expected));
        if (excess > worst[0]) {
          worst = new double[] { excess, err, i, e, worst[4] };
        }
        worst[4] = Math.max(worst[4], Double.isNaN(err) ? Double.POSITIVE_INFINITY : err);
      }
    }
    return worst;
  }

  static double median(double[] v) {
    double[] s = v.clone();
    Arrays.sort(s);
    int n = s.length;
    return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
  }

  static String report(Options o, Peak peak, Map<Integer, List<Row>> rows) throws IOException {
    StringBuilder s = new StringBuilder();
    s.append("# Kiln performance\n\n");
    s.append("Written by `benchmarks/run` (`dev.kiln.bench.Benchmark`); ");
    s.append("see `docs/architecture.md`, section Benchmarks.\n\n");
    s
      .append("- Date: ")
      .append(ZonedDateTime.now(ZoneOffset.UTC).format(DateTimeFormatter.ISO_LOCAL_DATE))
      .append('\n');
    s
      .append("- CPU: ")
      .append(cpuModel())
      .append(", ")
      .append(Runtime.getRuntime().availableProcessors())
      .append(" logical CPUs available\n");
    s.append(
      String.format(
        Locale.ROOT,
        "- Measured FP32 peak, one thread: %.1f GFLOP/s (%s FMA loop, `cc -O2 -march=native`)%n",
        peak.gflops(),
        peak.isa()
      )
    );
    s.append("- Vector instruction set: ").append(peak.isa()).append('\n');
    s
      .append("- Kiln: `--cpu native` at `-O3`, or `-O2` where the `-O3` graph does not lower")
      .append(
        " natively yet (column Kiln opt); shared object loaded with `CompiledModel` (runtime-java)\n"
      );
    String ortVersion = OrtEnvironment.class.getPackage().getImplementationVersion();
    s
      .append("- ONNX Runtime")
      .append(ortVersion == null ? "" : " " + ortVersion)
      .append(
        " (Java): intra-op threads = the table's thread count, sequential execution, all optimizations" +
        (o.ortSpin()
            ? ", idle intra-op threads spinning (its default)\n"
            : ", idle intra-op threads not spinning (`session.intra_op.allow_spinning=0`: spinning" +
            " workers would take the core Kiln's interleaved runs use; `--ort-spin true` keeps it)\n")
      );
    s.append(
      String.format(
        Locale.ROOT,
        "- Outputs compared at rtol %.0e, atol %.0e on the same seeded inputs (uniform in [-1, 1))%n",
        RTOL,
        ATOL
      )
    );
    s
      .append("- Timing: ")
      .append(o.warmup())
      .append(" warm-up runs, then ")
      .append(o.runs() > 0 ? o.runs() + " runs" : "about " + o.seconds() + " s of runs (3 to 1000)")
      .append(" interleaved Kiln, ONNX Runtime, ...; medians in milliseconds\n");
    s.append(
      "- % of peak: Kiln GFLOP/s over the peak times the threads Kiln used (1 while the model exports no `_run_parallel`)\n"
    );
    for (var entry : rows.entrySet()) {
      int threads = entry.getKey();
      s
        .append("\n## ")
        .append(threads)
        .append(threads == 1 ? " thread" : " threads")
        .append("\n\n");
      s.append(
        "| model | Kiln opt | MFLOPs | ORT ms | Kiln ms | Kiln/ORT | Kiln GFLOP/s | % of peak | runs | outputs |\n"
      );
      s.append("|---|---|---:|---:|---:|---:|---:|---:|---:|---|\n");
      double logSum = 0;
      int counted = 0;
      for (Row r : entry.getValue()) {
        if (r.failure() != null) {
          s.append(
            String.format(
              Locale.ROOT,
              "| %s | %s | %s | | | | | | | **FAILED**: %s |%n",
              r.model(),
              r.opt(),
              r.flops() > 0 ? String.format(Locale.ROOT, "%.1f", r.flops() / 1e6) : "",
              r.failure()
            )
          );
          continue;
        }
        double ratio = r.kilnMs() / r.ortMs();
        double gflops = r.flops() / (r.kilnMs() * 1e6);
        int used = r.kilnParallel() ? threads : 1;
        s.append(
          String.format(
            Locale.ROOT,
            "| %s | %s | %.1f | %.3f | %.3f | %.2f | %.2f | %.1f%% | %d | %s |%n",
            r.model(),
            r.opt(),
            r.flops() / 1e6,
            r.ortMs(),
            r.kilnMs(),
            ratio,
            gflops,
            (100 * gflops) / (peak.gflops() * used),
            r.runs(),
            r.check()
          )
        );
        logSum += Math.log(ratio);
        counted++;
      }
      if (counted > 0) {
        s.append(
          String.format(
            Locale.ROOT,
            "%nGeometric mean of Kiln/ORT over %d models: %.2f%n",
            counted,
            Math.exp(logSum / counted)
          )
        );
      }
    }
    return s.toString();
  }

  private static String cpuModel() throws IOException {
    Path info = Path.of("/proc/cpuinfo");
    if (Files.isReadable(info)) {
      for (String line : Files.readAllLines(info)) {
        if (line.startsWith("model name")) {
          return line.substring(line.indexOf(':') + 1).strip();
        }
      }
    }
    return System.getProperty("os.arch");
  }
}
