package dev.kiln.models;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.kiln.analysis.MemoryPlan;
import dev.kiln.frontend.ImportOptions;
import dev.kiln.ir.Module;
import dev.kiln.ir.Shape;
import dev.kiln.ir.text.PrintOptions;
import dev.kiln.onnx.ModelLoader;
import dev.kiln.onnx.OnnxImporter;
import dev.kiln.onnx.proto.OnnxProto.GraphProto;
import dev.kiln.onnx.proto.OnnxProto.TensorProto;
import dev.kiln.onnx.proto.OnnxProto.ValueInfoProto;
import dev.kiln.pass.PassManager;
import dev.kiln.pass.Pipelines;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The static memory plan of every model in {@code ../shared/models}, with the input shapes of
 * {@link ModelsVsOnnxRuntimeTest}, as imported ({@code -O0}) and after the default pipeline: its
 * arena is within 10% of the lower bound (the largest sum of
 * live bytes at one step), and no two buffers live at one step share a byte.
 */
class ModelsMemoryPlanTest {

  static final double MAX_RATIO = 1.10;

  @ParameterizedTest(name = "{0}")
  @MethodSource("dev.kiln.models.ModelsVsOnnxRuntimeTest#models")
  void arena_within_ten_percent_of_lower_bound(String name, List<Long> dims) {
    for (int level : List.of(0, Pipelines.DEFAULT_LEVEL)) {
      checkPlan(name, dims, level);
    }
  }

  private static void checkPlan(String name, List<Long> dims, int level) {
    Path file = ModelsVsOnnxRuntimeTest.MODELS.resolve(name + ".onnx");
    assumeTrue(
      Files.isRegularFile(file),
      "skipped: " + file.toAbsolutePath().normalize() + " is absent"
    );
    GraphProto g = ModelLoader.load(file).getGraph();
    Set<String> initializers = g
      .getInitializerList()
      .stream()
      .map(TensorProto::getName)
      .collect(Collectors.toSet());
    String input = g
      .getInputList()
      .stream()
      .map(ValueInfoProto::getName)
      .filter(n -> !initializers.contains(n))
      .findFirst()
      .orElseThrow();
    Module m = OnnxImporter.importFile(
      file,
      new ImportOptions(Map.of(input, Shape.of(dims)), Map.of(), Map.of())
    ).module();
    Pipelines.manager(
      level,
      List.of(),
      new PassManager.Options(true, false, Set.of(), false, false, PrintOptions.DEFAULT)
    ).run(m, new PrintStream(OutputStream.nullOutputStream()));
    MemoryPlan p = MemoryPlan.of(m.funcs().getFirst());
    double ratio = (double) p.arenaBytes() / p.arenaLowerBound();
    System.out.printf(
      Locale.ROOT,
      "%s -O%d: arena %d bytes, lower bound %d bytes, ratio %.4f, %d buffers, %d in place, order %s%n",
      name,
      level,
      p.arenaBytes(),
      p.arenaLowerBound(),
      ratio,
      p.buffers().size(),
      p.inPlaceCount(),
      p.order()
    );
    assertTrue(ratio <= MAX_RATIO, name + " -O" + level + ": ratio " + ratio + "\n" + p.report());
    List<MemoryPlan.Buffer> bs = p.buffers();
    for (int i = 0; i < bs.size(); i++) {
      MemoryPlan.Buffer a = bs.get(i);
      assertTrue(a.offset() % MemoryPlan.ALIGNMENT == 0);
      assertTrue(a.offset() + a.bytes() <= p.arenaBytes());
      for (int j = i + 1; j < bs.size(); j++) {
        MemoryPlan.Buffer b = bs.get(j);
        if (a.bytes() == 0 || b.bytes() == 0 || !a.overlapsInTime(b)) {
          continue;
        }
        assertTrue(
          a.offset() + a.bytes() <= b.offset() || b.offset() + b.bytes() <= a.offset(),
          name + ": buffers " + a.id() + " and " + b.id() + " overlap"
        );
      }
    }
  }
}
