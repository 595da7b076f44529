package dev.kiln.cli;

import dev.kiln.frontend.ImportOptions;
import dev.kiln.frontend.ImportedModel;
import dev.kiln.ir.DiagnosticException;
import dev.kiln.ir.Location;
import dev.kiln.onnx.OnnxImporter;
import dev.kiln.tf.GraphLoader;
import dev.kiln.tf.TfImporter;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Picks the importer for a model file from its content: an ONNX {@code ModelProto} starts with its
 * {@code ir_version} varint (byte {@code 0x08}), a binary TensorFlow {@code GraphDef} with a node
 * (byte {@code 0x0A}), and protobuf text is TensorFlow's {@code .pbtxt}. A {@code .onnx} name
 * always means ONNX; otherwise unrecognized content goes to TensorFlow for {@code .pb} and {@code
 * .pbtxt} names and to ONNX for the rest, whose loaders then explain what is wrong.
 */
final class Frontends {

  /** The model formats Kiln reads. */
  enum Format {
    ONNX,
    TENSORFLOW,
  }

  private Frontends() {}

  static Format detect(Path file) {
    byte[] head = new byte[4096];
    int n = 0;
    if (Files.isRegularFile(file)) {
      try (InputStream in = Files.newInputStream(file)) {
        n = in.readNBytes(head, 0, head.length);
      } catch (IOException e) {
        n = 0;
      }
    }
    String name = file.getFileName() == null
      ? ""
      : file.getFileName().toString().toLowerCase(Locale.ROOT);
    if ((n > 0 && head[0] == 0x08) || name.endsWith(".onnx")) {
      return Format.ONNX;
    }
    if (n > 0 && (head[0] == 0x0A || GraphLoader.isText(Arrays.copyOf(head, n)))) {
      return Format.TENSORFLOW;
    }
    return name.endsWith(".pb") || name.endsWith(".pbtxt") ? Format.TENSORFLOW : Format.ONNX;
  }

  static ImportedModel importFile(Path file, ImportOptions options, List<String> outputs) {
    if (detect(file) == Format.TENSORFLOW) {
      return TfImporter.importFile(file, options, outputs);
    }
    if (!outputs.isEmpty()) {
      throw DiagnosticException.error(
        Location.UNKNOWN,
        "--output applies to TensorFlow graphs; an ONNX model's outputs are its graph outputs"
      );
    }
    return OnnxImporter.importFile(file, options);
  }
}
