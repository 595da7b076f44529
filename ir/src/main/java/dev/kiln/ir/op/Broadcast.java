package dev.kiln.ir.op;

/** Index arithmetic for reading a broadcast operand while walking the output shape. */
public final class Broadcast {

  private Broadcast() {}

  /** The row-major offset into an operand of shape {@code in} for output index {@code idx}. */
  public static long flatIndex(long[] idx, long[] out, long[] in) {
    long off = 0;
    int shift = out.length - in.length;
    for (int d = 0; d < in.length; d++) {
      long i = in[d] == 1 ? 0 : idx[d + shift];
      off = off * in[d] + i;
    }
    return off;
  }

  /** Advances a row-major multi-index over {@code shape}. */
  public static void increment(long[] idx, long[] shape) {
    for (int d = idx.length - 1; d >= 0; d--) {
      if (++idx[d] < shape[d]) {
        return;
      }
      idx[d] = 0;
    }
  }

  /** Receives one output element: the builder, the output index, and the two operand indices. */
  @FunctionalInterface
  public interface Cell {
    void set(dev.kiln.ir.Tensor.Builder out, long i, long ia, long ib);
  }

  /** Walks the broadcast shape of {@code a} and {@code b}, building an {@code element} tensor. */
  public static dev.kiln.ir.Tensor map2(
    dev.kiln.ir.Tensor a,
    dev.kiln.ir.Tensor b,
    dev.kiln.ir.ElementType element,
    Cell cell
  ) {
    dev.kiln.ir.Shape out = Shapes.broadcast(a.shape(), b.shape());
    dev.kiln.ir.Tensor.Builder r = new dev.kiln.ir.Tensor.Builder(
      new dev.kiln.ir.TensorType(element, out)
    );
    long[] sa = a.shape().sizes();
    long[] sb = b.shape().sizes();
    long[] so = out.sizes();
    long[] idx = new long[so.length];
    for (long i = 0; i < r.size(); i++) {
      cell.set(r, i, flatIndex(idx, so, sa), flatIndex(idx, so, sb));
      increment(idx, so);
    }
    return r.build();
  }
}
