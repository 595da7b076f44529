package dev.kiln.ir;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * An immutable dense tensor with a static shape: the payload of constants and the values the
 * interpreter computes. Elements are stored row-major, little-endian, {@link
 * ElementType#byteSize()} bytes each; booleans are one byte, 0 or 1. Float8 and float4 elements are
 * their codes, one byte each, and the other sub-byte types are one byte each, sign- or
 * zero-extended (see {@link ElementType}); a payload with any other byte is rejected.
 *
 * <p>A tensor read from {@code .kir} text whose payload was elided ({@code --elide-constants-over})
 * has a type and a resource name but no data; reading its elements is an error.
 */
public final class Tensor {

  private final TensorType type;
  private final byte[] data;
  private final String elidedName;
  private final long count;
  private int hash;

  private Tensor(TensorType type, byte[] data, String elidedName) {
    if (!type.isStatic()) {
      throw new IllegalArgumentException("a tensor needs a static shape, got " + type);
    }
    this.type = type;
    this.count = type.shape().numElements().orElseThrow();
    this.data = data;
    this.elidedName = elidedName;
    if (data != null) {
      long want = Math.multiplyExact(count, (long) type.elementType().byteSize());
      if (data.length != want) {
        throw new IllegalArgumentException(
          "tensor " + type + " needs " + want + " bytes, got " + data.length
        );
      }
      ElementType e = type.elementType();
      if (e.isSubByte()) {
        for (int i = 0; i < data.length; i++) {
          if (!LowPrecision.isCanonical(e, data[i])) {
            throw new IllegalArgumentException(
              String.format("byte 0x%02X at element %d is not a valid %s element", data[i], i, e)
            );
          }
        }
      }
    }
  }

  /** A tensor over a copy of {@code bytes} (little-endian element encoding). */
  public static Tensor ofBytes(TensorType type, byte[] bytes) {
    return new Tensor(type, bytes.clone(), null);
  }

  /** A tensor that takes ownership of {@code bytes}; callers must not change them afterwards. */
  public static Tensor wrap(TensorType type, byte[] bytes) {
    return new Tensor(type, bytes, null);
  }

  /** A tensor with no payload, as parsed from an elided resource. */
  public static Tensor elided(TensorType type, String name) {
    return new Tensor(type, null, name);
  }

  /**
   * Elements converted from doubles (rounded to the element type, integers truncated and wrapped;
   * float8 and float4 with {@link LowPrecision#encode(ElementType, double)}, which saturates).
   */
  public static Tensor ofDoubles(TensorType type, double... values) {
    Builder b = new Builder(type);
    for (int i = 0; i < values.length; i++) {
      b.setDouble(i, values[i]);
    }
    return b.build();
  }

  /** Elements converted from longs. */
  public static Tensor ofLongs(TensorType type, long... values) {
    Builder b = new Builder(type);
    for (int i = 0; i < values.length; i++) {
      b.setLong(i, values[i]);
    }
    return b.build();
  }

  /** A tensor whose every element is {@code value}. */
  public static Tensor splat(TensorType type, double value) {
    Builder b = new Builder(type);
    for (long i = 0; i < b.count; i++) {
      b.setDouble(i, value);
    }
    return b.build();
  }

  public static Tensor scalar(ElementType e, double value) {
    return ofDoubles(new TensorType(e, Shape.SCALAR), value);
  }

  public TensorType type() {
    return type;
  }

  public ElementType elementType() {
    return type.elementType();
  }

  public Shape shape() {
    return type.shape();
  }

  /** Number of elements. */
  public long size() {
    return count;
  }

  public boolean hasData() {
    return data != null;
  }

  /** The resource name of an elided tensor, or null. */
  public String elidedName() {
    return elidedName;
  }

  /** A copy of the little-endian payload. */
  public byte[] bytes() {
    return payload().clone();
  }

  private byte[] payload() {
    if (data == null) {
      throw new IllegalStateException("the payload of resource " + elidedName + " was elided");
    }
    return data;
  }

  /** Element {@code i} (row-major) as a double. */
  public double getDouble(long i) {
    return Elements.getDouble(payload(), type.elementType(), i);
  }

  /** Element {@code i} (row-major) as a long; floats are truncated toward zero. */
  public long getLong(long i) {
    return Elements.getLong(payload(), type.elementType(), i);
  }

  /** All elements as doubles. */
  public double[] toDoubles() {
    double[] r = new double[Math.toIntExact(count)];
    for (int i = 0; i < r.length; i++) {
      r[i] = getDouble(i);
    }
    return r;
  }

  /** All elements as longs. */
  public long[] toLongs() {
    long[] r = new long[Math.toIntExact(count)];
    for (int i = 0; i < r.length; i++) {
      r[i] = getLong(i);
    }
    return r;
  }

  /** True when all elements have the same bit pattern. */
  public boolean isSplat() {
    byte[] d = payload();
    int w = type.elementType().byteSize();
    for (int i = w; i < d.length; i += w) {
      if (!Arrays.equals(d, 0, w, d, i, i + w)) {
        return false;
      }
    }
    return true;
  }

  /** The same payload under another static shape of equal element count. */
  public Tensor reshape(Shape shape) {
    return new Tensor(type.withShape(shape), data, elidedName);
  }

  /** Hex of the payload, {@code 0x...}; the form resources print in. */
  public String toHex() {
    return "0x" + HexFormat.of().withUpperCase().formatHex(payload());
  }

  public static Tensor fromHex(TensorType type, String hex) {
    return wrap(type, HexFormat.of().parseHex(hex.substring(2)));
  }

  @Override
  public boolean equals(Object o) {
    return (
      o instanceof Tensor t &&
      type.equals(t.type) &&
      (data == null
          ? t.data == null && elidedName.equals(t.elidedName)
          : Arrays.equals(data, t.data))
    );
  }

  @Override
  public int hashCode() {
    int h = hash;
    if (h == 0) {
      h = 31 * type.hashCode() + (data == null ? elidedName.hashCode() : Arrays.hashCode(data));
      hash = h;
    }
    return h;
  }

  @Override
  public String toString() {
    return "Tensor" + type + (data == null ? "(elided " + elidedName + ")" : "");
  }

  /** Fills a fresh payload element by element, then freezes it into a {@link Tensor}. */
  public static final class Builder {

    private final TensorType type;
    private final byte[] data;
    private final long count;

    public Builder(TensorType type) {
      this.type = type;
      this.count = type.shape().numElements().orElseThrow();
      this.data = new byte[Math.toIntExact(
        Math.multiplyExact(count, type.elementType().byteSize())
      )];
    }

    public Builder setDouble(long i, double v) {
      Elements.setDouble(data, type.elementType(), i, v);
      return this;
    }

    public Builder setLong(long i, long v) {
      Elements.setLong(data, type.elementType(), i, v);
      return this;
    }

    /**
     * Stores code {@code code} of a float8 or float4 element type as element {@code i}, as
     * {@link LowPrecision#encode} computes it.
     */
    public Builder setCode(long i, int code) {
      ElementType e = type.elementType();
      if (!e.isLowPrecisionFloat()) {
        throw new IllegalArgumentException(e + " elements have no code");
      }
      data[Math.toIntExact(i)] = (byte) (e == ElementType.F4E2M1 ? code & 0xf : code);
      return this;
    }

    public long size() {
      return count;
    }

    public Tensor build() {
      return new Tensor(type, data, null);
    }
  }

  /** Element encoding and decoding on little-endian byte arrays. */
  static final class Elements {

    private static final VarHandle I16 = view(short[].class);
    private static final VarHandle I32 = view(int[].class);
    private static final VarHandle I64 = view(long[].class);
    private static final VarHandle F32 = view(float[].class);
    private static final VarHandle F64 = view(double[].class);

    private Elements() {}

    private static VarHandle view(Class<?> arrayClass) {
      return MethodHandles.byteArrayViewVarHandle(arrayClass, ByteOrder.LITTLE_ENDIAN);
    }

    static double getDouble(byte[] d, ElementType e, long index) {
      int i = Math.toIntExact(index);
      return switch (e) {
        case F16 -> Float.float16ToFloat((short) I16.get(d, i * 2));
        case BF16 -> Float.intBitsToFloat(((short) I16.get(d, i * 2) & 0xffff) << 16);
        case F32 -> (float) F32.get(d, i * 4);
        case F64 -> (double) F64.get(d, i * 8);
        case F8E4M3FN, F8E4M3FNUZ, F8E5M2, F8E5M2FNUZ, F8E8M0, F4E2M1 -> LowPrecision.decode(
          e,
          d[i]
        );
        case U64 -> {
          long v = (long) I64.get(d, i * 8);
          yield v >= 0 ? v : (double) (v >>> 1) * 2.0 + (v & 1);
        }
        default -> getLong(d, e, index);
      };
    }

    static long getLong(byte[] d, ElementType e, long index) {
      int i = Math.toIntExact(index);
      return switch (e) {
        case I8, I4, I2 -> d[i];
        case U8, BOOL, U4, U2 -> d[i] & 0xff;
        case I16 -> (short) I16.get(d, i * 2);
        case U16 -> (short) I16.get(d, i * 2) & 0xffff;
        case I32 -> (int) I32.get(d, i * 4);
        case U32 -> (int) I32.get(d, i * 4) & 0xffffffffL;
        case I64, U64 -> (long) I64.get(d, i * 8);
        case
          F16,
          BF16,
          F32,
          F64,
          F8E4M3FN,
          F8E4M3FNUZ,
          F8E5M2,
          F8E5M2FNUZ,
          F8E8M0,
          F4E2M1 -> (long) getDouble(d, e, index);
      };
    }

    static void setDouble(byte[] d, ElementType e, long index, double v) {
      int i = Math.toIntExact(index);
      switch (e) {
        case F16 -> I16.set(d, i * 2, Float.floatToFloat16((float) v));
        case BF16 -> I16.set(d, i * 2, toBfloat16((float) v));
        case F32 -> F32.set(d, i * 4, (float) v);
        case F64 -> F64.set(d, i * 8, v);
        case F8E4M3FN, F8E4M3FNUZ, F8E5M2, F8E5M2FNUZ, F8E8M0, F4E2M1 -> d[i] =
          (byte) LowPrecision.encode(e, v);
        case BOOL -> d[i] = (byte) (v != 0 ? 1 : 0);
        default -> setLong(d, e, index, (long) v);
      }
    }

    static void setLong(byte[] d, ElementType e, long index, long v) {
      int i = Math.toIntExact(index);
      switch (e) {
        case I8, U8 -> d[i] = (byte) v;
        case BOOL -> d[i] = (byte) (v != 0 ? 1 : 0);
        case I16, U16 -> I16.set(d, i * 2, (short) v);
        case I32, U32 -> I32.set(d, i * 4, (int) v);
        case I64, U64 -> I64.set(d, i * 8, v);
        case I4, U4, I2, U2 -> d[i] = (byte) LowPrecision.wrap(e, v);
        case
          F16,
          BF16,
          F32,
          F64,
          F8E4M3FN,
          F8E4M3FNUZ,
          F8E5M2,
          F8E5M2FNUZ,
          F8E8M0,
          F4E2M1 -> setDouble(d, e, index, v);
      }
    }

    /** Round-to-nearest-even truncation of a float to its upper 16 bits; NaN stays NaN. */
    static short toBfloat16(float f) {
      int bits = Float.floatToRawIntBits(f);
      if (Float.isNaN(f)) {
        return (short) ((bits >>> 16) | 0x40);
      }
      int rounding = 0x7fff + ((bits >>> 16) & 1);
      return (short) ((bits + rounding) >>> 16);
    }
  }
}
