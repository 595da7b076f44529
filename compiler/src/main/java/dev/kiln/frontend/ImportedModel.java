package dev.kiln.frontend;

import dev.kiln.ir.Module;
import java.util.List;

/**
 * The result of importing a model with any frontend: a module whose {@code @main} takes {@code
 * inputNames} in order and returns {@code outputNames} in order, plus what the source format says
 * about the file it came from.
 */
public record ImportedModel(
  Module module,
  List<String> inputNames,
  List<String> outputNames,
  ModelOrigin origin
) {
  public ImportedModel {
    inputNames = List.copyOf(inputNames);
    outputNames = List.copyOf(outputNames);
  }
}
