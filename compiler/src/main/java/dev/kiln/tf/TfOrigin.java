package dev.kiln.tf;

import dev.kiln.frontend.ModelOrigin;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What a TensorFlow {@code GraphDef} says about itself: the producer version of its {@code
 * versions} field (0 when absent).
 */
public record TfOrigin(long producer) implements ModelOrigin {
  @Override
  public String describe() {
    return "TensorFlow GraphDef" + (producer > 0 ? ", producer " + producer : "");
  }

  @Override
  public Map<String, Object> properties() {
    Map<String, Object> p = new LinkedHashMap<>();
    p.put("format", "tensorflow");
    p.put("producer", producer);
    return p;
  }
}
