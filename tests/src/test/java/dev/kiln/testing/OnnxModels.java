package dev.kiln.testing;

import com.google.protobuf.ByteString;
import dev.kiln.onnx.proto.OnnxProto;
import dev.kiln.onnx.proto.OnnxProto.AttributeProto;
import dev.kiln.onnx.proto.OnnxProto.GraphProto;
import dev.kiln.onnx.proto.OnnxProto.ModelProto;
import dev.kiln.onnx.proto.OnnxProto.NodeProto;
import dev.kiln.onnx.proto.OnnxProto.TensorProto;
import dev.kiln.onnx.proto.OnnxProto.ValueInfoProto;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

/** Small builders for ONNX models written by tests, so that test models are code, not files. */
public final class OnnxModels {

  private OnnxModels() {}

  /** A float graph input with the given dims. */
  public static ValueInfoProto input(String name, long... dims) {
    return typedInput(name, TensorProto.DataType.FLOAT_VALUE, dims);
  }

  /** A graph input of ONNX data type {@code elemType} with the given dims. */
  public static ValueInfoProto typedInput(String name, int elemType, long... dims) {
    OnnxProto.TensorShapeProto.Builder s = OnnxProto.TensorShapeProto.newBuilder();
    for (long d : dims) {
      s.addDim(OnnxProto.TensorShapeProto.Dimension.newBuilder().setDimValue(d));
    }
    return ValueInfoProto.newBuilder()
      .setName(name)
      .setType(
        OnnxProto.TypeProto.newBuilder().setTensorType(
          OnnxProto.TypeProto.Tensor.newBuilder().setElemType(elemType).setShape(s)
        )
      )
      .build();
  }

  /** A graph output with no declared type. */
  public static ValueInfoProto output(String name) {
    return ValueInfoProto.newBuilder().setName(name).build();
  }

  public static NodeProto node(String op, String name, List<String> in, List<String> out) {
    return NodeProto.newBuilder()
      .setOpType(op)
      .setName(name)
      .addAllInput(in)
      .addAllOutput(out)
      .build();
  }

  /** {@code n} with an integer-list attribute added. */
  public static NodeProto withInts(NodeProto n, String attribute, long... values) {
    AttributeProto.Builder a = attribute(attribute, AttributeProto.AttributeType.INTS);
    for (long v : values) {
      a.addInts(v);
    }
    return with(n, a);
  }

  /** {@code n} with an integer attribute added. */
  public static NodeProto withInt(NodeProto n, String attribute, long value) {
    return with(n, attribute(attribute, AttributeProto.AttributeType.INT).setI(value));
  }

  /** {@code n} with a string attribute added. */
  public static NodeProto withString(NodeProto n, String attribute, String value) {
    return with(
      n,
      attribute(attribute, AttributeProto.AttributeType.STRING).setS(ByteString.copyFromUtf8(value))
    );
  }

  /** {@code n} with a graph attribute added. */
  public static NodeProto withGraph(NodeProto n, String attribute, GraphProto g) {
    return with(n, attribute(attribute, AttributeProto.AttributeType.GRAPH).setG(g));
  }

  private static AttributeProto.Builder attribute(String name, AttributeProto.AttributeType type) {
    return AttributeProto.newBuilder().setName(name).setType(type);
  }

  private static NodeProto with(NodeProto n, AttributeProto.Builder a) {
    return n.toBuilder().addAttribute(a).build();
  }

  /** A float32 initializer. */
  public static TensorProto floats(String name, long[] dims, float... values) {
    ByteBuffer b = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
    for (float v : values) {
      b.putFloat(v);
    }
    return tensor(name, TensorProto.DataType.FLOAT_VALUE, dims, b.array());
  }

  /** An int64 initializer. */
  public static TensorProto longs(String name, long[] dims, long... values) {
    ByteBuffer b = ByteBuffer.allocate(8 * values.length).order(ByteOrder.LITTLE_ENDIAN);
    for (long v : values) {
      b.putLong(v);
    }
    return tensor(name, TensorProto.DataType.INT64_VALUE, dims, b.array());
  }

  /** An int4 initializer, packed two to a byte (low nibble first) as ONNX stores it. */
  public static TensorProto int4s(String name, long[] dims, int... values) {
    byte[] raw = new byte[(values.length + 1) / 2];
    for (int i = 0; i < values.length; i++) {
      raw[i / 2] |= (byte) ((values[i] & 0xf) << (4 * (i % 2)));
    }
    return tensor(name, TensorProto.DataType.INT4_VALUE, dims, raw);
  }

  /** An initializer of ONNX data type {@code type} whose elements take one byte each (codes). */
  public static TensorProto bytes(String name, int type, long[] dims, byte... values) {
    return tensor(name, type, dims, values);
  }

  private static TensorProto tensor(String name, int type, long[] dims, byte[] raw) {
    TensorProto.Builder t = TensorProto.newBuilder().setName(name).setDataType(type);
    for (long d : dims) {
      t.addDims(d);
    }
    return t.setRawData(ByteString.copyFrom(raw)).build();
  }

  /** A model of IR version 8 importing the default domain at opset 13. */
  public static ModelProto model(GraphProto.Builder g) {
    return model(g, 13);
  }

  public static ModelProto model(GraphProto.Builder g, long opset) {
    return ModelProto.newBuilder()
      .setIrVersion(8)
      .addOpsetImport(OnnxProto.OperatorSetIdProto.newBuilder().setDomain("").setVersion(opset))
      .setGraph(g.setName(g.getName().isEmpty() ? "g" : g.getName()))
      .build();
  }

  /**
   * A small network to count by hand: x[1,3,8,8] -> Conv(4 filters 3x3, pads 1) -> Relu -> Flatten
   * -> Gemm(256 -> 10, bias) -> Add(r[1,10]) -> y, with zero weights.
   */
  public static GraphProto.Builder convReluGemmAdd() {
    return GraphProto.newBuilder()
      .addInput(input("x", 1, 3, 8, 8))
      .addInput(input("r", 1, 10))
      .addInitializer(floats("w", new long[] { 4, 3, 3, 3 }, new float[108]))
      .addInitializer(floats("b", new long[] { 256, 10 }, new float[2560]))
      .addInitializer(floats("c", new long[] { 10 }, new float[10]))
      .addNode(withInts(node("Conv", "conv", List.of("x", "w"), List.of("h")), "pads", 1, 1, 1, 1))
      .addNode(node("Relu", "relu", List.of("h"), List.of("a")))
      .addNode(node("Flatten", "flat", List.of("a"), List.of("f")))
      .addNode(node("Gemm", "fc", List.of("f", "b", "c"), List.of("z")))
      .addNode(node("Add", "res", List.of("z", "r"), List.of("y")))
      .addOutput(output("y"));
  }
}
