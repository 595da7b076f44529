package dev.kiln.tf;

import static dev.kiln.tf.TfImporterTest.floats;
import static dev.kiln.tf.TfImporterTest.node;
import static dev.kiln.tf.TfImporterTest.placeholder;
import static dev.kiln.tf.TfImporterTest.shape;
import static dev.kiln.tf.TfImporterTest.str;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.frontend.ImportOptions;
import dev.kiln.frontend.ImportedModel;
import dev.kiln.interp.Interpreter;
import dev.kiln.ir.ElementType;
import dev.kiln.ir.Node;
import dev.kiln.ir.Shape;
import dev.kiln.ir.Tensor;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.op.QConv;
import dev.kiln.ir.op.QMatMul;
import dev.kiln.tf.proto.TfProto.AttrValue;
import dev.kiln.tf.proto.TfProto.DataType;
import dev.kiln.tf.proto.TfProto.GraphDef;
import dev.kiln.tf.proto.TfProto.NodeDef;
import dev.kiln.tf.proto.TfProto.TensorProto;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * TensorFlow's eight-bit products on the integer ops: {@code QuantizedConv2D} and {@code
 * QuantizedMatMul} give TensorFlow's exact 32-bit accumulators ({@code sum((x - zx) * (w - zw))}
 * with TensorFlow's zero codes, padded taps contributing nothing) whether the input's range is a
 * constant or only known at run time, and a {@code Requantize} with frozen ranges becomes the
 * product's own requantization, within one code of TensorFlow's two-stage fixed-point rounding (most
 * codes equal).
 */
class TfQuantizedTest {

  static final float X_MIN = -1.3f;
  static final float X_MAX = 2.1f;
  static final float W_MIN = -0.6f;
  static final float W_MAX = 0.45f;

  static NodeDef codes(String name, long[] dims, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    TensorProto.Builder t = TensorProto.newBuilder()
      .setDtype(DataType.DT_QUINT8)
      .setTensorShape(shape(dims));
    long n = 1;
    for (long d : dims) {
      n *= d;
    }
    for (long i = 0; i < n; i++) {
      t.addIntVal(r.nextInt(256));
    }
    return node("Const", name)
      .putAttr("dtype", type(DataType.DT_QUINT8))
      .putAttr("value", AttrValue.newBuilder().setTensor(t).build())
      .build();
  }

  static AttrValue type(DataType t) {
    return AttrValue.newBuilder().setType(t).build();
  }

  static Tensor randomCodes(TensorType t, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    Tensor.Builder b = new Tensor.Builder(t);
    for (long k = 0; k < b.size(); k++) {
      b.setDouble(k, r.nextInt(256));
    }
    return b.build();
  }

  /** TensorFlow's {@code FloatToQuantizedUnclamped(0, min, max)} for {@code quint8}. */
  static long zeroCode(float min, float max) {
    double range = (max - min) * (256 / 255.0);
    double v = min * (256 / range);
    return -(long) (Math.signum(v) * Math.floor(Math.abs(v) + 0.5));
  }

  static ImportedModel load(GraphDef g, List<String> outputs, Map<String, Shape> shapes) {
    Map<String, Shape> bound = new HashMap<>(shapes);
    for (NodeDef n : g.getNodeList()) {
      if (
        n.getOp().equals("Placeholder") && n.getAttrOrThrow("dtype").getType() == DataType.DT_FLOAT
      ) {
        bound.putIfAbsent(n.getName(), Shape.SCALAR);
      }
    }
    return TfImporter.importGraph(
      g,
      Path.of("test.pb"),
      new ImportOptions(bound, Map.of(), Map.of()),
      outputs
    );
  }

  static List<Node> nodes(ImportedModel m) {
    return m.module().funcs().getFirst().entry().nodes();
  }

  static List<String> opNames(ImportedModel m) {
    return nodes(m)
      .stream()
      .map(n -> n.op().name())
      .toList();
  }

  static Tensor run(ImportedModel m, Tensor... args) {
    return Interpreter.run(m.module().funcs().getFirst(), List.of(args)).getFirst();
  }

  /** Runs with the code tensor and, when the model takes them, the input range's two ends. */
  static Tensor run(ImportedModel m, Tensor codes, float min, float max) {
    List<Tensor> args = new ArrayList<>();
    for (String name : m.inputNames()) {
      args.add(name.endsWith("_min") ? scalar(min) : name.endsWith("_max") ? scalar(max) : codes);
    }
    return Interpreter.run(m.module().funcs().getFirst(), args).getFirst();
  }

  /** x [1, 5, 4, 2] codes, filter [3, 3, 2, 3] codes, SAME, stride 1, ranges as given. */
  static GraphDef.Builder conv(boolean runtimeRange) {
    GraphDef.Builder g = GraphDef.newBuilder()
      .addNode(placeholder("x", DataType.DT_QUINT8, 1, 5, 4, 2))
      .addNode(codes("w", new long[] { 3, 3, 2, 3 }, 7))
      .addNode(floats("w_min", new long[] {}, W_MIN))
      .addNode(floats("w_max", new long[] {}, W_MAX));
    if (runtimeRange) {
      g
        .addNode(placeholder("x_min", DataType.DT_FLOAT))
        .addNode(placeholder("x_max", DataType.DT_FLOAT));
    } else {
      g
        .addNode(floats("x_min", new long[] {}, X_MIN))
        .addNode(floats("x_max", new long[] {}, X_MAX));
    }
    return g.addNode(
      node("QuantizedConv2D", "conv", "x", "w", "x_min", "x_max", "w_min", "w_max")
        .putAttr("Tinput", type(DataType.DT_QUINT8))
        .putAttr("Tfilter", type(DataType.DT_QUINT8))
        .putAttr("out_type", type(DataType.DT_QINT32))
        .putAttr("strides", TfImporterTest.ints(1, 1, 1, 1))
        .putAttr("padding", str("SAME"))
    );
  }

  /** The accumulators of {@link #conv} computed directly from the codes. */
  static long[] referenceConv(Tensor x, Tensor w) {
    long zx = zeroCode(X_MIN, X_MAX);
    long zw = zeroCode(W_MIN, W_MAX);
    long[] out = new long[5 * 4 * 3];
    for (int i = 0; i < 5; i++) {
      for (int j = 0; j < 4; j++) {
        for (int m = 0; m < 3; m++) {
          long acc = 0;
          for (int ki = 0; ki < 3; ki++) {
            for (int kj = 0; kj < 3; kj++) {
              int y = i + ki - 1;
              int z = j + kj - 1;
              if (y < 0 || y >= 5 || z < 0 || z >= 4) {
                continue;
              }
              for (int ch = 0; ch < 2; ch++) {
                long a = x.getLong(((long) y * 4 + z) * 2 + ch) - zx;
                long b = w.getLong(((ki * 3L + kj) * 2 + ch) * 3 + m) - zw;
                acc += a * b;
              }
            }
          }
          out[(i * 4 + j) * 3 + m] = acc;
        }
      }
    }
    return out;
  }

  static Tensor weights(GraphDef g) {
    for (NodeDef n : g.getNodeList()) {
      if (n.getName().equals("w")) {
        return TfTensors.decode(n.getAttrOrThrow("value").getTensor());
      }
    }
    throw new AssertionError("no w");
  }

  static Tensor scalar(float v) {
    return Tensor.scalar(ElementType.F32, v);
  }

  @Test
  void quantized_conv_with_constant_ranges_is_q_conv_with_tensorflows_accumulators() {
    GraphDef g = conv(false).build();
    ImportedModel m = load(g, List.of("conv"), Map.of());
    assertTrue(opNames(m).contains("q.conv"), opNames(m).toString());
    assertTrue(!opNames(m).contains("nn.conv"), opNames(m).toString());
    Tensor x = randomCodes(TensorType.of(ElementType.U8, 1, 5, 4, 2), 3);
    Tensor acc = run(m, x);
    assertEquals(ElementType.I32, acc.type().elementType());
    assertArrayEquals(referenceConv(x, weights(g)), acc.toLongs());
  }

  @Test
  void quantized_conv_with_a_run_time_input_range_gives_the_same_accumulators() {
    GraphDef g = conv(true).build();
    ImportedModel m = load(g, List.of("conv"), Map.of());
    assertTrue(opNames(m).contains("q.conv"), opNames(m).toString());
    Tensor x = randomCodes(TensorType.of(ElementType.U8, 1, 5, 4, 2), 3);
    Tensor acc = run(m, x, X_MIN, X_MAX);
    assertArrayEquals(referenceConv(x, weights(g)), acc.toLongs());
  }

  static GraphDef matMul(boolean runtimeRange) {
    GraphDef.Builder g = GraphDef.newBuilder()
      .addNode(placeholder("a", DataType.DT_QUINT8, 3, 6))
      .addNode(codes("b", new long[] { 4, 6 }, 11))
      .addNode(floats("b_min", new long[] {}, W_MIN))
      .addNode(floats("b_max", new long[] {}, W_MAX));
    if (runtimeRange) {
      g
        .addNode(placeholder("a_min", DataType.DT_FLOAT))
        .addNode(placeholder("a_max", DataType.DT_FLOAT));
    } else {
      g
        .addNode(floats("a_min", new long[] {}, X_MIN))
        .addNode(floats("a_max", new long[] {}, X_MAX));
    }
    return g
      .addNode(
        node("QuantizedMatMul", "mm", "a", "b", "a_min", "a_max", "b_min", "b_max")
          .putAttr("T1", type(DataType.DT_QUINT8))
          .putAttr("T2", type(DataType.DT_QUINT8))
          .putAttr("Toutput", type(DataType.DT_QINT32))
          .putAttr("transpose_b", AttrValue.newBuilder().setB(true).build())
      )
      .build();
  }

  @Test
  void quantized_matmul_is_q_matmul_for_constant_and_run_time_input_ranges() {
    Tensor a = randomCodes(TensorType.of(ElementType.U8, 3, 6), 5);
    long za = zeroCode(X_MIN, X_MAX);
    long zb = zeroCode(W_MIN, W_MAX);
    long[] want = new long[12];
    Tensor b = null;
    for (boolean runtime : new boolean[] { false, true }) {
      GraphDef g = matMul(runtime);
      b = weightsNamed(g, "b");
      for (int i = 0; i < 3; i++) {
        for (int j = 0; j < 4; j++) {
          long acc = 0;
          for (int k = 0; k < 6; k++) {
            acc += (a.getLong(i * 6L + k) - za) * (b.getLong(j * 6L + k) - zb);
          }
          want[i * 4 + j] = acc;
        }
      }
      ImportedModel m = load(g, List.of("mm"), Map.of());
      assertTrue(opNames(m).contains("q.matmul"), opNames(m).toString());
      assertTrue(!opNames(m).contains("nn.matmul"), opNames(m).toString());
      assertEquals(
        runtime ? 3 : 2,
        nodes(m)
          .stream()
          .filter(n -> n.op() instanceof QMatMul)
          .findFirst()
          .orElseThrow()
          .numOperands(),
        "a run-time zero code is corrected through the product's bias"
      );
      Tensor got = run(m, a, X_MIN, X_MAX);
      assertArrayEquals(want, got.toLongs(), "run-time range: " + runtime);
    }
  }

  static Tensor weightsNamed(GraphDef g, String name) {
    for (NodeDef n : g.getNodeList()) {
      if (n.getName().equals(name)) {
        return TfTensors.decode(n.getAttrOrThrow("value").getTensor());
      }
    }
    throw new AssertionError("no " + name);
  }

  /** TensorFlow's {@code RequantizeManyInNewRange<qint32, quint8>} fixed-point arithmetic. */
  static long tensorflowRequantize(long acc, float inMin, float inMax, float outMin, float outMax) {
    float inRange = inMax - inMin;
    float outRange = outMax - outMin;
    double recip = 255.0 / outRange;
    double rezero = (inMin + inMax) / 2.0;
    long rangeScale = (long) ((255.0 * (1 << 16) * inRange) / outRange);
    long inputOffset = (long) (rezero * recip * (1 << 16));
    long outputOffset = (long) (((1 << 16) * (outMin * 255.0)) / outRange);
    long fp = ((acc * rangeScale) >> 32) + inputOffset;
    long q = (fp - outputOffset + (1 << 15)) >> 16;
    return Math.clamp(q, 0, 255);
  }

  @Test
  void requantize_with_frozen_ranges_becomes_the_convolutions_own_requantization() {
    float outMin = -3.5f;
    float outMax = 4.25f;
    GraphDef g = conv(false)
      .addNode(floats("out_min", new long[] {}, outMin))
      .addNode(floats("out_max", new long[] {}, outMax))
      .addNode(
        node("Requantize", "rq", "conv", "conv:1", "conv:2", "out_min", "out_max")
          .putAttr("Tinput", type(DataType.DT_QINT32))
          .putAttr("out_type", type(DataType.DT_QUINT8))
      )
      .build();
    ImportedModel acc = load(g, List.of("conv", "conv:1", "conv:2"), Map.of());
    ImportedModel m = load(g, List.of("rq"), Map.of());
    List<Node> convs = nodes(m)
      .stream()
      .filter(n -> n.op() instanceof QConv q && q.outputType() == ElementType.U8)
      .toList();
    assertEquals(1, convs.size(), opNames(m).toString());
    Tensor x = randomCodes(TensorType.of(ElementType.U8, 1, 5, 4, 2), 3);
    List<Tensor> a = Interpreter.run(acc.module().funcs().getFirst(), List.of(x));
    float inMin = (float) a.get(1).getDouble(0);
    float inMax = (float) a.get(2).getDouble(0);
    Tensor got = run(m, x);
    assertEquals(ElementType.U8, got.type().elementType());
    int exact = 0;
    for (long i = 0; i < got.size(); i++) {
      long want = tensorflowRequantize(a.getFirst().getLong(i), inMin, inMax, outMin, outMax);
      long diff = Math.abs(got.getLong(i) - want);
      assertTrue(diff <= 1, "element " + i + ": " + got.getLong(i) + " vs TensorFlow's " + want);
      exact += diff == 0 ? 1 : 0;
    }
    assertTrue(exact >= (got.size() * 3) / 4, exact + " of " + got.size() + " codes equal");
  }

  @Test
  void requantize_with_a_float_producer_keeps_the_float_emulation() {
    GraphDef g = conv(true)
      .addNode(floats("out_min", new long[] {}, -3.5))
      .addNode(floats("out_max", new long[] {}, 4.25))
      .addNode(
        node("Requantize", "rq", "conv", "conv:1", "conv:2", "out_min", "out_max")
          .putAttr("Tinput", type(DataType.DT_QINT32))
          .putAttr("out_type", type(DataType.DT_QUINT8))
      )
      .build();
    ImportedModel m = load(g, List.of("rq"), Map.of());
    assertTrue(
      nodes(m)
        .stream()
        .noneMatch(n -> n.op() instanceof QConv q && q.outputType() != ElementType.I32),
      opNames(m).toString()
    );
  }

  @Test
  void quantized_relu_and_max_pool_work_on_the_codes() {
    GraphDef g = GraphDef.newBuilder()
      .addNode(placeholder("x", DataType.DT_QUINT8, 1, 4, 4, 1))
      .addNode(floats("x_min", new long[] {}, X_MIN))
      .addNode(floats("x_max", new long[] {}, X_MAX))
      .addNode(
        node("QuantizedRelu", "relu", "x", "x_min", "x_max")
          .putAttr("Tinput", type(DataType.DT_QUINT8))
          .putAttr("out_type", type(DataType.DT_QUINT8))
      )
      .addNode(
        node("QuantizedMaxPool", "pool", "relu", "relu:1", "relu:2")
          .putAttr("T", type(DataType.DT_QUINT8))
          .putAttr("ksize", TfImporterTest.ints(1, 2, 2, 1))
          .putAttr("strides", TfImporterTest.ints(1, 2, 2, 1))
          .putAttr("padding", str("VALID"))
      )
      .build();
    ImportedModel m = load(g, List.of("pool"), Map.of());
    assertTrue(
      opNames(m)
        .stream()
        .noneMatch(n -> n.equals("nn.cast") || n.equals("nn.floor")),
      opNames(m).toString()
    );
    Tensor x = randomCodes(TensorType.of(ElementType.U8, 1, 4, 4, 1), 9);
    long zero = zeroCode(X_MIN, X_MAX);
    List<Long> want = new ArrayList<>();
    for (int i = 0; i < 2; i++) {
      for (int j = 0; j < 2; j++) {
        long best = 0;
        for (int di = 0; di < 2; di++) {
          for (int dj = 0; dj < 2; dj++) {
            best = Math.max(best, Math.max(zero, x.getLong((2 * i + di) * 4L + 2 * j + dj)));
          }
        }
        want.add(best);
      }
    }
    Tensor got = run(m, x);
    assertEquals(ElementType.U8, got.type().elementType());
    assertArrayEquals(want.stream().mapToLong(Long::longValue).toArray(), got.toLongs());
  }

  @Test
  void a_filter_whose_range_is_only_known_at_run_time_keeps_the_float_emulation() {
    GraphDef g = GraphDef.newBuilder()
      .addNode(placeholder("a", DataType.DT_QUINT8, 2, 3))
      .addNode(placeholder("b", DataType.DT_QUINT8, 3, 2))
      .addNode(placeholder("lo", DataType.DT_FLOAT))
      .addNode(placeholder("hi", DataType.DT_FLOAT))
      .addNode(
        node("QuantizedMatMul", "mm", "a", "b", "lo", "hi", "lo", "hi")
          .putAttr("T1", type(DataType.DT_QUINT8))
          .putAttr("T2", type(DataType.DT_QUINT8))
          .putAttr("Toutput", type(DataType.DT_QINT32))
      )
      .build();
    ImportedModel m = load(g, List.of("mm"), Map.of());
    assertTrue(
      nodes(m)
        .stream()
        .noneMatch(n -> n.op() instanceof QMatMul),
      opNames(m).toString()
    );
    assertTrue(opNames(m).contains("nn.matmul"), opNames(m).toString());
  }
}
