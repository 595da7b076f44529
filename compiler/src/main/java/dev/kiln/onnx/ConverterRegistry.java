package dev.kiln.onnx;

import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Converters by (domain, op type, first opset version). The converter for a node is the one with
 * the largest {@code since} not above the model's opset for the domain, so opset differences end
 * here and never reach the IR.
 */
public final class ConverterRegistry {

  /** The default ONNX domain, as written in models ({@code ""} or {@code ai.onnx}). */
  public static final String ONNX = "";

  private final Map<String, TreeMap<Integer, OnnxConverter>> byOp = new HashMap<>();

  /** Registers {@code c} for {@code opType} of the default domain from opset {@code since} on. */
  public ConverterRegistry add(String opType, int since, OnnxConverter c) {
    return add(ONNX, opType, since, c);
  }

  public ConverterRegistry add(String domain, String opType, int since, OnnxConverter c) {
    String key = normalize(domain) + "::" + opType;
    if (byOp.computeIfAbsent(key, k -> new TreeMap<>()).put(since, c) != null) {
      throw new IllegalStateException("two converters for " + key + " since " + since);
    }
    return this;
  }

  public Optional<OnnxConverter> find(String domain, String opType, int opset) {
    TreeMap<Integer, OnnxConverter> versions = byOp.get(normalize(domain) + "::" + opType);
    if (versions == null) {
      return Optional.empty();
    }
    Map.Entry<Integer, OnnxConverter> e = versions.floorEntry(opset);
    return e == null ? Optional.empty() : Optional.of(e.getValue());
  }

  public boolean knows(String domain, String opType) {
    return byOp.containsKey(normalize(domain) + "::" + opType);
  }

  static String normalize(String domain) {
    return domain.equals("ai.onnx") ? ONNX : domain;
  }
}
