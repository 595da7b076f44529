package dev.kiln.backend.c;

import dev.kiln.ir.loop.Scalar;

/**
 * How Loop IR's scalar types are spelled in C99: {@code BOOL} is {@code _Bool} in variables and
 * {@code uint8_t} in memory; {@code F16} and {@code BF16} are their bit patterns in {@code
 * uint16_t} (C99 has no half types), converted by helper functions; the float8 and float4 types are
 * their codes in {@code uint8_t}, and the sub-byte integers one per byte, sign- or zero-extended,
 * as in the LLVM backend (Loop IR expands their conversions into integer and float operations).
 */
final class CTypes {

  private CTypes() {}

  /** The type of a variable or expression value. */
  static String value(Scalar s) {
    return s == Scalar.BOOL ? "_Bool" : memory(s);
  }

  /** The element type of a buffer. */
  static String memory(Scalar s) {
    return switch (s) {
      case BOOL, U8, U4, U2, F8E4M3FN, F8E4M3FNUZ, F8E5M2, F8E5M2FNUZ, F8E8M0, F4E2M1 -> "uint8_t";
      case I8, I4, I2 -> "int8_t";
      case I16 -> "int16_t";
      case U16, F16, BF16 -> "uint16_t";
      case I32 -> "int32_t";
      case U32 -> "uint32_t";
      case I64 -> "int64_t";
      case U64 -> "uint64_t";
      case F32 -> "float";
      case F64 -> "double";
    };
  }

  /**
   * The unsigned type integer arithmetic on {@code s} is done in so that it wraps instead of
   * overflowing: {@code uint64_t} for 64-bit types, {@code uint32_t} for the rest.
   */
  static String wrapping(Scalar s) {
    return s.bits() == 64 ? "uint64_t" : "uint32_t";
  }

  /** The unsigned type of {@code s}'s width, for reading a shift amount as unsigned. */
  static String unsigned(Scalar s) {
    return switch (s.bits()) {
      case 8 -> "uint8_t";
      case 16 -> "uint16_t";
      case 32 -> "uint32_t";
      default -> "uint64_t";
    };
  }

  /** {@code INT8}, {@code UINT64}, ...: the stem of the {@code <stdint.h>} limit macros. */
  static String limitStem(Scalar s) {
    return (s.isUnsigned() ? "UINT" : "INT") + s.bits();
  }
}
