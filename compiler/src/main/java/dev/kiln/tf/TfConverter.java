package dev.kiln.tf;

import dev.kiln.ir.Value;
import java.util.List;

/**
 * Turns one TensorFlow node into core ops. Returns one value per node output, in order. Problems
 * are thrown as {@link TfError}.
 */
@FunctionalInterface
public interface TfConverter {
  List<Value> convert(TfNode node, TfContext ctx);
}
