package dev.kiln.onnx;

import dev.kiln.ir.Module;
import java.util.List;

/**
 * The result of importing a model: a module whose {@code @main} takes {@code inputNames} in order
 * and returns {@code outputNames} in order, plus the model's opset for the default domain.
 */
public record ImportedModel(
  Module module,
  List<String> inputNames,
  List<String> outputNames,
  long opset,
  long irVersion
) {
  public ImportedModel {
    inputNames = List.copyOf(inputNames);
    outputNames = List.copyOf(outputNames);
  }
}
