package dev.kiln.tf;

import dev.kiln.ir.Tensor;
import dev.kiln.ir.Value;
import dev.kiln.ir.op.Op;
import java.util.Optional;

/**
 * What a converter may do while turning one TensorFlow node into core ops. Every node it emits
 * gets the TensorFlow node's name as location; type inference runs as it is built, and nodes whose
 * operands are all constants are evaluated on the spot.
 */
public interface TfContext {
  /** Emits {@code op} on {@code operands} and returns its single result. */
  Value emit(Op op, Value... operands);

  /** A constant value. */
  Value constant(Tensor t);

  /** The value of {@code v} when it is known at import time. */
  Optional<Tensor> constantValue(Value v);

  /** Like {@link #constantValue} but a {@link TfError} naming {@code what} when unknown. */
  default Tensor requireConstant(Value v, String what) {
    return constantValue(v).orElseThrow(() ->
      new TfError(what + " must be a constant known at compile time")
    );
  }
}
