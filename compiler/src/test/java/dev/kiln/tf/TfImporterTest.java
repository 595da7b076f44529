package dev.kiln.tf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.frontend.ImportOptions;
import dev.kiln.frontend.ImportedModel;
import dev.kiln.interp.Interpreter;
import dev.kiln.ir.ElementType;
import dev.kiln.ir.Shape;
import dev.kiln.ir.Tensor;
import dev.kiln.ir.TensorType;
import dev.kiln.tf.proto.TfProto.AttrValue;
import dev.kiln.tf.proto.TfProto.DataType;
import dev.kiln.tf.proto.TfProto.GraphDef;
import dev.kiln.tf.proto.TfProto.NodeDef;
import dev.kiln.tf.proto.TfProto.TensorProto;
import dev.kiln.tf.proto.TfProto.TensorShapeProto;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** TensorFlow semantics that end in the frontend, checked through the interpreter. */
class TfImporterTest {

  static NodeDef.Builder node(String op, String name, String... inputs) {
    return NodeDef.newBuilder().setOp(op).setName(name).addAllInput(List.of(inputs));
  }

  static TensorShapeProto shape(long... dims) {
    TensorShapeProto.Builder b = TensorShapeProto.newBuilder();
    for (long d : dims) {
      b.addDim(TensorShapeProto.Dim.newBuilder().setSize(d));
    }
    return b.build();
  }

  static NodeDef placeholder(String name, DataType t, long... dims) {
    return node("Placeholder", name)
      .putAttr("dtype", AttrValue.newBuilder().setType(t).build())
      .putAttr("shape", AttrValue.newBuilder().setShape(shape(dims)).build())
      .build();
  }

  static NodeDef ints(String name, long[] dims, int... values) {
    TensorProto.Builder t = TensorProto.newBuilder()
      .setDtype(DataType.DT_INT32)
      .setTensorShape(shape(dims));
    for (int v : values) {
      t.addIntVal(v);
    }
    return node("Const", name)
      .putAttr("value", AttrValue.newBuilder().setTensor(t).build())
      .build();
  }

  static NodeDef floats(String name, long[] dims, double... values) {
    TensorProto.Builder t = TensorProto.newBuilder()
      .setDtype(DataType.DT_FLOAT)
      .setTensorShape(shape(dims));
    for (double v : values) {
      t.addFloatVal((float) v);
    }
    return node("Const", name)
      .putAttr("value", AttrValue.newBuilder().setTensor(t).build())
      .build();
  }

  static AttrValue ints(long... v) {
    AttrValue.ListValue.Builder l = AttrValue.ListValue.newBuilder();
    for (long x : v) {
      l.addI(x);
    }
    return AttrValue.newBuilder().setList(l).build();
  }

  static AttrValue str(String s) {
    return AttrValue.newBuilder().setS(com.google.protobuf.ByteString.copyFromUtf8(s)).build();
  }

  static AttrValue i(long v) {
    return AttrValue.newBuilder().setI(v).build();
  }

  static List<Tensor> run(
    GraphDef g,
    List<String> outputs,
    Map<String, Shape> shapes,
    Tensor... args
  ) {
    ImportedModel m = TfImporter.importGraph(
      g,
      Path.of("test.pb"),
      new ImportOptions(shapes, Map.of(), Map.of()),
      outputs
    );
    return Interpreter.run(m.module().funcs().getFirst(), List.of(args));
  }

  static Tensor random(TensorType t, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    Tensor.Builder b = new Tensor.Builder(t);
    for (long k = 0; k < b.size(); k++) {
      b.setDouble(k, r.nextDouble() * 2 - 1);
    }
    return b.build();
  }

  static long[] longs(Tensor t) {
    return t.toLongs();
  }

  @Test
  void dilated_conv_via_space_to_batch_equals_conv_with_dilations() {
    long[] w = { 3, 1, 2, 4 };
    double[] weights = new double[24];
    for (int k = 0; k < 24; k++) {
      weights[k] = Math.sin(k);
    }
    GraphDef g = GraphDef.newBuilder()
      .addNode(placeholder("x", DataType.DT_FLOAT, 1, 12, 1, 2))
      .addNode(floats("w", w, weights))
      .addNode(ints("block", new long[] { 2 }, 3, 1))
      .addNode(ints("pads", new long[] { 2, 2 }, 3, 3, 0, 0))
      .addNode(ints("crops", new long[] { 2, 2 }, 0, 0, 0, 0))
      .addNode(node("SpaceToBatchND", "s2b", "x", "block", "pads"))
      .addNode(
        node("Conv2D", "conv", "s2b", "w")
          .putAttr("strides", ints(1, 1, 1, 1))
          .putAttr("padding", str("VALID"))
      )
      .addNode(node("BatchToSpaceND", "b2s", "conv", "block", "crops"))
      .addNode(
        node("Conv2D", "direct", "x", "w")
          .putAttr("strides", ints(1, 1, 1, 1))
          .putAttr("dilations", ints(1, 3, 1, 1))
          .putAttr("padding", str("SAME"))
      )
      .build();
    Tensor x = random(TensorType.of(ElementType.F32, 1, 12, 1, 2), 1);
    List<Tensor> out = run(g, List.of("b2s", "direct"), Map.of(), x);
    assertEquals(out.get(1).shape(), out.get(0).shape());
    assertArrayEquals(out.get(1).toDoubles(), out.get(0).toDoubles(), 1e-5);
  }

  @Test
  void strided_slice_masks() {
    long[] dims = { 3, 4, 5 };
    double[] v = new double[60];
    for (int k = 0; k < 60; k++) {
      v[k] = k;
    }
    GraphDef g = GraphDef.newBuilder()
      .addNode(floats("x", dims, v))
      .addNode(ints("b", new long[] { 4 }, 1, 0, 0, -1))
      .addNode(ints("e", new long[] { 4 }, 0, 0, 0, 0))
      .addNode(ints("s", new long[] { 4 }, 1, -2, 1, 1))
      .addNode(
        node("StridedSlice", "y", "x", "b", "e", "s")
          .putAttr("begin_mask", i(0b0010))
          .putAttr("end_mask", i(0b0011))
          .putAttr("new_axis_mask", i(0b0100))
          .putAttr("shrink_axis_mask", i(0b1000))
      )
      .build();
    Tensor y = run(g, List.of("y"), Map.of()).getFirst();
    assertEquals(Shape.of(2, 2, 1), y.shape());
    assertArrayEquals(new double[] { 39, 29, 59, 49 }, y.toDoubles());
    GraphDef h = GraphDef.newBuilder()
      .addNode(floats("x", dims, v))
      .addNode(ints("b", new long[] { 2 }, 0, 1))
      .addNode(ints("e", new long[] { 2 }, 0, 3))
      .addNode(ints("s", new long[] { 2 }, 1, 1))
      .addNode(node("StridedSlice", "y", "x", "b", "e", "s").putAttr("ellipsis_mask", i(1)))
      .build();
    Tensor z = run(h, List.of("y"), Map.of()).getFirst();
    assertEquals(Shape.of(3, 4, 2), z.shape());
    assertEquals(1, z.getDouble(0));
    assertEquals(2, z.getDouble(1));
  }

  @Test
  void floor_div_and_floor_mod_round_toward_negative_infinity() {
    GraphDef g = GraphDef.newBuilder()
      .addNode(ints("a", new long[] { 4 }, 7, -7, 7, -7))
      .addNode(ints("b", new long[] { 4 }, 2, 2, -2, -2))
      .addNode(node("FloorDiv", "q", "a", "b"))
      .addNode(node("FloorMod", "r", "a", "b"))
      .addNode(node("TruncateDiv", "t", "a", "b"))
      .build();
    List<Tensor> out = run(g, List.of("q", "r", "t"), Map.of());
    assertArrayEquals(new long[] { 3, -4, -4, 3 }, longs(out.get(0)));
    assertArrayEquals(new long[] { 1, 1, -1, -1 }, longs(out.get(1)));
    assertArrayEquals(new long[] { 3, -3, -3, 3 }, longs(out.get(2)));
  }

  @Test
  void same_padding_max_pool_and_nhwc_layout() {
    GraphDef g = GraphDef.newBuilder()
      .addNode(placeholder("x", DataType.DT_FLOAT, 1, 5, 5, 2))
      .addNode(
        node("MaxPool", "p", "x")
          .putAttr("ksize", ints(1, 2, 2, 1))
          .putAttr("strides", ints(1, 2, 2, 1))
          .putAttr("padding", str("SAME"))
      )
      .build();
    Tensor x = random(TensorType.of(ElementType.F32, 1, 5, 5, 2), 3);
    Tensor y = run(g, List.of("p"), Map.of(), x).getFirst();
    assertEquals(Shape.of(1, 3, 3, 2), y.shape());
    assertEquals(x.getDouble(48), y.getDouble(16), 0);
    assertEquals(x.getDouble(49), y.getDouble(17), 0);
    assertEquals(Math.max(x.getDouble(44), x.getDouble(46)), y.getDouble(14), 0);
  }

  @Test
  void fused_batch_norm_nhwc() {
    GraphDef g = GraphDef.newBuilder()
      .addNode(placeholder("x", DataType.DT_FLOAT, 1, 1, 2, 2))
      .addNode(floats("scale", new long[] { 2 }, 2, 3))
      .addNode(floats("offset", new long[] { 2 }, 1, -1))
      .addNode(floats("mean", new long[] { 2 }, 0.5, 1))
      .addNode(floats("var", new long[] { 2 }, 4, 9))
      .addNode(
        node("FusedBatchNormV3", "bn", "x", "scale", "offset", "mean", "var")
          .putAttr("epsilon", AttrValue.newBuilder().setF(0).build())
          .putAttr("is_training", AttrValue.newBuilder().setB(false).build())
      )
      .build();
    Tensor x = Tensor.ofDoubles(TensorType.of(ElementType.F32, 1, 1, 2, 2), 1.5, 4, -0.5, 1);
    Tensor y = run(g, List.of("bn"), Map.of(), x).getFirst();
    assertArrayEquals(new double[] { 2, 2, 0, -1 }, y.toDoubles(), 1e-6);
  }

  @Test
  void input_on_an_inner_node_cuts_the_graph() {
    GraphDef g = GraphDef.newBuilder()
      .addNode(
        node("Placeholder", "wav").putAttr(
          "dtype",
          AttrValue.newBuilder().setType(DataType.DT_STRING).build()
        )
      )
      .addNode(node("DecodeWav", "decoded", "wav"))
      .addNode(node("Relu", "features", "decoded"))
      .addNode(node("Neg", "y", "features"))
      .build();
    ImportedModel m = TfImporter.importGraph(
      g,
      Path.of("test.pb"),
      new ImportOptions(Map.of("features", Shape.of(3)), Map.of(), Map.of()),
      List.of()
    );
    assertEquals(List.of("features"), m.inputNames());
    assertEquals(List.of("y"), m.outputNames());
    Tensor x = Tensor.ofDoubles(TensorType.of(ElementType.F32, 3), 1, -2, 3);
    Tensor y = Interpreter.run(m.module().funcs().getFirst(), List.of(x)).getFirst();
    assertArrayEquals(new double[] { -1, 2, -3 }, y.toDoubles());
  }

  @Test
  void identity_and_control_dependencies_disappear() {
    GraphDef g = GraphDef.newBuilder()
      .addNode(placeholder("x", DataType.DT_FLOAT, 2))
      .addNode(node("NoOp", "init"))
      .addNode(node("Identity", "id", "x", "^init"))
      .addNode(node("Relu", "y", "id:0"))
      .build();
    ImportedModel m = TfImporter.importGraph(
      g,
      Path.of("t.pb"),
      ImportOptions.defaults(),
      List.of()
    );
    List<String> ops = new ArrayList<>();
    m
      .module()
      .funcs()
      .getFirst()
      .entry()
      .nodes()
      .forEach(n -> ops.add(n.op().name()));
    assertEquals(List.of("nn.relu", "return"), ops);
  }

  @Test
  void array_ops_on_constants() {
    GraphDef g = GraphDef.newBuilder()
      .addNode(floats("x", new long[] { 2, 3 }, 1, 2, 3, 4, 5, 6))
      .addNode(ints("axis0", new long[] {}, 0))
      .addNode(ints("axis1", new long[] {}, 1))
      .addNode(ints("sizes", new long[] { 2 }, 1, -1))
      .addNode(node("SplitV", "split", "x", "sizes", "axis1"))
      .addNode(node("ConcatV2", "cat", "split:1", "split:0", "axis1"))
      .addNode(node("Unpack", "rows", "x").putAttr("num", i(2)))
      .addNode(node("Pack", "packed", "rows:1", "rows:0").putAttr("axis", i(1)))
      .addNode(ints("idx", new long[] { 3 }, 2, -1, 0))
      .addNode(ints("depth", new long[] {}, 3))
      .addNode(floats("on", new long[] {}, 5))
      .addNode(floats("off", new long[] {}, 0))
      .addNode(node("OneHot", "hot", "idx", "depth", "on", "off"))
      .addNode(ints("start", new long[] {}, 3))
      .addNode(ints("limit", new long[] {}, -3))
      .addNode(ints("delta", new long[] {}, -2))
      .addNode(node("Range", "range", "start", "limit", "delta"))
      .addNode(ints("gi", new long[] { 2 }, 2, 0))
      .addNode(node("GatherV2", "gather", "x", "gi", "axis1"))
      .addNode(ints("pads", new long[] { 2, 2 }, 0, 0, 1, 1))
      .addNode(node("MirrorPad", "mirror", "x", "pads").putAttr("mode", str("REFLECT")))
      .addNode(node("Mean", "mean", "x", "axis1"))
      .addNode(node("ArgMax", "argmax", "x", "axis0"))
      .addNode(node("Shape", "shape", "x"))
      .build();
    List<Tensor> out = run(
      g,
      List.of("cat", "packed", "hot", "range", "gather", "mirror", "mean", "argmax", "shape"),
      Map.of()
    );
    assertArrayEquals(new double[] { 2, 3, 1, 5, 6, 4 }, out.get(0).toDoubles());
    assertArrayEquals(new double[] { 4, 1, 5, 2, 6, 3 }, out.get(1).toDoubles());
    assertArrayEquals(new double[] { 0, 0, 5, 0, 0, 0, 5, 0, 0 }, out.get(2).toDoubles());
    assertArrayEquals(new long[] { 3, 1, -1 }, out.get(3).toLongs());
    assertArrayEquals(new double[] { 3, 1, 6, 4 }, out.get(4).toDoubles());
    assertArrayEquals(new double[] { 2, 1, 2, 3, 2, 5, 4, 5, 6, 5 }, out.get(5).toDoubles());
    assertArrayEquals(new double[] { 2, 5 }, out.get(6).toDoubles(), 1e-6);
    assertArrayEquals(new long[] { 1, 1, 1 }, out.get(7).toLongs());
    assertArrayEquals(new long[] { 2, 3 }, out.get(8).toLongs());
  }

  @Test
  void depthwise_conv_matches_per_channel_conv() {
    double[] w = new double[3 * 3 * 2 * 2];
    for (int k = 0; k < w.length; k++) {
      w[k] = Math.cos(k);
    }
    GraphDef g = GraphDef.newBuilder()
      .addNode(placeholder("x", DataType.DT_FLOAT, 1, 4, 4, 2))
      .addNode(floats("w", new long[] { 3, 3, 2, 2 }, w))
      .addNode(
        node("DepthwiseConv2dNative", "y", "x", "w")
          .putAttr("strides", ints(1, 1, 1, 1))
          .putAttr("padding", str("SAME"))
      )
      .build();
    Tensor x = random(TensorType.of(ElementType.F32, 1, 4, 4, 2), 5);
    Tensor y = run(g, List.of("y"), Map.of(), x).getFirst();
    assertEquals(Shape.of(1, 4, 4, 4), y.shape());
    for (int h = 0; h < 4; h++) {
      for (int wi = 0; wi < 4; wi++) {
        for (int c = 0; c < 2; c++) {
          for (int m = 0; m < 2; m++) {
            double sum = 0;
            for (int kh = 0; kh < 3; kh++) {
              for (int kw = 0; kw < 3; kw++) {
                int ih = h + kh - 1;
                int iw = wi + kw - 1;
                if (ih >= 0 && ih < 4 && iw >= 0 && iw < 4) {
                  sum +=
                    x.getDouble((ih * 4 + iw) * 2 + c) * (float) w[((kh * 3 + kw) * 2 + c) * 2 + m];
                }
              }
            }
            assertEquals(sum, y.getDouble((h * 4 + wi) * 4 + c * 2 + m), 1e-5);
          }
        }
      }
    }
  }
}
