package dev.kiln.bench;

import com.google.protobuf.ByteString;
import dev.kiln.onnx.proto.OnnxProto;
import dev.kiln.onnx.proto.OnnxProto.TensorProto;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.SplittableRandom;

/**
 * The SGEMM benchmark model: one ONNX {@code MatMul(a, b) -> c} with {@code a} an f32 input of
 * {@code [n, n]} and {@code b} a constant {@code [n, n]} initializer, uniform in [-1, 1) from a
 * fixed seed (opset 13).
 */
final class Sgemm {

  private Sgemm() {}

  /** The serialized model for {@code n x n x n}. */
  static byte[] model(int n) {
    SplittableRandom r = new SplittableRandom(n);
    ByteBuffer b = ByteBuffer.allocate(4 * n * n).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < n * n; i++) {
      b.putFloat((float) r.nextDouble(-1, 1));
    }
    TensorProto weights = TensorProto.newBuilder()
      .setName("b")
      .setDataType(TensorProto.DataType.FLOAT_VALUE)
      .addDims(n)
      .addDims(n)
      .setRawData(ByteString.copyFrom(b.array()))
      .build();
    OnnxProto.GraphProto graph = OnnxProto.GraphProto.newBuilder()
      .setName("sgemm" + n)
      .addInput(value("a", n))
      .addOutput(value("c", n))
      .addInitializer(weights)
      .addNode(
        OnnxProto.NodeProto.newBuilder()
          .setOpType("MatMul")
          .setName("matmul")
          .addInput("a")
          .addInput("b")
          .addOutput("c")
      )
      .build();
    return OnnxProto.ModelProto.newBuilder()
      .setIrVersion(8)
      .addOpsetImport(OnnxProto.OperatorSetIdProto.newBuilder().setDomain("").setVersion(13))
      .setGraph(graph)
      .build()
      .toByteArray();
  }

  private static OnnxProto.ValueInfoProto value(String name, int n) {
    OnnxProto.TensorShapeProto.Builder shape = OnnxProto.TensorShapeProto.newBuilder();
    for (int i = 0; i < 2; i++) {
      shape.addDim(OnnxProto.TensorShapeProto.Dimension.newBuilder().setDimValue(n));
    }
    return OnnxProto.ValueInfoProto.newBuilder()
      .setName(name)
      .setType(
        OnnxProto.TypeProto.newBuilder().setTensorType(
          OnnxProto.TypeProto.Tensor.newBuilder()
            .setElemType(TensorProto.DataType.FLOAT_VALUE)
            .setShape(shape)
        )
      )
      .build();
  }
}
