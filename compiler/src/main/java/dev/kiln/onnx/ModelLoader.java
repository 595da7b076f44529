package dev.kiln.onnx;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageLite;
import com.google.protobuf.Parser;
import dev.kiln.ir.DiagnosticException;
import dev.kiln.ir.Location;
import dev.kiln.onnx.proto.OnnxProto;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * Reads ONNX protobuf files with the limits DESIGN.md sets: files under 2 GiB, message nesting at
 * most 128 deep (room for the 32 levels of subgraphs the importer allows, at three messages each). Anything that does not parse is a one-line {@link DiagnosticException}, never a
 * stack trace; a tensor file's message starts with its path, a model's is rendered after it.
 */
public final class ModelLoader {

  /** Largest file accepted: one byte under 2 GiB, protobuf's own message limit. */
  public static final long MAX_BYTES = (1L << 31) - 1;

  /** Deepest message nesting accepted. */
  public static final int MAX_NESTING = 128;

  private ModelLoader() {}

  /** The model in {@code file}; it must have an IR version and a graph. */
  public static OnnxProto.ModelProto load(Path file) {
    OnnxProto.ModelProto m = parse(file, "", OnnxProto.ModelProto.parser(), "ONNX model");
    if (!m.hasIrVersion() || !m.hasGraph()) {
      throw invalid(
        "",
        "not a valid ONNX model (" + (m.hasIrVersion() ? "no graph" : "no ir_version") + ")"
      );
    }
    return m;
  }

  /** Reads a serialized {@code TensorProto}, as ONNX test data sets store inputs and outputs. */
  public static OnnxProto.TensorProto readTensor(Path file) {
    OnnxProto.TensorProto t = parse(
      file,
      file + ": ",
      OnnxProto.TensorProto.parser(),
      "TensorProto"
    );
    if (!t.hasDataType()) {
      throw invalid(file + ": ", "not a valid TensorProto (no data_type)");
    }
    return t;
  }

  private static <T extends MessageLite> T parse(
    Path file,
    String prefix,
    Parser<T> parser,
    String what
  ) {
    long size;
    try {
      if (Files.isDirectory(file)) {
        throw invalid(prefix, "is a directory");
      }
      if (!Files.isRegularFile(file)) {
        throw invalid(prefix, "not a regular file");
      }
      size = Files.size(file);
    } catch (NoSuchFileException e) {
      throw invalid(prefix, "no such file");
    } catch (IOException e) {
      throw invalid(prefix, "cannot read (" + e.getMessage() + ")");
    }
    if (size > MAX_BYTES) {
      throw invalid(
        prefix,
        "is " + size + " bytes; files must be under 2 GiB (store large weights as external data)"
      );
    }
    try (InputStream in = Files.newInputStream(file)) {
      CodedInputStream cis = CodedInputStream.newInstance(in);
      cis.setRecursionLimit(MAX_NESTING);
      cis.setSizeLimit((int) size);
      T message = parser.parseFrom(cis);
      if (!cis.isAtEnd()) {
        throw invalid(prefix, "not a valid " + what + " (trailing data)");
      }
      return message;
    } catch (InvalidProtocolBufferException e) {
      if (String.valueOf(e.getMessage()).contains("too many levels of nesting")) {
        throw invalid(
          prefix,
          "messages nest deeper than " +
          MAX_NESTING +
          " levels (subgraphs may nest at most 32 deep)"
        );
      }
      throw invalid(prefix, "not a valid " + what + " (" + oneLine(e.getMessage()) + ")");
    } catch (IOException e) {
      throw invalid(prefix, "cannot read (" + e.getMessage() + ")");
    }
  }

  private static String oneLine(String s) {
    return s == null ? "malformed protobuf" : s.replaceAll("\\s+", " ").strip();
  }

  private static DiagnosticException invalid(String prefix, String message) {
    return DiagnosticException.error(Location.UNKNOWN, prefix + message);
  }
}
