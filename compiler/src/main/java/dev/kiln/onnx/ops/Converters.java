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
    AttentionConverters.register(r);
    ControlFlowConverters.register(r);
    TrainingConverters.register(r);
    MlConverters.register(r);
    LossConverters.register(r);
    AlgebraConverters.register(r);
    QuantizationConverters.register(r);
    LoopConverters.register(r);
    RecurrentConverters.register(r);
    QuantizedConverters.register(r);
    TensorOpConverters.register(r);
    FoldedConverters.register(r);
    SamplingConverters.register(r);
    SignalConverters.register(r);
    return r;
  }
}
