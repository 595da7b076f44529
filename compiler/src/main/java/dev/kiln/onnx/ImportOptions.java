package dev.kiln.onnx;

import dev.kiln.ir.ElementType;
import dev.kiln.ir.Shape;
import dev.kiln.ir.Tensor;
import java.util.Map;

/**
 * How to import a model.
 *
 * @param inputShapes shapes bound to graph inputs by name (from {@code --input NAME=1x3x224x224} or
 *     from input files); symbolic dimensions named in the model take the bound sizes everywhere
 * @param inputTypes element types forced on inputs (the {@code :f32} suffix), usually empty
 * @param constantInputs graph inputs whose values are known at compile time: they become constants
 *     and are no longer function arguments
 */
public record ImportOptions(
  Map<String, Shape> inputShapes,
  Map<String, ElementType> inputTypes,
  Map<String, Tensor> constantInputs
) {
  public ImportOptions {
    inputShapes = Map.copyOf(inputShapes);
    inputTypes = Map.copyOf(inputTypes);
    constantInputs = Map.copyOf(constantInputs);
  }

  public static ImportOptions defaults() {
    return new ImportOptions(Map.of(), Map.of(), Map.of());
  }

  public ImportOptions withConstantInputs(Map<String, Tensor> constants) {
    return new ImportOptions(inputShapes, inputTypes, constants);
  }
}
