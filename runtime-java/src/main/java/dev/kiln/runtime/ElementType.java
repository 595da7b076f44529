package dev.kiln.runtime;

/**
 * The element type of a compiled model's tensor: {@code kiln_elem_type_t} of {@code
 * kiln/runtime.h}, whose value is this constant's ordinal. Sub-byte types take one byte per element
 * in a buffer, as the runtime's layout rules say.
 */
public enum ElementType {
  F16(2),
  BF16(2),
  F32(4),
  F64(8),
  I8(1),
  U8(1),
  I16(2),
  U16(2),
  I32(4),
  U32(4),
  I64(8),
  U64(8),
  BOOL(1),
  F8E4M3FN(1),
  F8E4M3FNUZ(1),
  F8E5M2(1),
  F8E5M2FNUZ(1),
  F8E8M0(1),
  F4E2M1(1),
  I4(1),
  U4(1),
  I2(1),
  U2(1);

  private final int bytes;

  ElementType(int bytes) {
    this.bytes = bytes;
  }

  /** Bytes one element occupies in a dense buffer. */
  public int bytes() {
    return bytes;
  }

  /** The type whose {@code kiln_elem_type_t} value is {@code code}. */
  static ElementType of(int code) {
    ElementType[] all = values();
    if (code < 0 || code >= all.length) {
      throw new IllegalArgumentException("element type " + code + " is not a kiln_elem_type_t");
    }
    return all[code];
  }
}
