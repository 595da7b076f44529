package dev.kiln.tf.ops;

import dev.kiln.tf.TfConverter;
import java.util.HashMap;
import java.util.Map;

/** Every TensorFlow op type Kiln converts, by name. */
public final class TfConverters {

  private static final Map<String, TfConverter> ALL = build();

  private TfConverters() {}

  /** The converters by op type. */
  public static Map<String, TfConverter> all() {
    return ALL;
  }

  private static Map<String, TfConverter> build() {
    Map<String, TfConverter> r = new HashMap<>();
    MathConverters.register(r);
    NnConverters.register(r);
    ArrayConverters.register(r);
    QuantizedConverters.register(r);
    ResizeConverters.register(r);
    return Map.copyOf(r);
  }
}
