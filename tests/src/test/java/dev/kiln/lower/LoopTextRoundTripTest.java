package dev.kiln.lower;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.kiln.frontend.ImportOptions;
import dev.kiln.ir.ElementType;
import dev.kiln.ir.Func;
import dev.kiln.ir.Module;
import dev.kiln.ir.Tensor;
import dev.kiln.ir.loop.LoopFunc;
import dev.kiln.ir.loop.LoopParser;
import dev.kiln.ir.loop.LoopPrinter;
import dev.kiln.ir.text.ModuleParser;
import dev.kiln.onnx.ModelLoader;
import dev.kiln.onnx.OnnxImporter;
import dev.kiln.onnx.TensorProtos;
import dev.kiln.onnx.proto.OnnxProto;
import dev.kiln.pass.PassManager;
import dev.kiln.pass.Pipelines;
import dev.kiln.testing.lit.Lit;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * The Loop IR text round-trips on what lowering really produces: every function of the lowering
 * golden inputs, {@code examples/digits.onnx} and a set of ONNX node tests (convolutions, matrix
 * products and pools, which call micro-kernels, and reductions, gathers, {@code nn.if}, {@code nn.scan}, casts (to and from the low-precision types too), bit casts,
 * resize, which are loops), each lowered with and without micro-kernels at {@code -O0} and {@code -O2}:
 * {@code print(parse(print(f))) == print(f)}.
 */
class LoopTextRoundTripTest {

  private static final Path NODE_TESTS = Path.of("../../shared/conformance/onnx-node");

  private static final List<String> NODE_TEST_NAMES = List.of(
    "test_conv_with_strides_padding",
    "test_convtranspose",
    "test_gemm_default_matrix_bias",
    "test_matmul_3d",
    "test_maxpool_2d_pads",
    "test_averagepool_2d_pads_count_include_pad",
    "test_qlinearconv",
    "test_batchnorm_example",
    "test_softmax_axis_1",
    "test_reduce_sum_default_axes_keepdims_example",
    "test_argmax_default_axis_example",
    "test_gather_0",
    "test_scatter_elements_with_axis",
    "test_resize_upsample_sizes_nearest",
    "test_top_k",
    "test_cumsum_1d",
    "test_det_2d",
    "test_lrn",
    "test_if",
    "test_scan9_sum",
    "test_scan_sum",
    "test_linear_attention_gated_delta_expanded",
    "test_where_example",
    "test_cast_FLOAT_to_FLOAT16",
    "test_cast_FLOAT_to_FLOAT8E4M3FN",
    "test_cast_no_saturate_FLOAT_to_FLOAT8E5M2",
    "test_cast_e8m0_FLOAT_to_FLOAT8E8M0",
    "test_cast_INT4_to_FLOAT",
    "test_bitcast_float32_to_int32",
    "test_dequantizelinear_int4"
  );

  @Test
  void digits_example_round_trips() {
    Module m = OnnxImporter.importFile(
      Path.of("..", "examples", "digits.onnx"),
      ImportOptions.defaults()
    ).module();
    roundTripAllLevels(m, "digits");
  }

  @TestFactory
  Stream<DynamicTest> onnx_node_tests_round_trip() {
    assumeTrue(
      Files.isDirectory(NODE_TESTS),
      "skipped: the ONNX node tests are not at " + NODE_TESTS.toAbsolutePath().normalize()
    );
    return NODE_TEST_NAMES.stream().map(name ->
        DynamicTest.dynamicTest(name, () -> {
          Path dir = NODE_TESTS.resolve(name);
          Module m = OnnxImporter.importFile(
            dir.resolve("model.onnx"),
            integerInputsBound(dir)
          ).module();
          roundTripAllLevels(m, name);
        })
      );
  }

  @TestFactory
  Stream<DynamicTest> lowering_golden_inputs_round_trip() throws IOException {
    List<Path> files;
    try (Stream<Path> s = Files.walk(Path.of("golden", "lower"))) {
      files = s
        .filter(p -> p.toString().endsWith(".kir"))
        .sorted()
        .toList();
    }
    assertFalse(files.isEmpty(), "no golden lowering inputs");
    List<DynamicTest> tests = new ArrayList<>();
    for (Path file : files) {
      for (Lit.Chunk c : Lit.chunks(Files.readString(file))) {
        if (c.text().contains("expected-error")) {
          continue;
        }
        String name = file.getFileName() + " chunk " + c.index();
        tests.add(
          DynamicTest.dynamicTest(name, () ->
            roundTripAllLevels(ModuleParser.parse(c.text(), name), name)
          )
        );
      }
    }
    return tests.stream();
  }

  /**
   * Binds the integer inputs of the test's first data set as constants (shapes, axes, counts), as
   * the conformance runner does when a converter needs them at compile time.
   */
  private static ImportOptions integerInputsBound(Path dir) throws IOException {
    Path set = dir.resolve("test_data_set_0");
    Map<String, Tensor> constants = new HashMap<>();
    try (Stream<Path> files = Files.list(set)) {
      for (Path f : files.filter(p -> p.getFileName().toString().startsWith("input_")).toList()) {
        OnnxProto.TensorProto t = ModelLoader.readTensor(f);
        Tensor value = TensorProtos.decode(t, set);
        ElementType e = value.elementType();
        if (!t.getName().isEmpty() && !e.isFloat() && e != ElementType.BOOL) {
          constants.put(t.getName(), value);
        }
      }
    }
    return ImportOptions.defaults().withConstantInputs(constants);
  }

  private static void roundTripAllLevels(Module m, String what) {
    roundTrip(m, what + " at -O0");
    Pipelines.manager(Pipelines.DEFAULT_LEVEL, List.of(), PassManager.Options.defaults()).run(
      m,
      new PrintStream(OutputStream.nullOutputStream())
    );
    roundTrip(m, what + " at -O" + Pipelines.DEFAULT_LEVEL);
  }

  private static void roundTrip(Module m, String what) {
    for (Func f : m.funcs()) {
      for (boolean kernels : new boolean[] { false, true }) {
        LoopFunc lowered = Lowering.lower(
          f,
          f.name(),
          List.of(),
          List.of(),
          kernels
            ? dev.kiln.backend.llvm.Targets.info(
              dev.kiln.backend.llvm.Targets.resolve("x86_64-linux-gnu", "skylake-avx512")
            )
            : null
        );
        String text = LoopPrinter.print(lowered);
        String again = LoopPrinter.print(LoopParser.parse(text, what + ".loop"));
        assertEquals(text, again, what + ", @" + f.name() + (kernels ? " with kernels" : ""));
      }
    }
  }
}
