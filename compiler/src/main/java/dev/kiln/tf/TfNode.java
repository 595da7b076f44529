package dev.kiln.tf;

import dev.kiln.ir.ElementType;
import dev.kiln.ir.Value;
import dev.kiln.tf.proto.TfProto;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/**
 * One TensorFlow node as a converter sees it: its data inputs (control inputs dropped), already
 * imported, and its attributes.
 */
public record TfNode(
  String name,
  String op,
  List<Value> inputs,
  Map<String, TfProto.AttrValue> attrs
) {
  public TfNode {
    inputs = List.copyOf(inputs);
    attrs = Map.copyOf(attrs);
  }

  public Value input(int i) {
    TfError.check(i < inputs.size(), "needs at least %d inputs, has %d", i + 1, inputs.size());
    return inputs.get(i);
  }

  public int numInputs() {
    return inputs.size();
  }

  public boolean has(String attr) {
    return attrs.containsKey(attr);
  }

  public long i(String attr, long fallback) {
    TfProto.AttrValue a = attrs.get(attr);
    return a == null ? fallback : a.getI();
  }

  public double f(String attr, double fallback) {
    TfProto.AttrValue a = attrs.get(attr);
    return a == null ? fallback : a.getF();
  }

  public boolean b(String attr, boolean fallback) {
    TfProto.AttrValue a = attrs.get(attr);
    return a == null ? fallback : a.getB();
  }

  public String s(String attr, String fallback) {
    TfProto.AttrValue a = attrs.get(attr);
    return a == null ? fallback : a.getS().toString(StandardCharsets.UTF_8);
  }

  public List<Long> ints(String attr, List<Long> fallback) {
    TfProto.AttrValue a = attrs.get(attr);
    return a == null ? fallback : List.copyOf(a.getList().getIList());
  }

  /** The element type of a {@code type} attribute, or {@code fallback} when absent. */
  public ElementType type(String attr, ElementType fallback) {
    TfProto.AttrValue a = attrs.get(attr);
    return a == null ? fallback : TfTensors.elementType(a.getType());
  }
}
