package dev.kiln.conformance;

import dev.kiln.frontend.ImportOptions;
import dev.kiln.frontend.ImportedModel;
import dev.kiln.frontend.UnsupportedOpsException;
import dev.kiln.interp.Interpreter;
import dev.kiln.ir.DiagnosticException;
import dev.kiln.ir.Tensor;
import dev.kiln.ir.text.PrintOptions;
import dev.kiln.lower.UnsupportedLowering;
import dev.kiln.onnx.ModelLoader;
import dev.kiln.onnx.OnnxError;
import dev.kiln.onnx.OnnxImporter;
import dev.kiln.onnx.TensorProtos;
import dev.kiln.onnx.proto.OnnxProto;
import dev.kiln.pass.PassManager;
import dev.kiln.pass.Pipelines;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Runs ONNX backend node tests: each directory holds {@code model.onnx} and {@code
 * test_data_set_N/input_K.pb}, {@code output_K.pb}. The model is imported with the test's input
 * shapes bound; when a converter needs an input's value at compile time (a shape, axes, pads), the
 * test is imported again with its integer inputs bound as constants, then with all of them, as an
 * ahead-of-time compiler would require of a user. The imported graph goes through a pass pipeline
 * ({@code -O2} unless told otherwise), then every data set is run through the interpreter and
 * compared with the expected outputs.
 */
public final class ConformanceRunner {

  /** The outcome of one test. */
  public enum Status {
    PASS,
    FAIL,
    SKIP,
  }

  /** One line of the report: status, test name and, unless it passed, why. */
  public record Result(Status status, String name, String reason) {
    @Override
    public String toString() {
      return status + " " + name + (reason == null || reason.isEmpty() ? "" : " " + reason);
    }
  }

  private final Map<String, Tolerance> overrides;
  private final long timeoutSeconds;
  private final String pipeline;
  private final PassManager.Options passOptions;
  private final PrintStream log;
  private final Engine engine;

  /** What runs an imported, optimized test model on its inputs. */
  @FunctionalInterface
  public interface Engine {
    /** The outputs of {@code m}'s first function on {@code args}. */
    List<Tensor> run(ImportedModel m, List<Tensor> args);

    /** The reference interpreter. */
    Engine INTERPRETER = (m, args) -> Interpreter.run(m.module().funcs().getFirst(), args);
  }

  /** A runner that optimizes each test at the default level ({@code -O2}) before running it. */
  public ConformanceRunner(Map<String, Tolerance> overrides, long timeoutSeconds) {
    this(overrides, timeoutSeconds, Engine.INTERPRETER);
  }

  /** A runner that optimizes each test at {@code -O2} and runs it with {@code engine}. */
  public ConformanceRunner(Map<String, Tolerance> overrides, long timeoutSeconds, Engine engine) {
    this(
      overrides,
      timeoutSeconds,
      Pipelines.passes(Pipelines.DEFAULT_LEVEL),
      new PassManager.Options(true, false, Set.of(), false, false, PrintOptions.DEFAULT),
      System.err,
      engine
    );
  }

  /**
   * A runner that applies the passes {@code pipeline} (names, in order) to each imported test
   * before interpreting it; pass dumps and reports go to {@code log}.
   */
  public ConformanceRunner(
    Map<String, Tolerance> overrides,
    long timeoutSeconds,
    List<String> pipeline,
    PassManager.Options passOptions,
    PrintStream log
  ) {
    this(overrides, timeoutSeconds, pipeline, passOptions, log, Engine.INTERPRETER);
  }

  /** As above, running each test with {@code engine} instead of the interpreter. */
  public ConformanceRunner(
    Map<String, Tolerance> overrides,
    long timeoutSeconds,
    List<String> pipeline,
    PassManager.Options passOptions,
    PrintStream log,
    Engine engine
  ) {
    this.engine = engine;
    this.overrides = Map.copyOf(overrides);
    this.timeoutSeconds = timeoutSeconds;
    this.pipeline = String.join(",", pipeline);
    this.passOptions = passOptions;
    this.log = log;
    PassManager.parse(this.pipeline, passOptions);
  }

  /** The test directories under {@code root} whose names match {@code filter}, sorted. */
  public static List<Path> tests(Path root, Pattern filter) {
    try (Stream<Path> s = Files.list(root)) {
      return s
        .filter(p -> Files.isRegularFile(p.resolve("model.onnx")))
        .filter(p -> filter == null || filter.matcher(p.getFileName().toString()).find())
        .sorted()
        .toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Runs {@code tests} on {@code jobs} threads, reporting each result in order as it completes. */
  public List<Result> run(List<Path> tests, int jobs, Consumer<Result> report) {
    ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, jobs), r -> {
      Thread t = new Thread(r, "conformance");
      t.setDaemon(true);
      return t;
    });
    try {
      List<Future<Result>> futures = new ArrayList<>();
      for (Path t : tests) {
        futures.add(pool.submit(() -> runOne(t)));
      }
      List<Result> results = new ArrayList<>();
      for (int i = 0; i < tests.size(); i++) {
        String name = tests.get(i).getFileName().toString();
        Result r;
        try {
          r = futures.get(i).get(timeoutSeconds, TimeUnit.SECONDS);
        } catch (TimeoutException e) {
          futures.get(i).cancel(true);
          r = new Result(Status.FAIL, name, "timed out after " + timeoutSeconds + " s");
        } catch (ExecutionException e) {
          r = new Result(Status.FAIL, name, "internal error: " + oneLine(e.getCause()));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IllegalStateException("interrupted", e);
        }
        report.accept(r);
        results.add(r);
      }
      return results;
    } finally {
      pool.shutdownNow();
    }
  }

  /** Runs one test directory. */
  public Result runOne(Path dir) {
    String name = dir.getFileName().toString();
    try {
      return runChecked(dir, name);
    } catch (UnsupportedOpsException e) {
      return new Result(Status.SKIP, name, e.diagnostics().getFirst().message());
    } catch (UnsupportedLowering e) {
      return new Result(Status.SKIP, name, e.getMessage());
    } catch (DiagnosticException e) {
      String why = e.diagnostics().getFirst().message();
      return new Result(why.contains("is not supported") ? Status.SKIP : Status.FAIL, name, why);
    } catch (OnnxError e) {
      return new Result(
        e.getMessage().contains("is not supported") ? Status.SKIP : Status.FAIL,
        name,
        e.getMessage()
      );
    } catch (RuntimeException | StackOverflowError | OutOfMemoryError e) {
      return new Result(Status.FAIL, name, "internal error: " + oneLine(e));
    }
  }

  private Result runChecked(Path dir, String name) {
    Path modelFile = dir.resolve("model.onnx");
    OnnxProto.ModelProto model = ModelLoader.load(modelFile);
    List<Path> sets = dataSets(dir);
    if (sets.isEmpty()) {
      return new Result(Status.SKIP, name, "no test_data_set directory");
    }
    List<String> graphInputs = new ArrayList<>();
    java.util.Set<String> initializers = new java.util.HashSet<>();
    model
      .getGraph()
      .getInitializerList()
      .forEach(t -> initializers.add(t.getName()));
    for (OnnxProto.ValueInfoProto in : model.getGraph().getInputList()) {
      if (!initializers.contains(in.getName())) {
        graphInputs.add(in.getName());
      }
    }
    for (OnnxProto.ValueInfoProto in : model.getGraph().getInputList()) {
      if (!in.getType().hasTensorType()) {
        return new Result(Status.SKIP, name, "input '" + in.getName() + "' is not a tensor");
      }
    }
    for (OnnxProto.ValueInfoProto out : model.getGraph().getOutputList()) {
      if (!out.getType().hasTensorType()) {
        return new Result(Status.SKIP, name, "output '" + out.getName() + "' is not a tensor");
      }
    }
    Tolerance tol = overrides.getOrDefault(name, Tolerance.ONNX_NODE);
    for (Path set : sets) {
      Map<String, Tensor> inputs = readInputs(set, graphInputs);
      List<Tensor> expected = readOutputs(set);
      ImportedModel imported = importWithBinding(model, modelFile, inputs);
      PassManager.parse(pipeline, passOptions).run(imported.module(), log);
      List<Tensor> args = new ArrayList<>();
      for (String in : imported.inputNames()) {
        args.add(inputs.get(in));
      }
      List<Tensor> got = engine.run(imported, args);
      if (got.size() != expected.size()) {
        return new Result(
          Status.FAIL,
          name,
          "produced " + got.size() + " outputs, expected " + expected.size()
        );
      }
      for (int i = 0; i < got.size(); i++) {
        String why = tol.mismatch(got.get(i), expected.get(i));
        if (why != null) {
          return new Result(Status.FAIL, name, set.getFileName() + " output " + i + ": " + why);
        }
      }
    }
    return new Result(Status.PASS, name, "");
  }

  private static ImportedModel importWithBinding(
    OnnxProto.ModelProto model,
    Path file,
    Map<String, Tensor> inputs
  ) {
    Map<String, dev.kiln.ir.Shape> shapes = new HashMap<>();
    inputs.forEach((k, v) -> shapes.put(k, v.shape()));
    ImportOptions options = new ImportOptions(shapes, Map.of(), Map.of());
    try {
      return OnnxImporter.importModel(model, file, options);
    } catch (UnsupportedOpsException e) {
      throw e;
    } catch (DiagnosticException e) {
      if (!e.diagnostics().getFirst().message().contains("known at compile time")) {
        throw e;
      }
    }
    Map<String, Tensor> integers = new LinkedHashMap<>();
    inputs.forEach((k, v) -> {
      if (!v.elementType().isFloat()) {
        integers.put(k, v);
      }
    });
    try {
      return OnnxImporter.importModel(model, file, options.withConstantInputs(integers));
    } catch (UnsupportedOpsException e) {
      throw e;
    } catch (DiagnosticException e) {
      if (!e.diagnostics().getFirst().message().contains("known at compile time")) {
        throw e;
      }
    }
    return OnnxImporter.importModel(model, file, options.withConstantInputs(inputs));
  }

  private static List<Path> dataSets(Path dir) {
    try (Stream<Path> s = Files.list(dir)) {
      return s
        .filter(p -> p.getFileName().toString().startsWith("test_data_set_"))
        .filter(Files::isDirectory)
        .sorted()
        .toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static Map<String, Tensor> readInputs(Path set, List<String> graphInputs) {
    Map<String, Tensor> out = new LinkedHashMap<>();
    List<Path> files = numbered(set, "input_");
    for (int i = 0; i < files.size(); i++) {
      OnnxProto.TensorProto t = ModelLoader.readTensor(files.get(i));
      String name = t.getName().isEmpty() && i < graphInputs.size()
        ? graphInputs.get(i)
        : t.getName();
      out.put(name, TensorProtos.decode(t, set));
    }
    return out;
  }

  private static List<Tensor> readOutputs(Path set) {
    List<Tensor> out = new ArrayList<>();
    for (Path f : numbered(set, "output_")) {
      out.add(TensorProtos.decode(ModelLoader.readTensor(f), set));
    }
    return out;
  }

  private static List<Path> numbered(Path set, String prefix) {
    List<Path> files = new ArrayList<>();
    for (int i = 0; ; i++) {
      Path p = set.resolve(prefix + i + ".pb");
      if (!Files.exists(p)) {
        return files;
      }
      files.add(p);
    }
  }

  private static String oneLine(Throwable e) {
    String m = e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
    return m.replace('\n', ' ');
  }

  /** Reads tolerance overrides: lines {@code test_name rtol atol # reason}. */
  public static Map<String, Tolerance> readOverrides(Path file) {
    Map<String, Tolerance> out = new HashMap<>();
    try {
      for (String line : Files.readAllLines(file)) {
        String body = line.strip();
        if (body.isEmpty() || body.startsWith("#")) {
          continue;
        }
        int hash = body.indexOf('#');
        if (hash < 0) {
          throw new IllegalArgumentException(file + ": override without a reason: " + line);
        }
        String[] f = body.substring(0, hash).strip().split("\\s+");
        if (f.length != 3) {
          throw new IllegalArgumentException(
            file + ": expected 'name rtol atol # reason': " + line
          );
        }
        out.put(f[0], new Tolerance(Double.parseDouble(f[1]), Double.parseDouble(f[2])));
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out;
  }
}
