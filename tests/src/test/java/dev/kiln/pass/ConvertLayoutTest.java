package dev.kiln.pass;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.kiln.conformance.Tolerance;
import dev.kiln.frontend.ImportOptions;
import dev.kiln.ir.Block;
import dev.kiln.ir.BlockArgument;
import dev.kiln.ir.Dim;
import dev.kiln.ir.Func;
import dev.kiln.ir.Module;
import dev.kiln.ir.Node;
import dev.kiln.ir.Shape;
import dev.kiln.ir.Use;
import dev.kiln.ir.op.ChannelLayout;
import dev.kiln.ir.op.Constant;
import dev.kiln.ir.op.Layout;
import dev.kiln.ir.op.Return;
import dev.kiln.ir.op.Transpose;
import dev.kiln.ir.text.ModuleParser;
import dev.kiln.ir.text.PrintOptions;
import dev.kiln.onnx.OnnxImporter;
import dev.kiln.testing.PassEquivalence;
import dev.kiln.testing.lit.Lit;
import dev.kiln.tf.TfImporter;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@code convert-layout} moves data only, so results stay bit-identical: on every chunk of its
 * golden file and on the CNNs of {@code ../shared/models} (after {@code -O2}). On those CNNs, after
 * the pass and {@code canonicalize}, every convolution and pool is NHWC (or pools a single channel,
 * as inception's local response normalization does) and the only transposes left read a graph
 * input or feed a graph output, at most one each.
 */
class ConvertLayoutTest {

  static final Path GOLDEN = Path.of("golden/pass/convert-layout.kir");
  static final Path MODELS = Path.of("../../shared/models");
  static final Tolerance EXACT = new Tolerance(0, 0);

  @TestFactory
  Stream<DynamicTest> golden_inputs_keep_their_values_exactly() throws IOException {
    String text = Files.readString(GOLDEN);
    return Lit.chunks(text)
      .stream()
      .flatMap(c ->
        Stream.of("convert-layout", "convert-layout,canonicalize,cse,dce").map(p ->
            DynamicTest.dynamicTest("chunk " + c.index() + " after " + p, () -> {
              PassEquivalence.Report r = PassEquivalence.check(
                () -> ModuleParser.parse(c.text(), GOLDEN.toString()),
                p,
                EXACT,
                31 + c.index(),
                2
              );
              assertTrue(r.compared() > 0, "chunk " + c.index() + " was not compared");
            })
          )
      );
  }

  @Test
  void evaluating_in_nhwc_equals_evaluating_in_nchw() {
    String nchw = """
      func @f(%x: tensor<2x3x5x4xf32>, %r: tensor<2x4x3x2xf32>) -> (tensor<2x4x3x2xf32>, tensor<2x3x2x2xf32>, tensor<2x3x1x1xf32>, tensor<2x3x5x4xf32>) {
        %w = nn.constant {value = dense<0.25> : tensor<4x3x3x3xf32>} : tensor<4x3x3x3xf32>
        %b = nn.constant {value = dense<[0.5, -1.0, 2.0, 0.0]> : tensor<4xf32>} : tensor<4xf32>
        %s = nn.constant {value = dense<[2.0, 0.5, -1.0]> : tensor<3xf32>} : tensor<3xf32>
        %v = nn.constant {value = dense<[4.0, 0.25, 1.0]> : tensor<3xf32>} : tensor<3xf32>
        %c = nn.conv(%x, %w, %b, %r) {activation = relu, pads = [1, 0, 1, 1], strides = [2, 2]} : tensor<2x4x3x2xf32>
        %p = nn.average_pool(%x) {ceilMode = true, kernel = [3, 2], strides = [3, 3]} : tensor<2x3x2x2xf32>
        %g = nn.global_average_pool(%x) : tensor<2x3x1x1xf32>
        %n = nn.batch_norm(%x, %s, %s, %s, %v) : tensor<2x3x5x4xf32>
        return %c, %p, %g, %n : tensor<2x4x3x2xf32>, tensor<2x3x2x2xf32>, tensor<2x3x1x1xf32>, tensor<2x3x5x4xf32>
      }
      """;
    PassEquivalence.Report r = PassEquivalence.check(
      () -> ModuleParser.parse(nchw, "nchw.kir"),
      "convert-layout",
      EXACT,
      5,
      3
    );
    assertEquals(3, r.compared());
    Map<String, Long> h = histogram(r.after().funcs().getFirst());
    assertEquals(5L, h.get("nn.transpose"), () -> "transposes: " + h);
  }

  static Stream<Arguments> models() {
    return Stream.of(
      Arguments.of("light_resnet50", List.of(1L, 3L, 224L, 224L)),
      Arguments.of("light_squeezenet", List.of(1L, 3L, 224L, 224L)),
      Arguments.of("light_inception_v1", List.of(1L, 3L, 224L, 224L)),
      Arguments.of("ch_ppocr_mobile_v2.0_cls_infer", List.of(1L, 3L, 48L, 192L))
    );
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("models")
  void cnn_keeps_transposes_at_its_boundary_only(String name, List<Long> dims) {
    Path file = MODELS.resolve(name + ".onnx");
    assumeTrue(
      Files.isRegularFile(file),
      "skipped: " + file.toAbsolutePath().normalize() + " is absent"
    );
    String input = PassNumericsTest.firstInput(file);
    ImportOptions options = new ImportOptions(Map.of(input, Shape.of(dims)), Map.of(), Map.of());
    String level2 = String.join(",", Pipelines.passes(Pipelines.DEFAULT_LEVEL));
    Map<String, Long> before = histogram(optimized(file, options, level2).funcs().getFirst());
    PassEquivalence.Report report = PassEquivalence.check(
      () -> optimized(file, options, level2),
      "convert-layout,canonicalize",
      EXACT,
      name.hashCode(),
      1
    );
    assertEquals(1, report.compared(), () -> name + " was not compared: " + report.skipped());
    Func f = report.after().funcs().getFirst();
    Map<String, Long> after = histogram(f);
    System.out.println(
      name + ": -O2 " + before + " ==> convert-layout,canonicalize " + after + ", max |diff| 0"
    );
    Map<Object, Integer> perBoundary = new HashMap<>();
    for (Node n : f.entry().nodes()) {
      if (n.op() instanceof Transpose) {
        Object boundary = boundary(n);
        assertTrue(boundary != null, () -> name + ": a transpose inside the network: " + n);
        perBoundary.merge(boundary, 1, Integer::sum);
      }
      if (n.op() instanceof ChannelLayout c && n.operand(0).type().rank() >= 3) {
        Dim channels = n
          .operand(0)
          .type()
          .shape()
          .dim(c.layout().channelAxis(n.operand(0).type().rank()));
        assertTrue(
          c.layout() == Layout.NHWC || channels.equals(Dim.of(1)),
          () -> name + ": an NCHW op with more than one channel: " + n
        );
      }
    }
    perBoundary.forEach((b, count) ->
      assertTrue(count <= 1, () -> name + ": " + count + " transposes at " + b)
    );
  }

  @Test
  void tensorflow_mobilenet_loses_every_transpose() {
    Path file = MODELS.resolve("../tf/arm-ml-examples/yeah-world/mnet.pb");
    assumeTrue(
      Files.isRegularFile(file),
      "skipped: " + file.toAbsolutePath().normalize() + " is absent"
    );
    ImportOptions options = new ImportOptions(
      Map.of("input_1", Shape.of(1, 128, 128, 3)),
      Map.of(),
      Map.of()
    );
    String level2 = String.join(",", Pipelines.passes(Pipelines.DEFAULT_LEVEL));
    java.util.function.Supplier<Module> source = () -> {
      Module m = TfImporter.importFile(file, options, List.of()).module();
      run(m, level2);
      return m;
    };
    Map<String, Long> before = histogram(source.get().funcs().getFirst());
    PassEquivalence.Report report = PassEquivalence.check(
      source,
      "convert-layout,canonicalize",
      EXACT,
      7,
      1
    );
    Map<String, Long> after = histogram(report.after().funcs().getFirst());
    System.out.println("mnet.pb: -O2 " + before + " ==> convert-layout,canonicalize " + after);
    assertEquals(54L, before.get("nn.transpose"));
    assertEquals(null, after.get("nn.transpose"), () -> "transposes left: " + after);
  }

  /**
   * The graph input a transpose reads or the graph output it feeds (its only use is the return),
   * else null.
   */
  private static Object boundary(Node t) {
    if (t.operand(0) instanceof BlockArgument a) {
      return a;
    }
    List<Use> uses = t.result().uses();
    if (uses.size() == 1 && uses.getFirst().user().op() instanceof Return) {
      return "output " + uses.getFirst().index();
    }
    return null;
  }

  private static Module optimized(Path file, ImportOptions options, String pipeline) {
    Module m = OnnxImporter.importFile(file, options).module();
    run(m, pipeline);
    return m;
  }

  private static void run(Module m, String pipeline) {
    PassManager.parse(
      pipeline,
      new PassManager.Options(true, false, Set.of(), false, false, PrintOptions.DEFAULT)
    ).run(m, new PrintStream(OutputStream.nullOutputStream()));
  }

  private static Map<String, Long> histogram(Func f) {
    Map<String, Long> h = new TreeMap<>();
    count(f.entry(), h);
    return h;
  }

  private static void count(Block b, Map<String, Long> h) {
    for (Node n : b.nodes()) {
      if (!(n.op() instanceof Return) && !(n.op() instanceof Constant)) {
        h.merge(n.op().name(), 1L, Long::sum);
      }
    }
  }
}
