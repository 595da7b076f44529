package dev.kiln.ir.loop;

import dev.kiln.ir.ElementType;
import java.util.Optional;

/**
 * The element types of Loop IR buffers and values, one per Graph IR element type. {@code F16} and
 * {@code BF16} are storage types: lowering widens them to {@code F32} after a load and narrows
 * before a store, so arithmetic never sees them. The low-precision types (float8, float4 and the
 * sub-byte integers) are storage types too, one byte per element: a float8 or float4 element is
 * its code, a sub-byte integer its value sign- or zero-extended to the byte. Values of these types
 * are only loaded, stored and reinterpreted ({@link Expr.BitCast}); {@link Ex#cast} converts them
 * to and from their compute type ({@code F32}, {@code I32}, {@code U32}) with integer and float
 * operations, exactly as {@link dev.kiln.ir.LowPrecision} does.
 */
public enum Scalar {
  BOOL("i1", 1, 1),
  I8("i8", 8, 1),
  U8("u8", 8, 1),
  I16("i16", 16, 2),
  U16("u16", 16, 2),
  I32("i32", 32, 4),
  U32("u32", 32, 4),
  I64("i64", 64, 8),
  U64("u64", 64, 8),
  F16("f16", 16, 2),
  BF16("bf16", 16, 2),
  F32("f32", 32, 4),
  F64("f64", 64, 8),
  F8E4M3FN("f8e4m3fn", 8, 1),
  F8E4M3FNUZ("f8e4m3fnuz", 8, 1),
  F8E5M2("f8e5m2", 8, 1),
  F8E5M2FNUZ("f8e5m2fnuz", 8, 1),
  F8E8M0("f8e8m0", 8, 1),
  F4E2M1("f4e2m1", 4, 1),
  I4("i4", 4, 1),
  U4("u4", 4, 1),
  I2("i2", 2, 1),
  U2("u2", 2, 1);

  private final String text;
  private final int bits;
  private final int bytes;

  Scalar(String text, int bits, int bytes) {
    this.text = text;
    this.bits = bits;
    this.bytes = bytes;
  }

  /** The text form: {@code i1}, {@code i8}, {@code u8}, ..., {@code f32}, {@code f64}. */
  public String text() {
    return text;
  }

  /** Value bits: 1 for {@code BOOL}. */
  public int bits() {
    return bits;
  }

  /** Bytes one element takes in a buffer ({@code BOOL} takes one). */
  public int bytes() {
    return bytes;
  }

  public boolean isFloat() {
    return this == F16 || this == BF16 || this == F32 || this == F64;
  }

  public boolean isSigned() {
    return this == I8 || this == I16 || this == I32 || this == I64;
  }

  public boolean isUnsigned() {
    return this == U8 || this == U16 || this == U32 || this == U64;
  }

  /** The float8, float4 and sub-byte integer storage types. */
  public boolean isLowPrecision() {
    return ordinal() >= F8E4M3FN.ordinal();
  }

  /** Integers of either signedness; not {@code BOOL}. */
  public boolean isInteger() {
    return isSigned() || isUnsigned();
  }

  /**
   * The type arithmetic on values of this type uses: {@code F32} for the 16-bit, 8-bit and 4-bit
   * floats, {@code I32} for {@code I4} and {@code I2}, {@code U32} for {@code U4} and {@code U2}.
   */
  public Scalar compute() {
    return switch (this) {
      case F16, BF16, F8E4M3FN, F8E4M3FNUZ, F8E5M2, F8E5M2FNUZ, F8E8M0, F4E2M1 -> F32;
      case I4, I2 -> I32;
      case U4, U2 -> U32;
      default -> this;
    };
  }

  /** The Loop IR type of a Graph IR element type. */
  public static Optional<Scalar> of(ElementType e) {
    return Optional.of(
      switch (e) {
        case F16 -> F16;
        case BF16 -> BF16;
        case F32 -> F32;
        case F64 -> F64;
        case I8 -> I8;
        case U8 -> U8;
        case I16 -> I16;
        case U16 -> U16;
        case I32 -> I32;
        case U32 -> U32;
        case I64 -> I64;
        case U64 -> U64;
        case BOOL -> BOOL;
        case F8E4M3FN -> F8E4M3FN;
        case F8E4M3FNUZ -> F8E4M3FNUZ;
        case F8E5M2 -> F8E5M2;
        case F8E5M2FNUZ -> F8E5M2FNUZ;
        case F8E8M0 -> F8E8M0;
        case F4E2M1 -> F4E2M1;
        case I4 -> I4;
        case U4 -> U4;
        case I2 -> I2;
        case U2 -> U2;
      }
    );
  }

  /** The Graph IR element type with this representation. */
  public ElementType elementType() {
    return switch (this) {
      case BOOL -> ElementType.BOOL;
      case I8 -> ElementType.I8;
      case U8 -> ElementType.U8;
      case I16 -> ElementType.I16;
      case U16 -> ElementType.U16;
      case I32 -> ElementType.I32;
      case U32 -> ElementType.U32;
      case I64 -> ElementType.I64;
      case U64 -> ElementType.U64;
      case F16 -> ElementType.F16;
      case BF16 -> ElementType.BF16;
      case F32 -> ElementType.F32;
      case F64 -> ElementType.F64;
      case F8E4M3FN -> ElementType.F8E4M3FN;
      case F8E4M3FNUZ -> ElementType.F8E4M3FNUZ;
      case F8E5M2 -> ElementType.F8E5M2;
      case F8E5M2FNUZ -> ElementType.F8E5M2FNUZ;
      case F8E8M0 -> ElementType.F8E8M0;
      case F4E2M1 -> ElementType.F4E2M1;
      case I4 -> ElementType.I4;
      case U4 -> ElementType.U4;
      case I2 -> ElementType.I2;
      case U2 -> ElementType.U2;
    };
  }

  @Override
  public String toString() {
    return text;
  }
}
