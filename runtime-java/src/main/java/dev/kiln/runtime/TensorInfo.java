package dev.kiln.runtime;

import java.util.List;

/**
 * One input or output of a compiled model, as its {@code kiln_tensor_desc_t} says: the name in the
 * source model, the element type and the dims of a dense row-major tensor.
 */
public record TensorInfo(String name, ElementType type, List<Long> dims) {
  public TensorInfo {
    dims = List.copyOf(dims);
  }

  /** The number of elements: the product of the dims (1 for a scalar). */
  public long elements() {
    long n = 1;
    for (long d : dims) {
      n = Math.multiplyExact(n, d);
    }
    return n;
  }

  /** The bytes a dense buffer of this tensor takes. */
  public long byteSize() {
    return Math.multiplyExact(elements(), type.bytes());
  }
}
