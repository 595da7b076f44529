package dev.kiln.models;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.kiln.frontend.ImportOptions;
import dev.kiln.interp.Interpreter;
import dev.kiln.ir.Func;
import dev.kiln.ir.Node;
import dev.kiln.ir.Tensor;
import dev.kiln.onnx.ModelLoader;
import dev.kiln.onnx.OnnxImporter;
import dev.kiln.onnx.TensorProtos;
import dev.kiln.onnx.proto.OnnxProto;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * QOperator-format nodes land on the integer ops: the ONNX node tests of {@code QLinearConv},
 * {@code QLinearMatMul} (2-D; a batched {@code b} stays a composite, as do per-channel weight zero
 * points such as {@code test_convinteger_with_padding}'s), {@code ConvInteger} and {@code
 * MatMulInteger}, imported with every input
 * but the first bound as a constant (scales, zero points, weights), become a single {@code q.conv}
 * or {@code q.matmul} and reproduce the reference outputs exactly, as the composite form does.
 */
class QOperatorIntegerOpsTest {

  static final Path NODE_TESTS = Path.of("../../shared/conformance/onnx-node");

  @ParameterizedTest(name = "{0}")
  @ValueSource(
    strings = {
      "test_qlinearconv",
      "test_qlinearmatmul_2D_int8_float32",
      "test_qlinearmatmul_2D_uint8_float32",
      "test_convinteger_without_padding",
      "test_matmulinteger",
    }
  )
  void constant_parameters_give_one_integer_op(String test) {
    Path dir = NODE_TESTS.resolve(test);
    assumeTrue(
      Files.isDirectory(dir),
      "skipped: " + dir.toAbsolutePath().normalize() + " is absent"
    );
    OnnxProto.ModelProto model = ModelLoader.load(dir.resolve("model.onnx"));
    Path set = dir.resolve("test_data_set_0");
    List<OnnxProto.ValueInfoProto> inputs = model.getGraph().getInputList();
    Map<String, Tensor> constants = new HashMap<>();
    Tensor first = null;
    for (int i = 0; i < inputs.size(); i++) {
      Tensor t = TensorProtos.decode(
        ModelLoader.readTensor(set.resolve("input_" + i + ".pb")),
        set
      );
      if (i == 0) {
        first = t;
      } else {
        constants.put(inputs.get(i).getName(), t);
      }
    }
    Func f = OnnxImporter.importFile(
      dir.resolve("model.onnx"),
      new ImportOptions(Map.of(inputs.getFirst().getName(), first.shape()), Map.of(), constants)
    )
      .module()
      .funcs()
      .getFirst();
    List<String> ops = f
      .entry()
      .nodes()
      .stream()
      .map(Node::op)
      .map(op -> op.name())
      .filter(name -> !name.equals("nn.constant") && !name.equals("return"))
      .toList();
    assertEquals(1, ops.size(), test + ": " + ops);
    assertTrue(ops.getFirst().startsWith("q."), test + ": " + ops);
    Tensor want = TensorProtos.decode(ModelLoader.readTensor(set.resolve("output_0.pb")), set);
    Tensor got = Interpreter.run(f, List.of(first)).getFirst();
    assertEquals(want.type(), got.type());
    assertArrayEquals(want.toLongs(), got.toLongs(), test);
  }
}
