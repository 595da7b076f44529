package dev.kiln.frontend;

import dev.kiln.ir.ElementType;
import dev.kiln.ir.Shape;
import dev.kiln.ir.Tensor;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.SequencedSet;

/**
 * How to import a model, whatever its format. Inputs are named as the frontend names them: an ONNX
 * graph input, a TensorFlow {@code NODE[:i]} tensor (which cuts the graph there).
 *
 * @param inputShapes shapes bound to inputs by name (from {@code --input NAME=1x3x224x224} or from
 *     input files); symbolic dimensions named in the model take the bound sizes everywhere
 * @param inputTypes element types forced on inputs (the {@code :f32} suffix), usually empty
 * @param constantInputs inputs whose values are known at compile time: they become constants and
 *     are no longer function arguments
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

  /** Every name these options bind: the shapes' names, then the types', then the constants'. */
  public SequencedSet<String> boundNames() {
    SequencedSet<String> names = new LinkedHashSet<>(inputShapes.keySet());
    names.addAll(inputTypes.keySet());
    names.addAll(constantInputs.keySet());
    return names;
  }
}
