package dev.kiln.badinput;

import static dev.kiln.testing.OnnxModels.input;
import static dev.kiln.testing.OnnxModels.longs;
import static dev.kiln.testing.OnnxModels.model;
import static dev.kiln.testing.OnnxModels.node;
import static dev.kiln.testing.OnnxModels.output;
import static dev.kiln.testing.OnnxModels.typedInput;
import static dev.kiln.testing.OnnxModels.withGraph;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.kiln.cli.Main;
import dev.kiln.io.Npy;
import dev.kiln.ir.ElementType;
import dev.kiln.ir.Tensor;
import dev.kiln.ir.TensorType;
import dev.kiln.onnx.proto.OnnxProto;
import dev.kiln.onnx.proto.OnnxProto.AttributeProto;
import dev.kiln.onnx.proto.OnnxProto.GraphProto;
import dev.kiln.onnx.proto.OnnxProto.ModelProto;
import dev.kiln.onnx.proto.OnnxProto.NodeProto;
import dev.kiln.onnx.proto.OnnxProto.TensorProto;
import dev.kiln.testing.Cli;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A corpus of malformed models, each built here in code: Kiln must answer every one with a clear
 * one-line message and exit 2 (3 for unsupported operators), never a stack trace or a hang.
 */
class MalformedModelsTest {

  @TempDir
  Path dir;

  Cli.Result inspect(ModelProto model) throws IOException {
    return inspect(model.toByteArray());
  }

  Cli.Result inspect(byte[] bytes) throws IOException {
    Path file = dir.resolve("model.onnx");
    Files.write(file, bytes);
    Cli.Result r = Cli.run("inspect", file.toString());
    assertFalse(r.err().contains("Exception"), r.err());
    assertFalse(r.err().contains("\tat "), r.err());
    return r;
  }

  void assertBad(Cli.Result r, String message) {
    assertEquals(Main.BAD_INPUT, r.status(), r.err());
    assertEquals(1, r.err().lines().count(), "one line: " + r.err());
    assertTrue(r.err().startsWith(dir.resolve("model.onnx") + ": "), r.err());
    assertEquals(
      1,
      r
        .err()
        .split(java.util.regex.Pattern.quote(dir.resolve("model.onnx").toString()), -1)
        .length -
      1,
      "file named once: " + r.err()
    );
    assertTrue(r.err().contains(message), "expected '" + message + "' in: " + r.err());
  }

  static GraphProto.Builder relu() {
    return GraphProto.newBuilder()
      .addInput(input("x", 2, 3))
      .addNode(node("Relu", "r", List.of("x"), List.of("y")))
      .addOutput(output("y"));
  }

  @Test
  void valid_model_inspects() throws IOException {
    Cli.Result r = inspect(model(relu()));
    assertEquals(0, r.status(), r.err());
    assertTrue(r.out().contains("nn.relu"), r.out());
  }

  @Test
  void shape_of_a_dynamic_input_names_the_input_to_bind() throws IOException {
    OnnxProto.TensorShapeProto.Builder dims = OnnxProto.TensorShapeProto.newBuilder()
      .addDim(OnnxProto.TensorShapeProto.Dimension.newBuilder().setDimParam("batch"))
      .addDim(OnnxProto.TensorShapeProto.Dimension.newBuilder().setDimValue(3));
    OnnxProto.ValueInfoProto x = OnnxProto.ValueInfoProto.newBuilder()
      .setName("x")
      .setType(
        OnnxProto.TypeProto.newBuilder().setTensorType(
          OnnxProto.TypeProto.Tensor.newBuilder()
            .setElemType(TensorProto.DataType.FLOAT_VALUE)
            .setShape(dims)
        )
      )
      .build();
    GraphProto.Builder g = GraphProto.newBuilder()
      .addInput(x)
      .addNode(node("Shape", "s", List.of("x"), List.of("s")))
      .addOutput(output("s"));
    assertBad(
      inspect(model(g)),
      "node \"s\" (Shape): needs a static input shape, got tensor<\"batch\"x3xf32>; bind the " +
      "dynamic inputs with --input NAME=DIMS, e.g. --input x=... (x: tensor<\"batch\"x3xf32>)"
    );
    Path file = dir.resolve("model.onnx");
    assertEquals(0, Cli.run("inspect", file.toString(), "--input", "x=2x3").status());
  }

  @Test
  void not_protobuf() throws IOException {
    assertBad(
      inspect("this is not a model\n\u00ff\u00fe".getBytes(StandardCharsets.ISO_8859_1)),
      "not a valid ONNX model"
    );
  }

  @Test
  void truncated() throws IOException {
    byte[] full = model(relu()).toByteArray();
    assertBad(inspect(Arrays.copyOf(full, full.length / 2)), "not a valid ONNX model");
  }

  @Test
  void wrong_ir_version() throws IOException {
    assertBad(
      inspect(model(relu()).toBuilder().setIrVersion(99).build()),
      "IR version 99 is not supported"
    );
  }

  @Test
  void wrong_opset() throws IOException {
    assertBad(inspect(model(relu(), 99)), "opset 99 is not supported");
  }

  @Test
  void cyclic_graph() throws IOException {
    GraphProto.Builder g = GraphProto.newBuilder()
      .addInput(input("x", 2))
      .addNode(node("Add", "a", List.of("x", "b"), List.of("a")))
      .addNode(node("Relu", "b", List.of("a"), List.of("b")))
      .addOutput(output("b"));
    assertBad(inspect(model(g)), "the graph has a cycle through this node");
  }

  @Test
  void undefined_input_name() throws IOException {
    GraphProto.Builder g = GraphProto.newBuilder()
      .addInput(input("x", 2))
      .addNode(node("Relu", "r", List.of("nope"), List.of("y")))
      .addOutput(output("y"));
    assertBad(
      inspect(model(g)),
      "node \"r\" (Relu): input 'nope' is not produced by any node, initializer or graph input"
    );
  }

  @Test
  void duplicate_output_names() throws IOException {
    GraphProto.Builder g = GraphProto.newBuilder()
      .addInput(input("x", 2))
      .addNode(node("Relu", "r1", List.of("x"), List.of("y")))
      .addNode(node("Relu", "r2", List.of("x"), List.of("y")))
      .addOutput(output("y"));
    assertBad(inspect(model(g)), "node \"r2\" (Relu): output 'y' is already defined");
  }

  @Test
  void raw_data_size_mismatch() throws IOException {
    GraphProto.Builder g = relu().addInitializer(
      TensorProto.newBuilder()
        .setName("w")
        .setDataType(TensorProto.DataType.FLOAT_VALUE)
        .addDims(2)
        .addDims(2)
        .setRawData(ByteString.copyFrom(new byte[3]))
    );
    assertBad(inspect(model(g)), "initializer 'w'");
  }

  @Test
  void negative_dimension() throws IOException {
    GraphProto.Builder g = GraphProto.newBuilder()
      .addInput(input("x", 2, -3))
      .addNode(node("Relu", "r", List.of("x"), List.of("y")))
      .addOutput(output("y"));
    assertBad(inspect(model(g)), "graph input 'x' has negative dimension -3");
  }

  @Test
  void overflowing_dimensions() throws IOException {
    GraphProto.Builder g = GraphProto.newBuilder()
      .addInput(input("x", 1L << 40, 1L << 40))
      .addNode(node("Relu", "r", List.of("x"), List.of("y")))
      .addOutput(output("y"));
    assertBad(inspect(model(g)), "overflows 64 bits");
  }

  @Test
  void external_data_outside_the_model_directory() throws IOException {
    Files.write(dir.getParent().resolve("secret.bin"), new byte[16]);
    GraphProto.Builder g = relu().addInitializer(external("w", "../secret.bin"));
    assertBad(inspect(model(g)), "initializer 'w'");
  }

  @Test
  void external_data_through_a_symlink() throws IOException {
    Path target = Files.createTempFile("kiln-secret", ".bin");
    Files.write(target, new byte[16]);
    Files.createSymbolicLink(dir.resolve("w.bin"), target);
    GraphProto.Builder g = relu().addInitializer(external("w", "w.bin"));
    assertBad(inspect(model(g)), "initializer 'w'");
  }

  static TensorProto external(String name, String location) {
    return TensorProto.newBuilder()
      .setName(name)
      .setDataType(TensorProto.DataType.FLOAT_VALUE)
      .addDims(4)
      .setDataLocation(TensorProto.DataLocation.EXTERNAL)
      .addExternalData(
        OnnxProto.StringStringEntryProto.newBuilder().setKey("location").setValue(location)
      )
      .build();
  }

  @Test
  void unknown_ops_are_all_listed_with_exit_3() throws IOException {
    GraphProto.Builder g = GraphProto.newBuilder()
      .addInput(input("x", 2))
      .addNode(node("Frobnicate", "f1", List.of("x"), List.of("a")))
      .addNode(node("Relu", "r", List.of("a"), List.of("b")))
      .addNode(node("Twiddle", "t1", List.of("b"), List.of("y")))
      .addOutput(output("y"));
    Cli.Result r = inspect(model(g));
    assertEquals(Main.UNSUPPORTED, r.status(), r.err());
    assertTrue(r.out().contains("node \"f1\" (Frobnicate): unsupported operator"), r.out());
    assertTrue(r.out().contains("node \"t1\" (Twiddle): unsupported operator"), r.out());
  }

  @Test
  void wrong_attribute_type() throws IOException {
    GraphProto.Builder g = GraphProto.newBuilder()
      .addInput(input("x", 2, 3))
      .addNode(
        node("LeakyRelu", "l", List.of("x"), List.of("y"))
          .toBuilder()
          .addAttribute(
            AttributeProto.newBuilder()
              .setName("alpha")
              .setType(AttributeProto.AttributeType.STRING)
              .setS(ByteString.copyFromUtf8("big"))
          )
      )
      .addOutput(output("y"));
    assertBad(
      inspect(model(g)),
      "node \"l\" (LeakyRelu): attribute 'alpha' must be a float, got a string"
    );
  }

  @Test
  void recursive_function_nests_too_deep() throws IOException {
    OnnxProto.FunctionProto f = OnnxProto.FunctionProto.newBuilder()
      .setName("Loopy")
      .setDomain("custom")
      .addInput("a")
      .addOutput("b")
      .addNode(node("Loopy", "inner", List.of("a"), List.of("b")).toBuilder().setDomain("custom"))
      .addOpsetImport(OnnxProto.OperatorSetIdProto.newBuilder().setDomain("custom").setVersion(1))
      .build();
    GraphProto.Builder g = GraphProto.newBuilder()
      .addInput(input("x", 2))
      .addNode(node("Loopy", "call", List.of("x"), List.of("y")).toBuilder().setDomain("custom"))
      .addOutput(output("y"));
    ModelProto m = model(g)
      .toBuilder()
      .addOpsetImport(OnnxProto.OperatorSetIdProto.newBuilder().setDomain("custom").setVersion(1))
      .addFunctions(f)
      .build();
    assertBad(inspect(m), "nest deeper than 32");
  }

  static GraphProto.Builder nestedIfs(int depth) {
    GraphProto.Builder inner = GraphProto.newBuilder()
      .setName("level" + depth)
      .addNode(node("Identity", "leaf", List.of("x"), List.of("y" + depth)))
      .addOutput(output("y" + depth));
    for (int level = depth - 1; level >= 0; level--) {
      GraphProto.Builder other = GraphProto.newBuilder()
        .setName("else" + level)
        .addNode(node("Identity", "e" + level, List.of("x"), List.of("e" + level)))
        .addOutput(output("e" + level));
      NodeProto branch = withGraph(
        withGraph(
          node("If", "if" + level, List.of("c"), List.of("y" + level)),
          "then_branch",
          inner.build()
        ),
        "else_branch",
        other.build()
      );
      inner = GraphProto.newBuilder()
        .setName("level" + level)
        .addNode(branch)
        .addOutput(output("y" + level));
    }
    return inner.addInput(input("x", 2)).addInput(typedInput("c", TensorProto.DataType.BOOL_VALUE));
  }

  @Test
  void if_nesting_at_32_is_accepted() throws IOException {
    Cli.Result r = inspect(model(nestedIfs(32)));
    assertEquals(0, r.status(), r.err());
  }

  @Test
  void if_nesting_deeper_than_32() throws IOException {
    assertBad(inspect(model(nestedIfs(33))), "nest deeper than 32");
  }

  @Test
  void if_nesting_beyond_the_protobuf_limit() throws IOException {
    assertBad(inspect(model(nestedIfs(60))), "subgraphs may nest at most 32 deep");
  }

  static GraphProto.Builder bomb(String op, List<String> inputs, TensorProto... constants) {
    GraphProto.Builder g = GraphProto.newBuilder()
      .addNode(node(op, "bomb", inputs, List.of("y")))
      .addOutput(output("y"));
    for (TensorProto t : constants) {
      g.addInitializer(t);
    }
    return g;
  }

  @Test
  void expand_bomb_is_left_unfolded() throws IOException {
    Cli.Result r = inspect(
      model(
        bomb(
          "Expand",
          List.of("v", "s"),
          longs("v", new long[0], 7),
          longs("s", new long[] { 1 }, 1L << 40)
        )
      )
    );
    assertEquals(0, r.status(), r.err());
    assertTrue(r.out().contains("1099511627776"), r.out());
  }

  @Test
  void tile_bomb_is_left_unfolded() throws IOException {
    Cli.Result r = inspect(
      model(
        bomb(
          "Tile",
          List.of("v", "n"),
          longs("v", new long[] { 1 }, 7),
          longs("n", new long[] { 1 }, 1L << 24)
        )
      )
    );
    assertEquals(0, r.status(), r.err());
    assertTrue(r.out().contains("16777216"), r.out());
  }

  @Test
  void range_bomb_is_left_unfolded() throws IOException {
    Cli.Result r = inspect(
      model(
        bomb(
          "Range",
          List.of("a", "b", "d"),
          longs("a", new long[0], 0),
          longs("b", new long[0], 1L << 50),
          longs("d", new long[0], 1)
        ),
        11
      )
    );
    assertEquals(0, r.status(), r.err());
    assertTrue(r.out().contains("1125899906842624"), r.out());
  }

  @Test
  void interpreter_refuses_a_bomb_without_allocating_it() throws IOException {
    GraphProto.Builder g = bomb(
      "Expand",
      List.of("x", "s"),
      longs("s", new long[] { 1 }, 1L << 40)
    ).addInput(input("x", 1));
    Path file = dir.resolve("model.onnx");
    Files.write(file, model(g).toByteArray());
    Path x = dir.resolve("x.npy");
    Npy.write(x, Tensor.ofDoubles(TensorType.of(ElementType.F32, 1), 1.0));
    Path out = dir.resolve("out");
    Cli.Result r = Cli.run(
      "run",
      file.toString(),
      "--input",
      "x=" + x,
      "--output-dir",
      out.toString()
    );
    assertEquals(Main.BAD_INPUT, r.status(), r.err());
    assertEquals(1, r.err().lines().count(), r.err());
    assertTrue(
      r.err().contains("the interpreter holds at most 2147483639 bytes per tensor"),
      r.err()
    );
    assertFalse(Files.exists(out.resolve("output_0.npy")));
  }

  @Test
  void input_binding_for_a_name_the_model_lacks() throws IOException {
    Path file = dir.resolve("model.onnx");
    Files.write(file, model(relu()).toByteArray());
    Cli.Result r = Cli.run("inspect", file.toString(), "--input", "nope=2x3");
    assertBad(r, "--input names 'nope', which the model has no graph input for (inputs: x)");
  }

  @Test
  void required_input_left_empty() throws IOException {
    GraphProto.Builder g = GraphProto.newBuilder()
      .addInput(input("x", 2, 3))
      .addNode(node("MatMul", "mm", List.of("x", ""), List.of("y")))
      .addOutput(output("y"));
    assertBad(
      inspect(model(g)),
      "node \"mm\" (MatMul): a required input is absent (an empty name, or too few inputs): " +
      "operand 1 of nn.matmul"
    );
  }
}
