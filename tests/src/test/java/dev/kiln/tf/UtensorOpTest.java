package dev.kiln.tf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.kiln.conformance.ConformanceRunner;
import dev.kiln.frontend.ImportOptions;
import dev.kiln.frontend.ImportedModel;
import dev.kiln.interp.Interpreter;
import dev.kiln.ir.ElementType;
import dev.kiln.ir.Shape;
import dev.kiln.ir.Tensor;
import dev.kiln.ir.op.QConv;
import dev.kiln.ir.op.QMatMul;
import dev.kiln.testing.Idx;
import dev.kiln.tf.proto.TfProto.GraphDef;
import dev.kiln.tf.proto.TfProto.NodeDef;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Runs the uTensor single-op cases in {@code ../shared/tf/utensor-op-tests} through the
 * interpreter: every float graph with an expected output must match it within rtol 1e-5, atol
 * 1e-6, and its eight-bit twin must match the float result within one quantization step (the range
 * of its final {@code Dequantize} over 255). {@code quantized_add}'s expected output comes from TensorFlow's
 * eight-bit kernels, whose integer rounding differs from the interpreter's float reference: the
 * eight-bit result must be within one step of the float graph and two of TensorFlow's. {@code
 * reshape_2} and {@code reshape_3} feed their placeholder from {@code
 * input_x.idx}; {@code const} is compared with its value file {@code x_0.idx}. Skipped when {@code ../shared} is absent.
 */
class UtensorOpTest {

  static final Path SUITE = Path.of("../../shared/tf/utensor-op-tests");

  static Stream<String> cases() throws IOException {
    if (!Files.isDirectory(SUITE)) {
      return Stream.of("(absent)");
    }
    List<String> names = new ArrayList<>();
    try (Stream<Path> s = Files.list(SUITE)) {
      s.filter(Files::isDirectory).forEach(p -> names.add(p.getFileName().toString()));
    }
    names.sort(null);
    return names.stream();
  }

  static Path expected(Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      List<Path> out = s
        .filter(p -> {
          String n = p.getFileName().toString();
          return n.startsWith("output_") && n.endsWith(".idx") && !n.endsWith("_0.idx");
        })
        .toList();
      if (out.size() == 1) {
        return out.getFirst();
      }
    }
    String output = Files.readString(dir.resolve("output_nodes.txt")).strip();
    Path value = dir.resolve(output.replace('/', '_') + "_0.idx");
    return Files.isRegularFile(value) && !output.contains("/") ? value : null;
  }

  static List<Tensor> run(Path graph, Path dir, boolean withRange) throws IOException {
    return run(graph, dir, withRange, ConformanceRunner.Engine.INTERPRETER);
  }

  static List<Tensor> run(Path graph, Path dir, boolean withRange, ConformanceRunner.Engine engine)
    throws IOException {
    String output = Files.readString(dir.resolve("output_nodes.txt"))
      .strip()
      .lines()
      .findFirst()
      .orElseThrow();
    List<String> outputs = new ArrayList<>(List.of(output));
    if (withRange) {
      for (var n : GraphLoader.load(graph).getNodeList()) {
        if (n.getName().equals(output) && n.getOp().equals("Dequantize")) {
          outputs.add(n.getInput(1));
          outputs.add(n.getInput(2));
        }
      }
    }
    Map<String, Shape> shapes = new HashMap<>();
    Map<String, Tensor> feeds = new HashMap<>();
    Path input = dir.resolve("input_x.idx");
    if (Files.isRegularFile(input)) {
      Tensor x = Idx.read(input);
      shapes.put("x", x.shape());
      feeds.put("x", x);
    }
    ImportedModel m = TfImporter.importFile(
      graph,
      new ImportOptions(shapes, Map.of(), Map.of()),
      outputs
    );
    List<Tensor> args = new ArrayList<>();
    for (String name : m.inputNames()) {
      args.add(feeds.get(name));
    }
    if (engine == ConformanceRunner.Engine.INTERPRETER) {
      return engine.run(m, args);
    }
    return TfModelsTest.runOptimized(m, args, engine);
  }

  /** One quantization step of the eight-bit result: its Dequantize range over 255, else 0. */
  static double step(List<Tensor> quantized) {
    return quantized.size() == 3
      ? (quantized.get(2).getDouble(0) - quantized.get(1).getDouble(0)) / 255
      : 0;
  }

  static void assertClose(Tensor want, Tensor got, double atol, double rtol, String what) {
    assertEquals(want.size(), got.size(), what + ": element count");
    for (long i = 0; i < want.size(); i++) {
      double e = want.getDouble(i);
      double g = got.getDouble(i);
      assertTrue(
        Math.abs(g - e) <= atol + rtol * Math.abs(e),
        what + " element " + i + ": got " + g + ", want " + e + " (atol " + atol + ")"
      );
    }
  }

  /** The float graphs compiled for the host (at -O2) match TensorFlow's outputs too. */
  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void float_graph_matches_tensorflow_natively(String name) throws IOException {
    assumeTrue(
      Files.isDirectory(SUITE),
      "skipped: " + SUITE.toAbsolutePath().normalize() + " is absent"
    );
    assumeTrue(!name.startsWith("quantized_"), "skipped: " + name + " is an eight-bit graph");
    Path dir = SUITE.resolve(name);
    Path want = expected(dir);
    assumeTrue(want != null, "skipped: " + name + " has no expected output");
    ConformanceRunner.Engine e = TfModelsTest.nativeEngine(null);
    Tensor got = run(dir.resolve("test_" + name + ".pb"), dir, false, e).getFirst();
    assertClose(Idx.read(want), got, 1e-6, 1e-5, name + " (native)");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void float_graph_matches_tensorflow_and_eight_bit_twin_within_a_step(String name)
    throws IOException {
    assumeTrue(
      Files.isDirectory(SUITE),
      "skipped: " + SUITE.toAbsolutePath().normalize() + " is absent"
    );
    Path dir = SUITE.resolve(name);
    Path want = expected(dir);
    assumeTrue(want != null, "skipped: " + name + " has no expected output");
    Tensor expected = Idx.read(want);
    Path quant = dir.resolve("test_quant_" + name + ".pb");
    List<Tensor> q = Files.isRegularFile(quant) ? run(quant, dir, true) : null;
    Tensor got = run(dir.resolve("test_" + name + ".pb"), dir, false).getFirst();
    if (name.startsWith("quantized_")) {
      assertClose(expected, q.getFirst(), 2 * step(q) + 1e-6, 0, name + " (eight-bit vs TF's)");
      assertClose(got, q.getFirst(), step(q) + 1e-6, 0, name + " (eight-bit vs float)");
      return;
    }
    assertClose(expected, got, 1e-6, 1e-5, name);
    if (q != null) {
      assertClose(got, q.getFirst(), step(q) + 1e-6, 0, name + " (eight-bit)");
    }
  }

  /**
   * The inputs that keep an eight-bit twin from folding away: its quantized {@code Const}s and,
   * when {@code ranges} is set, the constant float ranges of its quantized ops too (the run-time
   * range path), except the filter's range of a product (integer products need it constant), with
   * their values.
   */
  static Map<String, Tensor> cuts(GraphDef g, boolean ranges) {
    Map<String, NodeDef> consts = new HashMap<>();
    for (NodeDef n : g.getNodeList()) {
      if (n.getOp().equals("Const")) {
        consts.put(n.getName(), n);
      }
    }
    Map<String, Tensor> cut = new TreeMap<>();
    for (NodeDef n : g.getNodeList()) {
      if (!n.getOp().startsWith("Quantized")) {
        continue;
      }
      boolean product = n.getOp().equals("QuantizedConv2D") || n.getOp().equals("QuantizedMatMul");
      for (int i = 0; i < n.getInputCount(); i++) {
        NodeDef c = consts.get(n.getInput(i));
        if (c == null) {
          continue;
        }
        Tensor t = TfTensors.decode(c.getAttrOrThrow("value").getTensor());
        ElementType e = t.type().elementType();
        boolean range = e == ElementType.F32 && t.size() == 1 && !(product && i >= 4);
        if (e == ElementType.U8 || e == ElementType.I8 || (ranges && range)) {
          cut.put(c.getName(), t);
        }
      }
    }
    return cut;
  }

  /**
   * The eight-bit twins compiled for the host at -O2 give the interpreter's unoptimized results
   * bit for bit, cut each {@link Cut} way so that {@code q.conv}, {@code q.matmul} and the
   * code-level pooling and relu run as native code. Products become integer ops: no float
   * convolution or matrix product is left; with frozen ranges each {@code Requantize} of a product
   * whose input range is a constant is the product's own requantization to {@code u8}, still
   * within one step of the float graph.
   */
  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void eight_bit_twin_runs_natively_as_in_the_interpreter(String name) throws IOException {
    assumeTrue(
      Files.isDirectory(SUITE),
      "skipped: " + SUITE.toAbsolutePath().normalize() + " is absent"
    );
    Path dir = SUITE.resolve(name);
    Path graph = dir.resolve("test_quant_" + name + ".pb");
    assumeTrue(Files.isRegularFile(graph), "skipped: " + name + " has no eight-bit twin");
    assumeTrue(expected(dir) != null, "skipped: " + name + " has no expected output");
    ConformanceRunner.Engine engine = TfModelsTest.nativeEngine(null);
    GraphDef g = GraphLoader.load(graph);
    String output = Files.readString(dir.resolve("output_nodes.txt"))
      .strip()
      .lines()
      .findFirst()
      .orElseThrow();
    Set<String> consts = new HashSet<>();
    g
      .getNodeList()
      .stream()
      .filter(n -> n.getOp().equals("Const"))
      .forEach(n -> consts.add(n.getName()));
    List<NodeDef> products = g
      .getNodeList()
      .stream()
      .filter(n -> n.getOp().equals("QuantizedConv2D") || n.getOp().equals("QuantizedMatMul"))
      .toList();
    boolean product = !products.isEmpty();
    boolean constantInputRange = products
      .stream()
      .allMatch(n -> consts.contains(n.getInput(2)) && consts.contains(n.getInput(3)));
    for (Cut mode : Cut.values()) {
      Map<String, Tensor> feeds = new HashMap<>(cuts(g, mode == Cut.RANGES));
      Path input = dir.resolve("input_x.idx");
      if (Files.isRegularFile(input)) {
        feeds.put("x", Idx.read(input));
      }
      Map<String, Shape> shapes = new HashMap<>();
      feeds.forEach((k, v) -> shapes.put(k, v.shape()));
      Map<String, Tensor> frozen = mode == Cut.FROZEN
        ? requantizationRanges(graph, g, dir)
        : Map.of();
      if (mode == Cut.FROZEN && (frozen.isEmpty() || !product || !constantInputRange)) {
        continue;
      }
      ImportOptions options = new ImportOptions(shapes, Map.of(), frozen);
      ImportedModel reference = TfImporter.importFile(graph, options, List.of(output));
      ImportedModel compiled = TfImporter.importFile(graph, options, List.of(output));
      List<Tensor> args = new ArrayList<>();
      for (String in : reference.inputNames()) {
        args.add(feeds.get(in));
      }
      Tensor want = ConformanceRunner.Engine.INTERPRETER.run(reference, args).getFirst();
      Tensor got = TfModelsTest.runOptimized(compiled, args, engine).getFirst();
      String what = name + " (native, " + mode.name().toLowerCase(java.util.Locale.ROOT) + ")";
      assertClose(want, got, 0, 0, what);
      List<dev.kiln.ir.op.Op> ops = new ArrayList<>();
      compiled
        .module()
        .funcs()
        .getFirst()
        .entry()
        .nodes()
        .forEach(n -> ops.add(n.op()));
      List<String> names = ops.stream().map(dev.kiln.ir.op.Op::name).toList();
      assertTrue(!names.contains("nn.conv") && !names.contains("nn.matmul"), what + ": " + names);
      if (product) {
        assertTrue(names.contains("q.conv") || names.contains("q.matmul"), what + ": " + names);
      }
      if (mode == Cut.FROZEN) {
        assertTrue(
          ops
            .stream()
            .anyMatch(
              op ->
                (op instanceof QConv q && q.outputType() == ElementType.U8) ||
                (op instanceof QMatMul p && p.outputType() == ElementType.U8)
            ),
          what + ": the Requantize is not the product's own: " + names
        );
        List<Tensor> eightBit = run(graph, dir, true);
        Tensor floatResult = run(dir.resolve("test_" + name + ".pb"), dir, false).getFirst();
        assertClose(floatResult, got, step(eightBit) + 1e-6, 0, what + " vs float");
      }
    }
  }

  /**
   * How the eight-bit twins are cut for native runs: their quantized constants only; those and the
   * input ranges (zero codes computed at run time); or the quantized constants with every {@code
   * RequantizationRange} frozen to the value it has on the suite's data, as TensorFlow's {@code
   * freeze_requantization_ranges} does.
   */
  enum Cut {
    CODES,
    RANGES,
    FROZEN,
  }

  /** The values of every {@code RequantizationRange} of the twin on the suite's data. */
  static Map<String, Tensor> requantizationRanges(Path graph, GraphDef g, Path dir)
    throws IOException {
    List<String> refs = new ArrayList<>();
    for (NodeDef n : g.getNodeList()) {
      if (n.getOp().equals("RequantizationRange")) {
        refs.add(n.getName());
        refs.add(n.getName() + ":1");
      }
    }
    if (refs.isEmpty()) {
      return Map.of();
    }
    Map<String, Shape> shapes = new HashMap<>();
    List<Tensor> args = new ArrayList<>();
    Path input = dir.resolve("input_x.idx");
    if (Files.isRegularFile(input)) {
      Tensor x = Idx.read(input);
      shapes.put("x", x.shape());
      args.add(x);
    }
    ImportedModel m = TfImporter.importFile(
      graph,
      new ImportOptions(shapes, Map.of(), Map.of()),
      refs
    );
    List<Tensor> values = ConformanceRunner.Engine.INTERPRETER.run(m, args);
    Map<String, Tensor> frozen = new TreeMap<>();
    for (int i = 0; i < refs.size(); i++) {
      frozen.put(refs.get(i), values.get(i));
    }
    return frozen;
  }

  @Test
  void dropout_fed_keep_prob_one_is_the_identity() throws IOException {
    Path dir = SUITE.resolve("dropout");
    assumeTrue(
      Files.isDirectory(dir),
      "skipped: " + dir.toAbsolutePath().normalize() + " is absent"
    );
    ImportedModel m = TfImporter.importFile(
      dir.resolve("test_dropout.pb"),
      new ImportOptions(Map.of("keep_prob", Shape.SCALAR), Map.of(), Map.of()),
      List.of("dropout_output/mul")
    );
    Tensor x = Idx.read(dir.resolve("x_0.idx"));
    List<Tensor> args = new ArrayList<>();
    for (String input : m.inputNames()) {
      args.add(Tensor.scalar(ElementType.F32, 1.0));
    }
    Tensor y = Interpreter.run(m.module().funcs().getFirst(), args).getFirst();
    assertEquals(x.size(), y.size());
    for (long i = 0; i < x.size(); i++) {
      assertEquals(x.getDouble(i), y.getDouble(i), 1e-6, "element " + i);
    }
  }
}
