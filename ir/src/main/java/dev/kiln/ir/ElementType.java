package dev.kiln.ir;

import java.util.Optional;

/**
 * The element types a tensor may hold. The text name is what {@code .kir} prints inside
 * {@code tensor<...>}; {@link #bits()} is the storage width of one element.
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
  BOOL("bool", 8, Kind.BOOL);

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

  /** Bytes one element occupies in a dense buffer. */
  public int byteSize() {
    return bits / 8;
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
