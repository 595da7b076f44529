package dev.kiln.ir;

import java.util.List;

/**
 * A function: a name, a body whose block arguments are the inputs, and declared result types that
 * the body's {@code return} must produce. Text form {@code func @main(%x: tensor<...>) ->
 * (tensor<...>) { ... }}.
 */
public final class Func {

  private final String name;
  private final Region body = new Region();
  private List<TensorType> resultTypes;
  private Location location;

  public Func(String name, List<TensorType> resultTypes, Location location) {
    this.name = name;
    this.resultTypes = List.copyOf(resultTypes);
    this.location = location;
    body.setParentFunc(this);
  }

  public String name() {
    return name;
  }

  public Region body() {
    return body;
  }

  public Block entry() {
    return body.block();
  }

  public List<BlockArgument> arguments() {
    return entry().arguments();
  }

  public List<TensorType> resultTypes() {
    return resultTypes;
  }

  /** Changes the declared result types, for importers that learn them after building the body. */
  public void setResultTypes(List<TensorType> types) {
    this.resultTypes = List.copyOf(types);
  }

  public Location location() {
    return location;
  }

  public void setLocation(Location location) {
    this.location = location;
  }
}
