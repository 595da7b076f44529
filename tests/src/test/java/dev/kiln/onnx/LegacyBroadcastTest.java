package dev.kiln.onnx;

import static dev.kiln.testing.OnnxModels.floats;
import static dev.kiln.testing.OnnxModels.input;
import static dev.kiln.testing.OnnxModels.model;
import static dev.kiln.testing.OnnxModels.node;
import static dev.kiln.testing.OnnxModels.output;
import static dev.kiln.testing.OnnxModels.withInt;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.frontend.ImportOptions;
import dev.kiln.interp.Interpreter;
import dev.kiln.ir.DiagnosticException;
import dev.kiln.ir.ElementType;
import dev.kiln.ir.Tensor;
import dev.kiln.ir.TensorType;
import dev.kiln.onnx.proto.OnnxProto.GraphProto;
import dev.kiln.onnx.proto.OnnxProto.ModelProto;
import dev.kiln.onnx.proto.OnnxProto.NodeProto;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Models before opset 7 broadcast as their opset did: PRelu's one-dimensional slope is per channel
 * (axis 1), and binary ops with {@code broadcast = 1} and an {@code axis} line {@code B} up with
 * {@code A} from that axis on; without {@code axis} (or from opset 7 on) broadcasting is NumPy's.
 */
class LegacyBroadcastTest {

  private static Tensor run(ModelProto m, Tensor x) {
    return Interpreter.run(
      OnnxImporter.importModel(m, Path.of("legacy.onnx"), ImportOptions.defaults())
        .module()
        .funcs()
        .getFirst(),
      List.of(x)
    ).getFirst();
  }

  private static Tensor ramp(long... dims) {
    int n = 1;
    for (long d : dims) {
      n *= (int) d;
    }
    double[] v = new double[n];
    for (int i = 0; i < n; i++) {
      v[i] = i - n / 2.0;
    }
    return Tensor.ofDoubles(TensorType.of(ElementType.F32, dims), v);
  }

  @Test
  void prelu_before_opset_7_has_a_slope_per_channel() {
    GraphProto.Builder g = GraphProto.newBuilder()
      .addInput(input("x", 1, 3, 2, 2))
      .addInitializer(floats("slope", new long[] { 3 }, 0.5f, 2f, -1f))
      .addNode(node("PRelu", "prelu", List.of("x", "slope"), List.of("y")))
      .addOutput(output("y"));
    Tensor x = ramp(1, 3, 2, 2);
    Tensor y = run(model(g, 6), x);
    double[] slope = { 0.5, 2, -1 };
    for (int i = 0; i < 12; i++) {
      double v = x.getDouble(i);
      assertEquals(v < 0 ? slope[i / 4] * v : v, y.getDouble(i), "element " + i);
    }
  }

  private static ModelProto add(long axisOrMinus, int opset, long... bDims) {
    NodeProto n = withInt(node("Add", "add", List.of("a", "b"), List.of("y")), "broadcast", 1);
    if (axisOrMinus >= -10) {
      n = withInt(n, "axis", axisOrMinus);
    }
    int count = 1;
    for (long d : bDims) {
      count *= (int) d;
    }
    float[] b = new float[count];
    for (int i = 0; i < count; i++) {
      b[i] = 100 * (i + 1);
    }
    return model(
      GraphProto.newBuilder()
        .addInput(input("a", 2, 3, 4))
        .addInitializer(floats("b", bDims, b))
        .addNode(n)
        .addOutput(output("y")),
      opset
    );
  }

  @Test
  void add_with_broadcast_and_axis_lines_b_up_from_the_axis() {
    Tensor a = ramp(2, 3, 4);
    Tensor y = run(add(1, 6, 3), a);
    for (int i = 0; i < 24; i++) {
      assertEquals(a.getDouble(i) + 100 * (((i / 4) % 3) + 1), y.getDouble(i), "element " + i);
    }
    Tensor z = run(add(-2, 6, 3, 4), a);
    for (int i = 0; i < 24; i++) {
      assertEquals(a.getDouble(i) + 100 * ((i % 12) + 1), z.getDouble(i), "element " + i);
    }
  }

  @Test
  void add_with_broadcast_and_no_axis_aligns_the_trailing_dims() {
    Tensor a = ramp(2, 3, 4);
    Tensor y = run(add(-100, 6, 4), a);
    for (int i = 0; i < 24; i++) {
      assertEquals(a.getDouble(i) + 100 * ((i % 4) + 1), y.getDouble(i), "element " + i);
    }
  }

  @Test
  void an_axis_that_puts_b_outside_a_is_one_line_naming_the_node() {
    DiagnosticException e = assertThrows(DiagnosticException.class, () ->
      run(add(2, 6, 3, 4), ramp(2, 3, 4))
    );
    assertTrue(
      e.getMessage().contains("\"add\"") && e.getMessage().contains("axis 2"),
      e.getMessage()
    );
    assertEquals(1, e.getMessage().strip().lines().count(), e.getMessage());
  }
}
