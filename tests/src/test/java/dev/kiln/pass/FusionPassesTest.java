package dev.kiln.pass;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.kiln.conformance.Tolerance;
import dev.kiln.frontend.ImportOptions;
import dev.kiln.ir.Block;
import dev.kiln.ir.Module;
import dev.kiln.ir.Node;
import dev.kiln.ir.Region;
import dev.kiln.ir.Shape;
import dev.kiln.ir.op.Constant;
import dev.kiln.ir.op.Return;
import dev.kiln.ir.text.ModuleParser;
import dev.kiln.onnx.OnnxImporter;
import dev.kiln.testing.PassEquivalence;
import dev.kiln.testing.lit.Lit;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Numeric equivalence of {@code fold-conv-bn} and {@code fuse-activation}: the interpreter gives
 * the same results before and after, on every chunk of their golden files and on the models in
 * {@code ../shared/models}; on the CNNs no batch normalization and no standalone relu remain.
 */
class FusionPassesTest {

  static final Path GOLDEN = Path.of("golden/pass");
  static final Path MODELS = Path.of("../../shared/models");
  static final String PIPELINE = "fold-conv-bn,fuse-activation,dce";
  static final Tolerance TOLERANCE = new Tolerance(1e-4, 1e-5);

  @TestFactory
  Stream<DynamicTest> golden_inputs_keep_their_values() throws IOException {
    return Stream.of("fold-conv-bn", "fuse-activation").flatMap(pass -> {
        String text;
        try {
          text = Files.readString(GOLDEN.resolve(pass + ".kir"));
        } catch (IOException e) {
          throw new java.io.UncheckedIOException(e);
        }
        return Lit.chunks(text)
          .stream()
          .map(c ->
            DynamicTest.dynamicTest(pass + " chunk " + c.index(), () -> {
              PassEquivalence.check(
                () -> ModuleParser.parse(c.text(), pass + ".kir"),
                pass,
                TOLERANCE,
                17 + c.index(),
                1
              );
            })
          );
      });
  }

  static Stream<Arguments> models() {
    return Stream.of(
      Arguments.of("light_resnet50", List.of(1L, 3L, 224L, 224L)),
      Arguments.of("light_squeezenet", List.of(1L, 3L, 224L, 224L)),
      Arguments.of("light_inception_v1", List.of(1L, 3L, 224L, 224L)),
      Arguments.of("ch_ppocr_mobile_v2.0_cls_infer", List.of(1L, 3L, 48L, 192L)),
      Arguments.of("embedding_model", List.of(1L, 76L, 32L, 1L)),
      Arguments.of("hey_jarvis_v0.1", List.of(1L, 16L, 96L))
    );
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("models")
  void models_keep_their_values(String name, List<Long> dims) {
    Path file = MODELS.resolve(name + ".onnx");
    assumeTrue(
      Files.isRegularFile(file),
      "skipped: " + file.toAbsolutePath().normalize() + " is absent"
    );
    String input = PassNumericsTest.firstInput(file);
    ImportOptions options = new ImportOptions(Map.of(input, Shape.of(dims)), Map.of(), Map.of());
    Map<String, Long> before = histogram(OnnxImporter.importFile(file, options).module());
    PassEquivalence.Report report = PassEquivalence.check(
      () -> OnnxImporter.importFile(file, options).module(),
      PIPELINE,
      new Tolerance(1e-3, 1e-4),
      name.hashCode(),
      1
    );
    Map<String, Long> after = histogram(report.after());
    System.out.println(
      name + ": " + total(before) + " ops " + before + " ==> " + total(after) + " ops " + after
    );
    if (name.startsWith("light_")) {
      assertEquals(0L, after.getOrDefault("nn.batch_norm", 0L), name);
      assertEquals(0L, after.getOrDefault("nn.relu", 0L), name);
    }
    if (name.equals("light_resnet50")) {
      assertTrue(total(after) <= 75, () -> name + " has " + total(after) + " ops");
    }
  }

  private static long total(Map<String, Long> h) {
    return h.values().stream().mapToLong(Long::longValue).sum();
  }

  private static Map<String, Long> histogram(Module m) {
    Map<String, Long> h = new TreeMap<>();
    count(m.funcs().getFirst().entry(), h);
    return h;
  }

  private static void count(Block b, Map<String, Long> h) {
    for (Node n : b.nodes()) {
      if (n.op() instanceof Return || n.op() instanceof Constant) {
        continue;
      }
      h.merge(n.op().name(), 1L, Long::sum);
      for (Region r : n.regions()) {
        count(r.block(), h);
      }
    }
  }
}
