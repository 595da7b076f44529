package dev.kiln.onnx;

import dev.kiln.ir.ElementType;
import dev.kiln.onnx.proto.OnnxProto.TensorProto.DataType;

/** ONNX {@code TensorProto.DataType} numbers and Kiln element types, both ways. */
public final class ElementTypes {

  private ElementTypes() {}

  /** The Kiln element type of ONNX data type {@code dataType}; an {@link OnnxError} if none. */
  public static ElementType fromOnnx(int dataType) {
    DataType d = DataType.forNumber(dataType);
    if (d == null) {
      throw new OnnxError("unknown element type " + dataType);
    }
    return switch (d) {
      case FLOAT -> ElementType.F32;
      case UINT8 -> ElementType.U8;
      case INT8 -> ElementType.I8;
      case UINT16 -> ElementType.U16;
      case INT16 -> ElementType.I16;
      case INT32 -> ElementType.I32;
      case INT64 -> ElementType.I64;
      case BOOL -> ElementType.BOOL;
      case FLOAT16 -> ElementType.F16;
      case DOUBLE -> ElementType.F64;
      case UINT32 -> ElementType.U32;
      case UINT64 -> ElementType.U64;
      case BFLOAT16 -> ElementType.BF16;
      case FLOAT8E4M3FN -> ElementType.F8E4M3FN;
      case FLOAT8E4M3FNUZ -> ElementType.F8E4M3FNUZ;
      case FLOAT8E5M2 -> ElementType.F8E5M2;
      case FLOAT8E5M2FNUZ -> ElementType.F8E5M2FNUZ;
      case FLOAT8E8M0 -> ElementType.F8E8M0;
      case FLOAT4E2M1 -> ElementType.F4E2M1;
      case INT4 -> ElementType.I4;
      case UINT4 -> ElementType.U4;
      case INT2 -> ElementType.I2;
      case UINT2 -> ElementType.U2;
      default -> throw new OnnxError("element type " + d + " is not supported");
    };
  }

  /** The ONNX data type number of {@code e}. */
  public static int toOnnx(ElementType e) {
    DataType d = switch (e) {
      case F32 -> DataType.FLOAT;
      case U8 -> DataType.UINT8;
      case I8 -> DataType.INT8;
      case U16 -> DataType.UINT16;
      case I16 -> DataType.INT16;
      case I32 -> DataType.INT32;
      case I64 -> DataType.INT64;
      case BOOL -> DataType.BOOL;
      case F16 -> DataType.FLOAT16;
      case F64 -> DataType.DOUBLE;
      case U32 -> DataType.UINT32;
      case U64 -> DataType.UINT64;
      case BF16 -> DataType.BFLOAT16;
      case F8E4M3FN -> DataType.FLOAT8E4M3FN;
      case F8E4M3FNUZ -> DataType.FLOAT8E4M3FNUZ;
      case F8E5M2 -> DataType.FLOAT8E5M2;
      case F8E5M2FNUZ -> DataType.FLOAT8E5M2FNUZ;
      case F8E8M0 -> DataType.FLOAT8E8M0;
      case F4E2M1 -> DataType.FLOAT4E2M1;
      case I4 -> DataType.INT4;
      case U4 -> DataType.UINT4;
      case I2 -> DataType.INT2;
      case U2 -> DataType.UINT2;
    };
    return d.getNumber();
  }
}
