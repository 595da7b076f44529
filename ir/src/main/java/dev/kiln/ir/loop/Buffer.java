package dev.kiln.ir.loop;

import dev.kiln.ir.Tensor;
import java.util.Objects;

/**
 * A flat array of {@code length} elements of {@code elem} with a static size. Buffers compare by
 * identity.
 *
 * <ul>
 *   <li>{@link Kind#INPUT} / {@link Kind#OUTPUT}: the caller's tensor number {@code param};
 *   <li>{@link Kind#CONSTANT}: read-only data ({@code data}, row-major);
 *   <li>{@link Kind#WORKSPACE}: bytes {@code [offset, offset + length * elem.bytes())} of the
 *       caller's workspace, {@code offset} a multiple of 64.
 * </ul>
 *
 * Input and output buffers also carry the tensor's {@code dims} and the model's {@code sourceName}
 * for the generated header.
 */
public final class Buffer {

  /** Where a buffer's bytes live. */
  public enum Kind {
    INPUT,
    OUTPUT,
    CONSTANT,
    WORKSPACE,
  }

  private final String name;
  private final Scalar elem;
  private final long length;
  private final Kind kind;
  private final int param;
  private final long offset;
  private final Tensor data;
  private final long[] dims;
  private final String sourceName;

  private Buffer(
    String name,
    Scalar elem,
    long length,
    Kind kind,
    int param,
    long offset,
    Tensor data,
    long[] dims,
    String sourceName
  ) {
    if (length < 0 || offset < 0) {
      throw new IllegalArgumentException("buffer " + name + ": length " + length);
    }
    this.name = Objects.requireNonNull(name);
    this.elem = Objects.requireNonNull(elem);
    this.length = length;
    this.kind = kind;
    this.param = param;
    this.offset = offset;
    this.data = data;
    this.dims = dims == null ? new long[] { length } : dims.clone();
    this.sourceName = sourceName;
  }

  /** Caller tensor {@code param} of the inputs (or outputs) with the given dims. */
  public static Buffer param(
    Kind kind,
    String name,
    Scalar elem,
    int param,
    long[] dims,
    String sourceName
  ) {
    if (kind != Kind.INPUT && kind != Kind.OUTPUT) {
      throw new IllegalArgumentException(kind + " is not a parameter");
    }
    long n = 1;
    for (long d : dims) {
      n = Math.multiplyExact(n, d);
    }
    return new Buffer(name, elem, n, kind, param, 0, null, dims, sourceName);
  }

  /** Read-only data; {@code data} holds {@code length} elements of {@code elem}. */
  public static Buffer constant(String name, Scalar elem, Tensor data) {
    return new Buffer(name, elem, data.size(), Kind.CONSTANT, -1, 0, data, null, null);
  }

  /** Workspace bytes at {@code offset}. */
  public static Buffer workspace(String name, Scalar elem, long length, long offset) {
    return new Buffer(name, elem, length, Kind.WORKSPACE, -1, offset, null, null, null);
  }

  public String name() {
    return name;
  }

  public Scalar elem() {
    return elem;
  }

  /** Number of elements. */
  public long length() {
    return length;
  }

  /** Number of bytes: {@code length * elem.bytes()}. */
  public long bytes() {
    return Math.multiplyExact(length, elem.bytes());
  }

  public Kind kind() {
    return kind;
  }

  /** The caller's tensor number for inputs and outputs, -1 otherwise. */
  public int param() {
    return param;
  }

  /** Workspace byte offset (0 for the other kinds). */
  public long offset() {
    return offset;
  }

  /** Constant data, null for the other kinds. */
  public Tensor data() {
    return data;
  }

  /** Tensor dims of an input or output; {@code [length]} otherwise. */
  public long[] dims() {
    return dims.clone();
  }

  /** The model's name for an input or output, null otherwise. */
  public String sourceName() {
    return sourceName;
  }

  @Override
  public String toString() {
    return "%" + name;
  }
}
