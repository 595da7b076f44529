package dev.kiln.tf;

import com.google.protobuf.ByteString;
import dev.kiln.ir.Dim;
import dev.kiln.ir.ElementType;
import dev.kiln.ir.Shape;
import dev.kiln.ir.Tensor;
import dev.kiln.ir.TensorType;
import dev.kiln.tf.proto.TfProto;
import java.util.ArrayList;
import java.util.List;

/**
 * TensorFlow {@code DataType}s and {@code TensorProto}s as Kiln element types and tensors. The
 * quantized types map onto their storage types ({@code quint8} to {@code u8}, {@code qint32} to
 * {@code i32}); values come from little-endian {@code tensor_content} or from the typed fields,
 * where a list shorter than the tensor repeats its last element, as TensorFlow does.
 */
public final class TfTensors {

  private TfTensors() {}

  /** The Kiln element type of {@code t}; a {@link TfError} for strings, complex numbers, etc. */
  public static ElementType elementType(TfProto.DataType t) {
    TfProto.DataType base = t.getNumber() > 100
      ? TfProto.DataType.forNumber(t.getNumber() - 100)
      : t;
    if (base == null) {
      base = TfProto.DataType.DT_INVALID;
    }
    return switch (base) {
      case DT_FLOAT -> ElementType.F32;
      case DT_DOUBLE -> ElementType.F64;
      case DT_HALF -> ElementType.F16;
      case DT_BFLOAT16 -> ElementType.BF16;
      case DT_INT8, DT_QINT8 -> ElementType.I8;
      case DT_UINT8, DT_QUINT8 -> ElementType.U8;
      case DT_INT16, DT_QINT16 -> ElementType.I16;
      case DT_UINT16, DT_QUINT16 -> ElementType.U16;
      case DT_INT32, DT_QINT32 -> ElementType.I32;
      case DT_UINT32 -> ElementType.U32;
      case DT_INT64 -> ElementType.I64;
      case DT_UINT64 -> ElementType.U64;
      case DT_BOOL -> ElementType.BOOL;
      case DT_FLOAT8_E5M2 -> ElementType.F8E5M2;
      case DT_FLOAT8_E4M3FN -> ElementType.F8E4M3FN;
      case DT_INT4 -> ElementType.I4;
      case DT_UINT4 -> ElementType.U4;
      default -> throw new TfError("data type " + typeName(t) + " is not supported");
    };
  }

  /** {@code t}'s name as TensorFlow writes it ({@code float}, {@code quint8}, ...). */
  public static String typeName(TfProto.DataType t) {
    return t == TfProto.DataType.UNRECOGNIZED
      ? "unknown"
      : t.name().replaceFirst("^DT_", "").toLowerCase(java.util.Locale.ROOT);
  }

  /**
   * The shape in {@code s}; {@code -1} dimensions are unknown. {@code null} for an unknown rank.
   */
  public static Shape shape(TfProto.TensorShapeProto s) {
    if (s.getUnknownRank()) {
      return null;
    }
    TfError.check(
      s.getDimCount() <= Shape.MAX_RANK,
      "rank %d exceeds %d",
      s.getDimCount(),
      Shape.MAX_RANK
    );
    List<Dim> dims = new ArrayList<>();
    for (TfProto.TensorShapeProto.Dim d : s.getDimList()) {
      if (d.getSize() == -1) {
        dims.add(Dim.UNKNOWN);
      } else {
        TfError.check(d.getSize() >= 0, "negative dimension %d", d.getSize());
        dims.add(Dim.of(d.getSize()));
      }
    }
    return new Shape(dims);
  }

  /** Decodes {@code t}. */
  public static Tensor decode(TfProto.TensorProto t) {
    ElementType e = elementType(t.getDtype());
    Shape shape = shape(t.getTensorShape());
    TfError.check(shape != null && shape.isStatic(), "a constant tensor needs a known shape");
    long count;
    try {
      count = shape.numElements().orElseThrow();
    } catch (ArithmeticException ex) {
      throw new TfError("the element count of shape " + shape.dims() + " overflows 64 bits");
    }
    TensorType type = new TensorType(e, shape);
    if (!t.getTensorContent().isEmpty()) {
      TfError.check(!e.isSubByte(), "%s tensor_content is not supported", e);
      ByteString raw = t.getTensorContent();
      long want = Math.multiplyExact(count, (long) e.byteSize());
      TfError.check(
        raw.size() == want,
        "tensor_content has %d bytes, shape %s of %s needs %d",
        raw.size(),
        shape.dims(),
        typeName(t.getDtype()),
        want
      );
      byte[] data = raw.toByteArray();
      if (e == ElementType.BOOL) {
        for (int i = 0; i < data.length; i++) {
          data[i] = (byte) (data[i] != 0 ? 1 : 0);
        }
      }
      return Tensor.wrap(type, data);
    }
    TfError.check(count <= Integer.MAX_VALUE, "tensor of %d elements is too large", count);
    int n = (int) count;
    Tensor.Builder b = new Tensor.Builder(type);
    switch (e) {
      case F32 -> fill(n, t.getFloatValCount(), i ->
        b.setDouble(i, t.getFloatVal(i2(i, t.getFloatValCount())))
      );
      case F64 -> fill(n, t.getDoubleValCount(), i ->
        b.setDouble(i, t.getDoubleVal(i2(i, t.getDoubleValCount())))
      );
      case I64 -> fill(n, t.getInt64ValCount(), i ->
        b.setLong(i, t.getInt64Val(i2(i, t.getInt64ValCount())))
      );
      case U32 -> fill(n, t.getUint32ValCount(), i ->
        b.setLong(i, t.getUint32Val(i2(i, t.getUint32ValCount())) & 0xffffffffL)
      );
      case U64 -> fill(n, t.getUint64ValCount(), i ->
        b.setLong(i, t.getUint64Val(i2(i, t.getUint64ValCount())))
      );
      case BOOL -> fill(n, t.getBoolValCount(), i ->
        b.setLong(i, t.getBoolVal(i2(i, t.getBoolValCount())) ? 1 : 0)
      );
      case F16, BF16 -> {
        byte[] data = new byte[n * 2];
        int m = t.getHalfValCount();
        check(n, m);
        for (int i = 0; m > 0 && i < n; i++) {
          int bits = t.getHalfVal(i2(i, m));
          data[2 * i] = (byte) bits;
          data[2 * i + 1] = (byte) (bits >>> 8);
        }
        return Tensor.wrap(type, data);
      }
      case F8E5M2, F8E4M3FN -> {
        ByteString f8 = t.getFloat8Val();
        check(n, f8.size());
        for (int i = 0; f8.size() > 0 && i < n; i++) {
          b.setCode(i, f8.byteAt(i2(i, f8.size())) & 0xff);
        }
      }
      default -> fill(n, t.getIntValCount(), i ->
        b.setLong(i, t.getIntVal(i2(i, t.getIntValCount())))
      );
    }
    return b.build();
  }

  private static int i2(int i, int available) {
    return Math.min(i, available - 1);
  }

  private static void check(int n, int available) {
    TfError.check(
      available <= n,
      "the tensor holds %d values but its shape has %d elements",
      available,
      n
    );
  }

  private static void fill(int n, int available, java.util.function.IntConsumer set) {
    check(n, available);
    if (available == 0) {
      return;
    }
    for (int i = 0; i < n; i++) {
      set.accept(i);
    }
  }
}
