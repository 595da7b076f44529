package dev.kiln.ir;

import java.util.Optional;

/**
 * The element types a tensor may hold. The text name is what {@code .kir} prints inside
 * {@code tensor<...>}; {@link #bits()} is the logical width of one element and {@link #byteSize()}
 * the bytes it occupies in a dense buffer.
 *
 * <p>Low-precision types: the float8 variants ({@code f8e4m3fn}, {@code f8e4m3fnuz}, {@code
 * f8e5m2}, {@code f8e5m2fnuz}, {@code f8e8m0}) store their 8-bit code as one byte. The sub-byte
 * types ({@code f4e2m1}, {@code i4}, {@code u4}, {@code i2}, {@code u2}) are stored unpacked, one
 * byte per element, so indexing, slicing and copying ops stay byte-addressed; a signed sub-byte
 * element is stored sign-extended ({@code i4} -1 is {@code 0xFF}), an unsigned one or an {@code
 * f4e2m1} code zero-extended, and a {@link Tensor} rejects any other byte. Packing two or four
 * elements per byte is a matter of the ONNX frontend (and, later, of the backends). The value
 * conversions live in {@link LowPrecision}.
 */
public enum ElementType {
  F16("f16", 16, Kind.FLOAT),
  BF16("bf16", 16, Kind.FLOAT),
  F32("f32", 32, Kind.FLOAT),
  F64("f64", 64, Kind.FLOAT),
  I8("i8", 8, Kind.SIGNED),
  U8("u8", 8, Kind.UNSIGNED),
  I16("i16", 16, Kind.SIGNED),
  U16("u16", 16, Kind.UNSIGNED),
  I32("i32", 32, Kind.SIGNED),
  U32("u32", 32, Kind.UNSIGNED),
  I64("i64", 64, Kind.SIGNED),
  U64("u64", 64, Kind.UNSIGNED),
  BOOL("bool", 8, Kind.BOOL),
  F8E4M3FN("f8e4m3fn", 8, Kind.FLOAT),
  F8E4M3FNUZ("f8e4m3fnuz", 8, Kind.FLOAT),
  F8E5M2("f8e5m2", 8, Kind.FLOAT),
  F8E5M2FNUZ("f8e5m2fnuz", 8, Kind.FLOAT),
  F8E8M0("f8e8m0", 8, Kind.FLOAT),
  F4E2M1("f4e2m1", 4, Kind.FLOAT),
  I4("i4", 4, Kind.SIGNED),
  U4("u4", 4, Kind.UNSIGNED),
  I2("i2", 2, Kind.SIGNED),
  U2("u2", 2, Kind.UNSIGNED);

  /** The arithmetic family of an element type. */
  public enum Kind {
    FLOAT,
    SIGNED,
    UNSIGNED,
    BOOL,
  }

  private final String textName;
  private final int bits;
  private final Kind kind;

  ElementType(String textName, int bits, Kind kind) {
    this.textName = textName;
    this.bits = bits;
    this.kind = kind;
  }

  public String textName() {
    return textName;
  }

  public int bits() {
    return bits;
  }

  /** Bytes one element occupies in a dense buffer; sub-byte types take one byte each. */
  public int byteSize() {
    return (bits + 7) / 8;
  }

  /** True for the float8 and float4 types, whose elements are codes ({@link LowPrecision}). */
  public boolean isLowPrecisionFloat() {
    return kind == Kind.FLOAT && bits <= 8;
  }

  /** True for types narrower than a byte: {@code f4e2m1 i4 u4 i2 u2}. */
  public boolean isSubByte() {
    return bits < 8;
  }

  public Kind kind() {
    return kind;
  }

  public boolean isFloat() {
    return kind == Kind.FLOAT;
  }

  public boolean isInteger() {
    return kind == Kind.SIGNED || kind == Kind.UNSIGNED;
  }

  public boolean isBool() {
    return kind == Kind.BOOL;
  }

  /** The element type whose text name is {@code name}, if any. */
  public static Optional<ElementType> fromText(String name) {
    for (ElementType t : values()) {
      if (t.textName.equals(name)) {
        return Optional.of(t);
      }
    }
    return Optional.empty();
  }

  @Override
  public String toString() {
    return textName;
  }
}
