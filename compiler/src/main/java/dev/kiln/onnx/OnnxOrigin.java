package dev.kiln.onnx;

import dev.kiln.frontend.ModelOrigin;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What an ONNX model says about itself: its IR version and its opset for the default domain.
 *
 * @param irVersion the {@code ModelProto.ir_version}
 * @param opset the version of the default ({@code ai.onnx}) operator set the model imports
 */
public record OnnxOrigin(long irVersion, long opset) implements ModelOrigin {
  @Override
  public String describe() {
    return "IR version " + irVersion + ", opset " + opset;
  }

  @Override
  public Map<String, Object> properties() {
    Map<String, Object> p = new LinkedHashMap<>();
    p.put("irVersion", irVersion);
    p.put("opset", opset);
    return p;
  }
}
