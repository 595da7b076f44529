package dev.kiln.backend.c;

import dev.kiln.ir.loop.Scalar;
import java.util.Map;
import java.util.TreeMap;

/**
 * The static helper functions a generated file defines for operations C has no operator with
 * Loop IR's meaning for: integer division and remainder that never trap, defined shifts, NaN
 * propagating float minimum and maximum, saturating float to integer conversion, and the 16-bit
 * float conversions. Only the helpers a file uses are emitted, in name order.
 */
final class CHelpers {

  private final Map<String, String> used = new TreeMap<>();

  /** The definitions of every helper asked for, in name order. */
  String definitions() {
    StringBuilder s = new StringBuilder();
    for (String body : used.values()) {
      s.append(body).append('\n');
    }
    return s.toString();
  }

  boolean isEmpty() {
    return used.isEmpty();
  }

  private String define(String name, String body) {
    used.putIfAbsent(name, body);
    return name;
  }

  /** {@code a / b} or {@code a % b} on integers: 0 for a zero divisor, wrapping for MIN / -1. */
  String divide(boolean rem, Scalar t) {
    String name = "kiln_" + (rem ? "rem_" : "div_") + t.text();
    String T = CTypes.value(t);
    String result;
    if (!t.isSigned()) {
      result = "b == 0 ? 0 : (" + T + ")(a " + (rem ? "%" : "/") + " b)";
    } else if (rem) {
      result = "b == 0 || b == -1 ? 0 : (" + T + ")(a % b)";
    } else {
      result =
        "b == 0 ? 0 : b == -1 ? (" +
        T +
        ")(0u - (" +
        CTypes.wrapping(t) +
        ")a) : (" +
        T +
        ")(a / b)";
    }
    return define(name, fn(T, name, T + " a, " + T + " b", "  return " + result + ";\n"));
  }

  /** Shifts by at least the width give 0 (or -1 for an arithmetic shift of a negative value). */
  String shift(boolean left, Scalar t) {
    String name = "kiln_" + (left ? "shl_" : "shr_") + t.text();
    String T = CTypes.value(t);
    String far = "(" + CTypes.unsigned(t) + ")b >= " + t.bits();
    String result;
    if (left) {
      result = far + " ? 0 : (" + T + ")((" + CTypes.wrapping(t) + ")a << b)";
    } else if (t.isSigned()) {
      result = far + " ? (a < 0 ? -1 : 0) : (" + T + ")(a >> b)";
    } else {
      result = far + " ? 0 : (" + T + ")(a >> b)";
    }
    return define(name, fn(T, name, T + " a, " + T + " b", "  return " + result + ";\n"));
  }

  /** Integer minimum or maximum. */
  String intMinMax(boolean max, Scalar t) {
    String name = "kiln_" + (max ? "max_" : "min_") + t.text();
    String T = CTypes.value(t);
    String body = "  return a " + (max ? ">=" : "<=") + " b ? a : b;\n";
    return define(name, fn(T, name, T + " a, " + T + " b", body));
  }

  /** Integer absolute value; the minimum stays the minimum. */
  String intAbs(Scalar t) {
    String name = "kiln_abs_" + t.text();
    String T = CTypes.value(t);
    String body = "  return a < 0 ? (" + T + ")(0u - (" + CTypes.wrapping(t) + ")a) : a;\n";
    return define(name, fn(T, name, T + " a", body));
  }

  /** IEEE 754-2019 minimum or maximum: NaN if either is NaN, -0 below +0. */
  String floatMinMax(boolean max, Scalar t) {
    String name = "kiln_" + (max ? "max_" : "min_") + t.text();
    String T = CTypes.value(t);
    String body =
      "  if (isnan(a)) {\n    return a;\n  }\n  if (isnan(b)) {\n    return b;\n  }\n" +
      "  if (a " +
      (max ? ">" : "<") +
      " b) {\n    return a;\n  }\n  if (b " +
      (max ? ">" : "<") +
      " a) {\n    return b;\n  }\n" +
      "  return signbit(a) ? " +
      (max ? "b : a" : "a : b") +
      ";\n";
    return define(name, fn(T, name, T + " a, " + T + " b", body));
  }

  /** The bits of a value of {@code from} as a value of {@code to}, of the same size. */
  String bitCast(Scalar from, Scalar to) {
    String name = "kiln_bits_" + from.text() + "_as_" + to.text();
    String F = CTypes.memory(from);
    String T = CTypes.memory(to);
    return define(
      name,
      fn(T, name, F + " x", "  " + T + " y;\n  memcpy(&y, &x, sizeof y);\n  return y;\n")
    );
  }

  /** A float to integer conversion that truncates, saturates and maps NaN to 0. */
  String floatToInt(Scalar from, Scalar to) {
    String name = "kiln_" + from.text() + "_to_" + to.text();
    String F = CTypes.value(from);
    String T = CTypes.value(to);
    String stem = CTypes.limitStem(to);
    String min = to.isUnsigned() ? "0" : stem + "_MIN";
    String body =
      "  if (isnan(x)) {\n    return 0;\n  }\n" +
      "  if (x <= (" +
      F +
      ")" +
      min +
      ") {\n    return " +
      min +
      ";\n  }\n" +
      "  if (x >= (" +
      F +
      ")" +
      stem +
      "_MAX) {\n    return " +
      stem +
      "_MAX;\n  }\n" +
      "  return (" +
      T +
      ")x;\n";
    return define(name, fn(T, name, F + " x", body));
  }

  /** The f32 value of a 16-bit float's bits (exact). */
  String widen(Scalar half) {
    if (half == Scalar.BF16) {
      return define(
        "kiln_bf16_to_f32",
        fn(
          "float",
          "kiln_bf16_to_f32",
          "uint16_t h",
          "  uint32_t bits = (uint32_t)h << 16;\n  float f;\n  memcpy(&f, &bits, sizeof f);\n" +
          "  return f;\n"
        )
      );
    }
    return define(
      "kiln_f16_to_f32",
      fn(
        "float",
        "kiln_f16_to_f32",
        "uint16_t h",
        """
          uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
          uint32_t exponent = (uint32_t)(h >> 10) & 0x1fu;
          uint32_t mantissa = (uint32_t)h & 0x3ffu;
          uint32_t bits;
          float f;
          if (exponent == 0x1fu) {
            bits = sign | 0x7f800000u | (mantissa << 13);
          } else if (exponent != 0) {
            bits = sign | ((exponent + 112u) << 23) | (mantissa << 13);
          } else if (mantissa == 0) {
            bits = sign;
          } else {
            exponent = 113u;
            while ((mantissa & 0x400u) == 0) {
              mantissa <<= 1;
              exponent--;
            }
            bits = sign | (exponent << 23) | ((mantissa & 0x3ffu) << 13);
          }
          memcpy(&f, &bits, sizeof f);
          return f;
        """
      )
    );
  }

  /** The bits of an f32 rounded to a 16-bit float to nearest even; NaN stays a quiet NaN. */
  String narrow(Scalar half) {
    if (half == Scalar.BF16) {
      return define(
        "kiln_f32_to_bf16",
        fn(
          "uint16_t",
          "kiln_f32_to_bf16",
          "float f",
          """
            uint32_t x;
            memcpy(&x, &f, sizeof x);
            if (isnan(f)) {
              return (uint16_t)((x >> 16) | 0x40u);
            }
            return (uint16_t)((x + 0x7fffu + ((x >> 16) & 1u)) >> 16);
          """
        )
      );
    }
    return define(
      "kiln_f32_to_f16",
      fn(
        "uint16_t",
        "kiln_f32_to_f16",
        "float f",
        """
          uint32_t x;
          uint32_t sign;
          uint32_t mantissa;
          int32_t exponent;
          uint32_t h;
          uint32_t rest;
          uint32_t halfway;
          memcpy(&x, &f, sizeof x);
          sign = (x >> 16) & 0x8000u;
          mantissa = x & 0x7fffffu;
          if (((x >> 23) & 0xffu) == 0xffu) {
            return (uint16_t)(sign | 0x7c00u | (mantissa != 0 ? 0x200u | (mantissa >> 13) : 0u));
          }
          exponent = (int32_t)((x >> 23) & 0xffu) - 112;
          if (exponent >= 31) {
            return (uint16_t)(sign | 0x7c00u);
          }
          if (exponent <= 0) {
            uint32_t shift;
            if (exponent < -10) {
              return (uint16_t)sign;
            }
            mantissa |= 0x800000u;
            shift = (uint32_t)(14 - exponent);
            h = mantissa >> shift;
            rest = mantissa & ((1u << shift) - 1u);
            halfway = 1u << (shift - 1u);
          } else {
            h = ((uint32_t)exponent << 10) | (mantissa >> 13);
            rest = mantissa & 0x1fffu;
            halfway = 0x1000u;
          }
          if (rest > halfway || (rest == halfway && (h & 1u) != 0)) {
            h++;
          }
          return (uint16_t)(sign | h);
        """
      )
    );
  }

  /** Whether a helper needing {@code memcpy} is used. */
  boolean needsString() {
    return used
      .keySet()
      .stream()
      .anyMatch(n -> n.contains("f16") || n.contains("bf16") || n.startsWith("kiln_bits_"));
  }

  private static String fn(String type, String name, String params, String body) {
    String indented = body.startsWith("  ") ? body : body.indent(2);
    return "static " + type + " " + name + "(" + params + ") {\n" + indented + "}\n";
  }
}
