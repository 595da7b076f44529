package dev.kiln.tf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.kiln.ir.ElementType;
import dev.kiln.ir.Tensor;
import dev.kiln.ir.TensorType;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Function library calls inlined into the graph, written as protobuf text. */
class TfFunctionsTest {

  /**
   * {@code scale_add(x, y) = (3x + y, 3x)}; {@code outer(a) = cast(scale_add(a, a).out, DstT)},
   * with {@code DstT} an attribute placeholder the call sets.
   */
  static final String LIBRARY = """
    library {
      function {
        signature {
          name: "scale_add"
          input_arg { name: "x" type: DT_FLOAT }
          input_arg { name: "y" type: DT_FLOAT }
          output_arg { name: "out" type: DT_FLOAT }
          output_arg { name: "tripled" type: DT_FLOAT }
        }
        node_def {
          name: "three" op: "Const"
          attr { key: "dtype" value { type: DT_FLOAT } }
          attr { key: "value" value { tensor { dtype: DT_FLOAT tensor_shape {} float_val: 3 } } }
        }
        node_def { name: "mul" op: "Mul" input: "x" input: "three:output:0" }
        node_def { name: "add" op: "AddV2" input: "mul:z:0" input: "y" }
        ret { key: "out" value: "add:z:0" }
        ret { key: "tripled" value: "mul:z:0" }
      }
      function {
        signature {
          name: "outer"
          input_arg { name: "a" type: DT_FLOAT }
          output_arg { name: "r" type: DT_INT32 }
          attr { name: "DstT" type: "type" }
        }
        node_def { name: "inner" op: "scale_add" input: "a" input: "a" }
        node_def {
          name: "cast" op: "Cast" input: "inner:out:0"
          attr { key: "DstT" value { placeholder: "DstT" } }
        }
        ret { key: "r" value: "cast:y:0" }
      }
    }
    """;

  static final String GRAPH =
    TfControlFlowTest.placeholder("x", "DT_FLOAT", 3) +
    TfControlFlowTest.placeholder("y", "DT_FLOAT", 3) +
    TfControlFlowTest.node("call", "scale_add", List.of("x", "y")) +
    TfControlFlowTest.node(
      "pcall",
      "StatefulPartitionedCall",
      List.of("y", "x"),
      TfControlFlowTest.attr("f", "func { name: \"scale_add\" }")
    ) +
    TfControlFlowTest.node(
      "nested",
      "outer",
      List.of("x"),
      TfControlFlowTest.attr("DstT", "type: DT_INT32")
    ) +
    LIBRARY;

  static final Tensor X = Tensor.ofDoubles(TensorType.of(ElementType.F32, 3), 1, -2, 0.5);
  static final Tensor Y = Tensor.ofDoubles(TensorType.of(ElementType.F32, 3), 10, 20, 30);

  @Test
  void direct_and_partitioned_calls_are_inlined() throws Exception {
    List<Tensor> out = TfControlFlowTest.run(
      GRAPH,
      List.of("call", "call:1", "pcall:0", "nested"),
      X,
      Y
    );
    assertArrayEquals(new double[] { 13, 14, 31.5 }, out.get(0).toDoubles());
    assertArrayEquals(new double[] { 3, -6, 1.5 }, out.get(1).toDoubles());
    assertArrayEquals(new double[] { 31, 58, 90.5 }, out.get(2).toDoubles());
    assertEquals(ElementType.I32, out.get(3).type().elementType());
    assertArrayEquals(new long[] { 4, -8, 2 }, out.get(3).toLongs());
  }

  @Test
  void a_missing_attribute_placeholder_is_an_error() {
    String g = GRAPH.replace(TfControlFlowTest.attr("DstT", "type: DT_INT32"), "");
    TfControlFlowTest.assertError(
      g,
      List.of("nested"),
      "needs attribute 'DstT', which the call does not set"
    );
  }

  @Test
  void a_recursive_function_is_an_error() {
    String g =
      TfControlFlowTest.placeholder("x", "DT_FLOAT", 3) +
      TfControlFlowTest.node("call", "loop", List.of("x")) +
      """
        library {
          function {
            signature {
              name: "loop"
              input_arg { name: "a" type: DT_FLOAT }
              output_arg { name: "b" type: DT_FLOAT }
            }
            node_def { name: "again" op: "loop" input: "a" }
            ret { key: "b" value: "again:b:0" }
          }
        }
        """;
    TfControlFlowTest.assertError(g, List.of("call"), "function 'loop' calls itself");
  }

  @Test
  void a_reference_to_no_node_of_the_function_is_an_error() {
    String g = GRAPH.replace("mul:z:0\" input: \"y\"", "nope:z:0\" input: \"y\"");
    TfControlFlowTest.assertError(g, List.of("call"), "refers to 'nope:z:0'");
  }
}
