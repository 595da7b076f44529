package dev.kiln.onnx;

import dev.kiln.ir.Tensor;
import dev.kiln.ir.Value;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One ONNX node as converters see it, independent of the protobuf classes: op type, domain, name,
 * input values ({@code null} where an optional input is absent, i.e. named {@code ""}), the number
 * of outputs, and attributes decoded to Java values: {@code Long} (INT), {@code Double} (FLOAT),
 * {@code String}, {@link Tensor}, {@code List<Long>}, {@code List<Double>}, {@code List<String>},
 * {@code List<Tensor>}, and {@link OnnxGraph} for subgraphs.
 */
public record OnnxNode(
  String opType,
  String domain,
  String name,
  List<Value> inputs,
  int numOutputs,
  Map<String, Object> attributes
) {
  public OnnxNode {
    inputs = java.util.Collections.unmodifiableList(new ArrayList<>(inputs));
    attributes = Map.copyOf(attributes);
  }

  /** Input {@code i}, or null when absent (beyond the list or named {@code ""}). */
  public Value input(int i) {
    return i < inputs.size() ? inputs.get(i) : null;
  }

  public boolean hasInput(int i) {
    return input(i) != null;
  }

  public boolean has(String attr) {
    return attributes.containsKey(attr);
  }

  public long getInt(String attr, long dflt) {
    return attributes.containsKey(attr) ? typed(attr, Long.class) : dflt;
  }

  public long getInt(String attr) {
    return typed(attr, Long.class);
  }

  public double getFloat(String attr, double dflt) {
    return attributes.containsKey(attr) ? typed(attr, Double.class) : dflt;
  }

  public String getString(String attr, String dflt) {
    return attributes.containsKey(attr) ? typed(attr, String.class) : dflt;
  }

  @SuppressWarnings("unchecked")
  public List<Long> getInts(String attr, List<Long> dflt) {
    return attributes.containsKey(attr) ? (List<Long>) typed(attr, List.class) : dflt;
  }

  @SuppressWarnings("unchecked")
  public List<Double> getFloats(String attr, List<Double> dflt) {
    return attributes.containsKey(attr) ? (List<Double>) typed(attr, List.class) : dflt;
  }

  @SuppressWarnings("unchecked")
  public List<String> getStrings(String attr, List<String> dflt) {
    return attributes.containsKey(attr) ? (List<String>) typed(attr, List.class) : dflt;
  }

  public Optional<Tensor> getTensor(String attr) {
    return attributes.containsKey(attr) ? Optional.of(typed(attr, Tensor.class)) : Optional.empty();
  }

  public Optional<OnnxGraph> getGraph(String attr) {
    return attributes.containsKey(attr)
      ? Optional.of(typed(attr, OnnxGraph.class))
      : Optional.empty();
  }

  private static String kind(Class<?> c) {
    if (c == Long.class) {
      return "an int";
    } else if (c == Double.class) {
      return "a float";
    } else if (c == String.class) {
      return "a string";
    } else if (c == Tensor.class) {
      return "a tensor";
    } else if (c == OnnxGraph.class) {
      return "a graph";
    }
    return "a list";
  }

  private <T> T typed(String attr, Class<T> type) {
    Object v = attributes.get(attr);
    if (v == null) {
      throw new OnnxError("attribute '" + attr + "' is required");
    }
    if (!type.isInstance(v)) {
      throw new OnnxError(
        "attribute '" + attr + "' must be " + kind(type) + ", got " + kind(v.getClass())
      );
    }
    return type.cast(v);
  }
}
