package dev.kiln.cli;

import dev.kiln.frontend.ImportOptions;
import dev.kiln.frontend.ImportedModel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * The model a command reads (ONNX or TensorFlow, told apart by content) and, for TensorFlow graphs,
 * the tensors it computes ({@code --output NODE[:i]}); shared by the commands as a picocli mixin.
 */
final class ModelSource {

  @Parameters(
    index = "0",
    paramLabel = "MODEL",
    description = "An .onnx model or a TensorFlow GraphDef (.pb, .pbtxt)."
  )
  Path model;

  @Option(
    names = "--output",
    paramLabel = "NODE[:i]",
    description = "TensorFlow graphs: a tensor to compute (repeatable; default: the sink nodes)."
  )
  List<String> outputs = new ArrayList<>();

  ImportedModel load(ImportOptions options) {
    return Frontends.importFile(model, options, outputs);
  }
}
