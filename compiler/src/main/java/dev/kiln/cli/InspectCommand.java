package dev.kiln.cli;

import dev.kiln.analysis.Flops;
import dev.kiln.analysis.MemoryNeeds;
import dev.kiln.analysis.MemoryPlan;
import dev.kiln.backend.Artifacts;
import dev.kiln.backend.Backend;
import dev.kiln.backend.EmitOptions;
import dev.kiln.backend.LoopModule;
import dev.kiln.emit.Backends;
import dev.kiln.emit.MemoryReport;
import dev.kiln.emit.NativeCompiler;
import dev.kiln.emit.TempDir;
import dev.kiln.emit.Toolchain;
import dev.kiln.frontend.ImportedModel;
import dev.kiln.frontend.UnsupportedOpsException;
import dev.kiln.ir.BlockArgument;
import dev.kiln.ir.Diagnostic;
import dev.kiln.ir.DiagnosticException;
import dev.kiln.ir.DiagnosticRenderer;
import dev.kiln.ir.Func;
import dev.kiln.ir.Location;
import dev.kiln.ir.Node;
import dev.kiln.ir.Region;
import dev.kiln.ir.Tensor;
import dev.kiln.ir.op.Constant;
import dev.kiln.ir.op.Return;
import dev.kiln.lower.Lowering;
import dev.kiln.pass.Pass;
import dev.kiln.pass.PassManager;
import dev.kiln.pass.Pipelines;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/**
 * {@code kiln inspect MODEL}: opset, inputs and outputs with shapes, op histogram, parameters,
 * FLOPs, the workspace arena of the static memory plan and its lower bound ({@link MemoryPlan}; for
 * a model with dynamic shapes, why there is none), and every unsupported op at once (exit 3 when
 * there are any). Counts and the plan describe the graph after the {@code -O} pipeline (default
 * {@code -O2}); {@code -O0} shows it as imported.
 */
@Command(
  name = "inspect",
  mixinStandardHelpOptions = true,
  description = "Describe a model: inputs, outputs, ops, parameters, FLOPs, arena, unsupported ops."
)
final class InspectCommand implements Callable<Integer> {

  @ParentCommand
  private Main main;

  @Mixin
  private ModelSource source;

  @Option(names = "--input", paramLabel = "NAME=DIMS[:type]", description = "Bind an input shape.")
  private List<String> inputs = new ArrayList<>();

  @Option(names = "--json", description = "Print one JSON object.")
  private boolean json;

  @Option(
    names = "--memory-plan",
    description = "Also print the memory plan: offset, size and lifetime of every buffer."
  )
  private boolean memoryPlan;

  @Option(
    names = "--target",
    paramLabel = "TRIPLE",
    description = "A microcontroller target (thumbv7em-none-eabihf): also report flash and RAM."
  )
  private String target;

  @Option(names = "--cpu", paramLabel = "NAME", description = "With --target: the CPU.")
  private String cpu;

  @Option(
    names = "--graph",
    paramLabel = "FILE",
    description = "Draw the optimized graph: FILE.svg through Graphviz's dot when it is " +
    "installed (else the DOT text goes to FILE.dot), FILE.dot as DOT text."
  )
  private Path graph;

  @Mixin
  private PassOptions passOptions;

  @Mixin
  private LimitOptions limits;

  @Override
  public Integer call() {
    Backend backend = null;
    if (target != null || cpu != null) {
      backend = Backends.forTarget(target, cpu);
      if (!Backends.isMicrocontroller(backend.target())) {
        throw DiagnosticException.error(
          Location.UNKNOWN,
          "inspect --target reports flash and RAM for microcontroller targets (" +
          NativeCompiler.CORTEX_M +
          "), not " +
          backend.target().name()
        );
      }
    }
    ModelInputs in = ModelInputs.of(inputs);
    int level = passOptions.level(Pipelines.DEFAULT_LEVEL);
    PassManager pm = passOptions.manager(null, Pipelines.DEFAULT_LEVEL, PassOptions.MODEL_DUMPS);
    Map<String, Object> report = new LinkedHashMap<>();
    report.put("model", source.model.toString());
    ImportedModel m;
    try {
      m = source.load(in.options());
    } catch (UnsupportedOpsException e) {
      List<String> unsupported = e.diagnostics().stream().map(Diagnostic::message).toList();
      report.put("unsupported", unsupported);
      if (json) {
        main.out.print(Json.write(report));
      } else {
        main.out.println("unsupported operators (" + unsupported.size() + "):");
        unsupported.forEach(u -> main.out.println("  " + u));
      }
      return Main.UNSUPPORTED;
    }
    pm.run(m.module(), main.err);
    Func f = m.module().funcs().getFirst();
    Map<String, Object> ins = new LinkedHashMap<>();
    for (BlockArgument a : f.arguments()) {
      ins.put(m.inputNames().get(a.index()), a.type().toString());
    }
    Map<String, Object> outs = new LinkedHashMap<>();
    for (int i = 0; i < f.resultTypes().size(); i++) {
      outs.put(m.outputNames().get(i), f.resultTypes().get(i).toString());
    }
    Map<String, Long> histogram = new TreeMap<>();
    long[] params = new long[1];
    count(f.entry(), histogram, params);
    MemoryNeeds weights = MemoryNeeds.weights(f);
    long ops = histogram.values().stream().mapToLong(Long::longValue).sum();
    report.putAll(m.origin().properties());
    report.put("optLevel", level);
    List<String> pipeline = pm.passes().stream().map(Pass::name).toList();
    report.put("pipeline", pipeline);
    report.put("inputs", ins);
    report.put("outputs", outs);
    report.put("ops", ops);
    report.put("opHistogram", new LinkedHashMap<>(histogram));
    report.put("parameters", params[0]);
    report.put("parameterBytes", weights.bytes());
    report.put("flops", Flops.of(f));
    String unplanned = null;
    MemoryPlan plan = null;
    try {
      plan = MemoryPlan.of(f);
      report.put("arenaBytes", plan.arenaBytes());
      report.put("arenaLowerBound", plan.arenaLowerBound());
    } catch (DiagnosticException e) {
      unplanned = e.getMessage();
      report.put("arenaBytes", null);
      report.put("arenaLowerBound", null);
      report.put("arenaUnplanned", unplanned);
    }
    MemoryNeeds workspace = plan == null ? null : MemoryNeeds.workspace(plan);
    if (workspace != null) {
      limits.checkWorkspace(workspace, workspace.bytes());
    }
    limits.checkWeights(weights);
    main.err.print(
      new DiagnosticRenderer(source.model.toString()).render(
        LimitOptions.warnings(workspace, weights)
      )
    );
    MemoryReport memory = null;
    if (backend != null) {
      String prefix = CompileCommand.defaultName(source.model);
      LoopModule module = Lowering.lowerModule(
        f,
        prefix,
        m.inputNames(),
        m.outputNames(),
        backend.target(),
        source.model.getFileName().toString()
      );
      memory = MemoryReport.of(
        module.func(),
        prefix,
        backend.compile(
          module,
          backend.target(),
          EmitOptions.of(Artifacts.Kind.OBJECT, Artifacts.Kind.ASSEMBLY)
        )
      );
      report.put("target", backend.target().name());
      report.put("memory", new LinkedHashMap<>(memory.properties()));
    }
    report.put("unsupported", List.of());
    if (graph != null) {
      String title = source.model.getFileName() + " (-O" + level + ")";
      drawGraph(GraphDot.of(f, m.inputNames(), m.outputNames(), title));
    }
    if (json && memoryPlan && plan != null) {
      report.put("memoryPlan", buffers(plan));
    }
    if (json) {
      main.out.print(Json.write(report));
      return Main.OK;
    }
    main.out.println(source.model + ": " + m.origin().describe());
    main.out.println("after -O" + level + ": " + String.join(",", pipeline));
    main.out.println("inputs:");
    ins.forEach((k, v) -> main.out.println("  " + k + ": " + v));
    main.out.println("outputs:");
    outs.forEach((k, v) -> main.out.println("  " + k + ": " + v));
    main.out.println("ops: " + ops);
    histogram.forEach((k, v) -> main.out.printf("  %-28s %d%n", k, v));
    main.out.println("parameters: " + params[0] + " (" + weights.bytes() + " bytes)");
    main.out.println("flops: " + report.get("flops"));
    if (unplanned == null) {
      main.out.println(
        "arena: " +
        report.get("arenaBytes") +
        " bytes (lower bound " +
        report.get("arenaLowerBound") +
        ")"
      );
    } else {
      main.out.println("arena: not planned: " + unplanned);
    }
    if (memory != null) {
      main.out.println(backend.target().name() + ": " + memory.describe());
    }
    if (memoryPlan && plan != null) {
      main.out.print(plan.report());
    }
    return Main.OK;
  }

  /**
   * Writes {@code dot} to {@link #graph}: rendered by {@code dot -Tsvg} for a {@code .svg} name when
   * Graphviz is on the PATH, else as text (a {@code .svg} name then becomes {@code .dot}, said on
   * stderr).
   */
  private void drawGraph(String dot) {
    String file = graph.getFileName().toString();
    if (!file.endsWith(".svg")) {
      OutputFiles.write(graph, dot);
      return;
    }
    Optional<String> graphviz = Toolchain.find("dot");
    if (graphviz.isEmpty()) {
      Path text = graph.resolveSibling(file.substring(0, file.length() - 4) + ".dot");
      OutputFiles.write(text, dot);
      main.err.println(
        "kiln inspect: Graphviz (dot) is not installed; wrote the DOT text to " + text
      );
      return;
    }
    try (TempDir work = TempDir.create("kiln-graph")) {
      Files.writeString(work.resolve("graph.dot"), dot, StandardCharsets.UTF_8);
      Toolchain.Result r = Toolchain.exec(
        List.of(graphviz.get(), "-Tsvg", "-o", "graph.svg", "graph.dot"),
        work.path(),
        120
      );
      if (r.exit() != 0) {
        throw DiagnosticException.error(
          Location.UNKNOWN,
          graph + ": dot failed (exit " + r.exit() + "): " + r.output().strip()
        );
      }
      OutputFiles.write(graph, Files.readAllBytes(work.resolve("graph.svg")));
    } catch (IOException e) {
      throw new UncheckedIOException("while drawing " + graph, e);
    }
  }

  private static List<Map<String, Object>> buffers(MemoryPlan plan) {
    List<Map<String, Object>> out = new ArrayList<>();
    for (MemoryPlan.Buffer b : plan.buffers()) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("offset", b.offset());
      m.put("bytes", b.bytes());
      m.put("firstStep", b.first());
      m.put("lastStep", b.last());
      m.put("values", b.values().size());
      m.put("regionsOf", b.scratchFor() == null ? null : b.scratchFor().op().name());
      out.add(m);
    }
    return out;
  }

  private static void count(dev.kiln.ir.Block b, Map<String, Long> histogram, long[] params) {
    for (Node n : b.nodes()) {
      if (n.op() instanceof Return) {
        continue;
      }
      if (n.op() instanceof Constant c) {
        Tensor t = c.value();
        params[0] += t.size();
        continue;
      }
      histogram.merge(n.op().name(), 1L, Long::sum);
      for (Region r : n.regions()) {
        count(r.block(), histogram, params);
      }
    }
  }
}
