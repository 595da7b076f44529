package dev.kiln.ir.loop;

/**
 * Binary scalar operations on two operands of one type.
 *
 * <ul>
 *   <li>{@code ADD SUB MUL}: wrap around on integers.
 *   <li>{@code DIV}: IEEE on floats; on integers truncates toward zero and gives 0 when the divisor
 *       is 0 (and the dividend for {@code MIN / -1}), so generated code never traps.
 *   <li>{@code REM}: C's {@code fmod} on floats; integer remainder with the dividend's sign, 0 for a
 *       zero divisor.
 *   <li>{@code MIN MAX}: NaN when either float operand is NaN.
 *   <li>{@code POW ATAN2}: C's {@code pow}, {@code atan2}; floats only.
 *   <li>{@code AND OR XOR}: logical on {@code BOOL}, bitwise on integers.
 *   <li>{@code SHL SHR}: shifts on integers (arithmetic right shift for signed types); a shift by at
 *       least the bit width gives 0 ({@code SHR} of a negative signed value gives -1).
 *   <li>{@code EQ NE LT LE GT GE}: comparisons giving {@code BOOL}, signed or unsigned as the type
 *       says, ordered on floats ({@code NE} is unordered: true when either is NaN).
 * </ul>
 */
public enum BinaryOp {
  ADD,
  SUB,
  MUL,
  DIV,
  REM,
  MIN,
  MAX,
  POW,
  ATAN2,
  AND,
  OR,
  XOR,
  SHL,
  SHR,
  EQ,
  NE,
  LT,
  LE,
  GT,
  GE;

  /** The text name, lower case. */
  public String text() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }

  /** True for the comparisons. */
  public boolean isComparison() {
    return ordinal() >= EQ.ordinal();
  }

  void check(Scalar t) {
    boolean ok = switch (this) {
      case POW, ATAN2 -> t.isFloat();
      case AND, OR, XOR -> !t.isFloat();
      case SHL, SHR -> t.isInteger();
      case EQ, NE -> true;
      default -> t != Scalar.BOOL;
    };
    if (!ok || t == Scalar.F16 || t == Scalar.BF16) {
      throw new IllegalArgumentException(text() + " of " + t);
    }
  }
}
