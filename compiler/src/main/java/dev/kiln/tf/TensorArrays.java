package dev.kiln.tf;

import dev.kiln.ir.ElementType;
import dev.kiln.ir.Tensor;
import dev.kiln.ir.Value;
import dev.kiln.ir.op.Gather;
import java.util.List;
import java.util.Set;

/**
 * TensorFlow's {@code TensorArray*V3} ops, which never become IR values of their own. A handle is
 * a description (element type, size); a flow stands for the array's contents at one point of the
 * program: empty, a tensor whose leading axis holds the elements ({@code stacked[i]} is element
 * {@code i}), or, inside a while loop, the loop-carried array and the element one iteration
 * writes. {@code TensorArrayScatterV3} of elements {@code 0..n-1} gives the stacked tensor itself,
 * reads and gathers become {@code nn.gather} on axis 0, and an array written once per iteration at
 * the iteration number becomes a scan output of the loop (see {@link WhileLoops}). Anything else
 * (writes outside loops, reading what the same loop writes, {@code TensorArrayConcatV3}, ...) is
 * reported as not supported.
 */
final class TensorArrays {

  static final Set<String> OPS = Set.of(
    "TensorArrayV3",
    "TensorArrayScatterV3",
    "TensorArrayReadV3",
    "TensorArrayWriteV3",
    "TensorArrayGatherV3",
    "TensorArraySizeV3",
    "TensorArrayCloseV3"
  );

  private TensorArrays() {}

  /** What a TensorArray op produces or consumes in place of a tensor. */
  sealed interface Item permits Handle, Flow {}

  /** A TensorArray: {@code size} elements ({@code -1} when unknown) of type {@code dtype}. */
  record Handle(String node, ElementType dtype, long size, boolean dynamic) implements Item {}

  /** The contents of an array. */
  sealed interface Flow extends Item permits Empty, Content, Carried, Written {
    Handle handle();
  }

  /** Nothing written yet. */
  record Empty(Handle handle) implements Flow {}

  /** Element {@code i} is {@code stacked[i]}. */
  record Content(Handle handle, Value stacked) implements Flow {}

  /** The array a while loop carries, {@code initial} when the loop starts. */
  record Carried(Handle handle, Flow initial) implements Flow {}

  /** {@code from} with {@code element} written at {@code index} in this iteration. */
  record Written(Handle handle, Carried from, Value index, Value element) implements Flow {}

  /** The results of TensorArray op {@code n} on {@code inputs} (values or items). */
  static List<Object> convert(TfNode n, List<Object> inputs, TfContext c) {
    return switch (n.op()) {
      case "TensorArrayV3" -> {
        Value size = value(inputs, 0, "size");
        long known = c
          .constantValue(size)
          .map(t -> t.getLong(0))
          .orElse(-1L);
        Handle h = new Handle(
          n.name(),
          n.type("dtype", ElementType.F32),
          known,
          n.b("dynamic_size", false)
        );
        yield List.of(h, new Empty(h));
      }
      case "TensorArrayScatterV3" -> {
        Handle h = handle(inputs, 0);
        Value indices = value(inputs, 1, "indices");
        Value values = value(inputs, 2, "value");
        TfError.check(
          flow(inputs, 3) instanceof Empty,
          "scattering into an array that already holds elements is not supported"
        );
        Tensor idx = c.requireConstant(indices, "indices");
        TfError.check(
          values.type().rank() >= 1 && values.type().shape().dim(0).isKnown(),
          "value needs a known leading dimension, got %s",
          values.type()
        );
        long n0 = values.type().shape().dim(0).size();
        boolean identity = idx.size() == n0;
        for (long i = 0; identity && i < idx.size(); i++) {
          identity = idx.getLong(i) == i;
        }
        TfError.check(
          identity,
          "scattering to indices other than 0..%d is not supported",
          Math.max(0, n0 - 1)
        );
        checkType(h, values);
        yield List.of(new Content(h, values));
      }
      case "TensorArrayReadV3" -> List.of(
        c.emit(new Gather(0), stacked(flow(inputs, 2), "read"), value(inputs, 1, "index"))
      );
      case "TensorArrayGatherV3" -> List.of(
        c.emit(new Gather(0), stacked(flow(inputs, 2), "gather"), value(inputs, 1, "indices"))
      );
      case "TensorArrayWriteV3" -> {
        Handle h = handle(inputs, 0);
        Value value = value(inputs, 2, "value");
        checkType(h, value);
        if (
          flow(inputs, 3) instanceof Carried carried &&
          carried.initial() instanceof Empty &&
          carried.handle().equals(h)
        ) {
          yield List.of(new Written(h, carried, value(inputs, 1, "index"), value));
        }
        throw new TfError(
          "writing to a TensorArray other than once per iteration of a while loop is not supported"
        );
      }
      case "TensorArraySizeV3" -> {
        Handle h = handle(inputs, 0);
        Flow f = flow(inputs, 1);
        long size = -1;
        if (f instanceof Content ct && ct.stacked().type().shape().dim(0).isKnown()) {
          size = ct.stacked().type().shape().dim(0).size();
        } else if (h.size() >= 0 && !h.dynamic()) {
          size = h.size();
        }
        TfError.check(size >= 0, "the size of a dynamically sized TensorArray is not supported");
        yield List.of(c.constant(Tensor.scalar(ElementType.I32, size)));
      }
      case "TensorArrayCloseV3" -> List.of();
      default -> throw new IllegalStateException("not a TensorArray op: " + n.op());
    };
  }

  private static void checkType(Handle h, Value v) {
    TfError.check(
      v.type().elementType() == h.dtype(),
      "the array holds %s but the value is %s",
      h.dtype(),
      v.type()
    );
  }

  private static Value stacked(Flow f, String what) {
    if (f instanceof Content ct) {
      return ct.stacked();
    }
    if (f instanceof Carried cr && cr.initial() instanceof Content ct) {
      return ct.stacked();
    }
    throw new TfError(
      f instanceof Empty
        ? "cannot " + what + " from an array nothing was written to"
        : "a " + what + " of elements written by the same while loop is not supported"
    );
  }

  private static Object input(List<Object> inputs, int i) {
    TfError.check(i < inputs.size(), "needs at least %d inputs, has %d", i + 1, inputs.size());
    return inputs.get(i);
  }

  private static Handle handle(List<Object> inputs, int i) {
    if (input(inputs, i) instanceof Handle h) {
      return h;
    }
    throw new TfError("input " + i + " must be a TensorArray handle");
  }

  private static Flow flow(List<Object> inputs, int i) {
    if (input(inputs, i) instanceof Flow f) {
      return f;
    }
    throw new TfError("input " + i + " must be a TensorArray flow");
  }

  private static Value value(List<Object> inputs, int i, String what) {
    if (input(inputs, i) instanceof Value v) {
      return v;
    }
    throw new TfError(what + " must be a tensor, not a TensorArray");
  }
}
