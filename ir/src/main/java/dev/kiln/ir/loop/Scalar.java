package dev.kiln.ir.loop;

import dev.kiln.ir.ElementType;
import java.util.Optional;

/**
 * The element types Loop IR computes with. Every Graph IR element type of at least eight bits has
 * one; the sub-byte and eight-bit float types have none (the native backend refuses them).
 * {@code F16} and {@code BF16} are storage types: lowering widens them to {@code F32} after a load
 * and narrows before a store, so arithmetic never sees them.
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
  F64("f64", 64, 8);

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

  /** Integers of either signedness; not {@code BOOL}. */
  public boolean isInteger() {
    return isSigned() || isUnsigned();
  }

  /** The type arithmetic on values of this type uses: {@code F32} for the 16-bit floats. */
  public Scalar compute() {
    return this == F16 || this == BF16 ? F32 : this;
  }

  /** The Loop IR type of a Graph IR element type, empty for the ones native code does not handle. */
  public static Optional<Scalar> of(ElementType e) {
    return Optional.ofNullable(
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
        default -> null;
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
    };
  }

  @Override
  public String toString() {
    return text;
  }
}
