package dev.kiln.pass;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.kiln.frontend.ImportOptions;
import dev.kiln.ir.ElementType;
import dev.kiln.ir.Module;
import dev.kiln.ir.Shape;
import dev.kiln.ir.text.ModuleParser;
import dev.kiln.onnx.ModelLoader;
import dev.kiln.onnx.OnnxImporter;
import dev.kiln.onnx.proto.OnnxProto;
import dev.kiln.testing.PassEquivalence;
import dev.kiln.testing.lit.Lit;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Pass numerics: every function of every golden pass test, and the smaller models of {@code
 * ../shared/models}, compute the same outputs before and after each pass and each {@code -O}
 * pipeline (models: each pass and {@code -O2}); see {@link PassEquivalence}.
 */
class PassNumericsTest {

  static final Path GOLDEN = Path.of("golden/pass");
  static final Path MODELS = Path.of("../../shared/models");

  /** The pipelines each input goes through: single passes, then the levels. */
  static List<String> pipelines() {
    return List.of(
      "canonicalize",
      "constant-fold",
      String.join(",", Pipelines.passes(1)),
      String.join(",", Pipelines.passes(Pipelines.DEFAULT_LEVEL)),
      String.join(",", Pipelines.passes(Pipelines.MAX_LEVEL))
    );
  }

  @TestFactory
  Stream<DynamicTest> golden_functions_keep_their_values() throws IOException {
    List<Path> files;
    try (Stream<Path> s = Files.list(GOLDEN)) {
      files = s
        .filter(p -> p.toString().endsWith(".kir"))
        .sorted()
        .toList();
    }
    assertTrue(!files.isEmpty(), "no golden pass tests under " + GOLDEN.toAbsolutePath());
    return files
      .stream()
      .flatMap(file -> {
        String text;
        try {
          text = Files.readString(file);
        } catch (IOException e) {
          throw new java.io.UncheckedIOException(e);
        }
        return Lit.chunks(text)
          .stream()
          .filter(c -> !c.text().contains("expected-error"))
          .flatMap(c ->
            pipelines()
              .stream()
              .map(p ->
                DynamicTest.dynamicTest(
                  file.getFileName() + " chunk " + c.index() + " after " + p,
                  () ->
                    PassEquivalence.check(
                      () -> ModuleParser.parse(c.text(), file.toString()),
                      p,
                      c.index()
                    )
                )
              )
          );
      });
  }

  static Stream<Arguments> models() {
    return Stream.of(
      Arguments.of("light_squeezenet", List.of(1L, 3L, 224L, 224L)),
      Arguments.of("ch_ppocr_mobile_v2.0_cls_infer", List.of(1L, 3L, 48L, 192L)),
      Arguments.of("melspectrogram", List.of(1L, 1280L)),
      Arguments.of("hey_jarvis_v0.1", List.of(1L, 16L, 96L))
    );
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("models")
  void models_keep_their_values_at_each_level(String name, List<Long> dims) {
    Path file = MODELS.resolve(name + ".onnx");
    assumeTrue(
      Files.isRegularFile(file),
      "skipped: " + file.toAbsolutePath().normalize() + " is absent"
    );
    String input = firstInput(file);
    ImportOptions options = new ImportOptions(
      Map.of(input, Shape.of(dims)),
      Map.of(input, ElementType.F32),
      Map.of()
    );
    for (String pipeline : List.of("canonicalize", "constant-fold", pipelines().get(3))) {
      PassEquivalence.Report r = PassEquivalence.check(
        () -> importModel(file, options),
        pipeline,
        name.hashCode()
      );
      assertTrue(r.compared() == 1, name + " was not compared: " + r.skipped());
    }
  }

  /** The first graph input that no initializer feeds. */
  static String firstInput(Path file) {
    OnnxProto.GraphProto g = ModelLoader.load(file).getGraph();
    Set<String> initialized = new HashSet<>();
    g.getInitializerList().forEach(t -> initialized.add(t.getName()));
    return g
      .getInputList()
      .stream()
      .map(OnnxProto.ValueInfoProto::getName)
      .filter(n -> !initialized.contains(n))
      .findFirst()
      .orElseThrow();
  }

  private static Module importModel(Path file, ImportOptions options) {
    return OnnxImporter.importFile(file, options).module();
  }
}
