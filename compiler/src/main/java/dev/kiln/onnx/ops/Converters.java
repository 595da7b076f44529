package dev.kiln.onnx.ops;

import dev.kiln.onnx.ConverterRegistry;

/** Every ONNX converter family, registered into one registry. */
public final class Converters {

  private Converters() {}

  public static ConverterRegistry all() {
    ConverterRegistry r = new ConverterRegistry();
    ElementwiseConverters.register(r);
    ShapeConverters.register(r);
    IndexingConverters.register(r);
    MathConverters.register(r);
    SpatialConverters.register(r);
    ControlFlowConverters.register(r);
    SamplingConverters.register(r);
    SignalConverters.register(r);
    return r;
  }
}
