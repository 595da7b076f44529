package dev.kiln.testing;

import com.google.protobuf.ByteString;
import dev.kiln.tf.proto.TfProto;
import dev.kiln.tf.proto.TfProto.AttrValue;
import dev.kiln.tf.proto.TfProto.DataType;
import dev.kiln.tf.proto.TfProto.NodeDef;
import dev.kiln.tf.proto.TfProto.TensorShapeProto;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

/** Builders for small TensorFlow {@code GraphDef}s in tests. */
public final class TfGraphs {

  private TfGraphs() {}

  public static NodeDef.Builder node(String op, String name, String... inputs) {
    return NodeDef.newBuilder().setOp(op).setName(name).addAllInput(List.of(inputs));
  }

  public static AttrValue type(DataType t) {
    return AttrValue.newBuilder().setType(t).build();
  }

  public static AttrValue str(String s) {
    return AttrValue.newBuilder().setS(ByteString.copyFromUtf8(s)).build();
  }

  public static TensorShapeProto shape(long... dims) {
    TensorShapeProto.Builder b = TensorShapeProto.newBuilder();
    for (long d : dims) {
      b.addDim(TensorShapeProto.Dim.newBuilder().setSize(d));
    }
    return b.build();
  }

  public static NodeDef placeholder(String name, long... dims) {
    return node("Placeholder", name)
      .putAttr("dtype", type(DataType.DT_FLOAT))
      .putAttr("shape", AttrValue.newBuilder().setShape(shape(dims)).build())
      .build();
  }

  /** A float constant from {@code tensor_content}. */
  public static NodeDef floats(String name, long[] dims, float... values) {
    ByteBuffer buf = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
    for (float v : values) {
      buf.putFloat(v);
    }
    TfProto.TensorProto t = TfProto.TensorProto.newBuilder()
      .setDtype(DataType.DT_FLOAT)
      .setTensorShape(shape(dims))
      .setTensorContent(ByteString.copyFrom(buf.array()))
      .build();
    return node("Const", name)
      .putAttr("dtype", type(DataType.DT_FLOAT))
      .putAttr("value", AttrValue.newBuilder().setTensor(t).build())
      .build();
  }

  /** An int32 constant from {@code int_val}. */
  public static NodeDef ints(String name, long[] dims, int... values) {
    TfProto.TensorProto.Builder t = TfProto.TensorProto.newBuilder()
      .setDtype(DataType.DT_INT32)
      .setTensorShape(shape(dims));
    for (int v : values) {
      t.addIntVal(v);
    }
    return node("Const", name)
      .putAttr("dtype", type(DataType.DT_INT32))
      .putAttr("value", AttrValue.newBuilder().setTensor(t).build())
      .build();
  }

  public static TfProto.GraphDef graph(NodeDef... nodes) {
    return TfProto.GraphDef.newBuilder().addAllNode(List.of(nodes)).build();
  }
}
