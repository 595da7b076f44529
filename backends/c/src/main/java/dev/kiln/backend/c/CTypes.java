package dev.kiln.backend.c;

import dev.kiln.ir.loop.Scalar;

/**
 * How Loop IR's scalar types are spelled in C99: {@code BOOL} is {@code _Bool} in variables and
 * {@code uint8_t} in memory; {@code F16} and {@code BF16} are their bit patterns in {@code
 * uint16_t} (C99 has no half types), converted by helper functions.
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
      case BOOL, U8 -> "uint8_t";
      case I8 -> "int8_t";
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
