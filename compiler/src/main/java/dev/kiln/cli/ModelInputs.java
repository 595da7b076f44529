package dev.kiln.cli;

import dev.kiln.frontend.ImportOptions;
import dev.kiln.io.Npy;
import dev.kiln.ir.DiagnosticException;
import dev.kiln.ir.ElementType;
import dev.kiln.ir.Location;
import dev.kiln.ir.Shape;
import dev.kiln.ir.Tensor;
import dev.kiln.onnx.ModelLoader;
import dev.kiln.onnx.TensorProtos;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The {@code --input} options of a command: bound shapes and, for files, input values. */
final class ModelInputs {

  final Map<String, Shape> shapes = new LinkedHashMap<>();
  final Map<String, ElementType> types = new HashMap<>();
  final Map<String, Tensor> values = new LinkedHashMap<>();

  static ModelInputs of(List<String> specs) {
    ModelInputs m = new ModelInputs();
    for (String s : specs) {
      InputSpec spec = InputSpec.parse(s);
      if (m.shapes.containsKey(spec.name())) {
        throw DiagnosticException.error(
          Location.UNKNOWN,
          "--input " + spec.name() + " is given twice"
        );
      }
      if (spec.file() != null) {
        Tensor t = read(spec.file());
        m.values.put(spec.name(), t);
        m.shapes.put(spec.name(), t.shape());
        m.types.put(spec.name(), t.elementType());
      } else {
        m.shapes.put(spec.name(), spec.shape());
        if (spec.type() != null) {
          m.types.put(spec.name(), spec.type());
        }
      }
    }
    return m;
  }

  ImportOptions options() {
    return new ImportOptions(shapes, types, Map.of());
  }

  private static Tensor read(Path file) {
    if (!Files.isRegularFile(file)) {
      throw DiagnosticException.error(Location.UNKNOWN, file + ": no such file");
    }
    String name = file.getFileName().toString();
    if (name.endsWith(".npy")) {
      return Npy.read(file);
    }
    return TensorProtos.decode(ModelLoader.readTensor(file), file.toAbsolutePath().getParent());
  }
}
