package dev.kiln.frontend;

import java.util.Map;

/**
 * The format-specific facts about an imported file (an ONNX model's IR version and opset, a
 * TensorFlow graph's producer version), as {@code kiln inspect} reports them.
 */
public interface ModelOrigin {
  /** One line that follows the file name, e.g. {@code IR version 8, opset 13}. */
  String describe();

  /** The same facts as JSON fields, in order. */
  Map<String, Object> properties();
}
