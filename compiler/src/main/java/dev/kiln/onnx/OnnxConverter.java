package dev.kiln.onnx;

import dev.kiln.ir.Value;
import java.util.List;

/**
 * Turns one ONNX node into core ops. Returns one value per node output, in order; {@code null}
 * marks an optional output the converter does not produce (an error if the model uses it). Problems
 * are thrown as {@link OnnxError}.
 */
@FunctionalInterface
public interface OnnxConverter {
  List<Value> convert(OnnxNode node, ImportContext ctx);
}
