package dev.kiln.onnx;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageLite;
import com.google.protobuf.Parser;
import dev.kiln.frontend.ProtoFiles;
import dev.kiln.ir.DiagnosticException;
import dev.kiln.ir.Location;
import dev.kiln.onnx.proto.OnnxProto;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Reads ONNX protobuf files with the limits of {@link ProtoFiles}. Anything that does not parse is a one-line {@link DiagnosticException}, never a
 * stack trace; a tensor file's message starts with its path, a model's is rendered after it.
 */
public final class ModelLoader {

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
    long size = ProtoFiles.size(file, prefix);
    if (size > ProtoFiles.MAX_BYTES) {
      throw invalid(
        prefix,
        "is " + size + " bytes; files must be under 2 GiB (store large weights as external data)"
      );
    }
    try (InputStream in = Files.newInputStream(file)) {
      CodedInputStream cis = CodedInputStream.newInstance(in);
      cis.setRecursionLimit(ProtoFiles.MAX_NESTING);
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
          ProtoFiles.MAX_NESTING +
          " levels (subgraphs may nest at most 32 deep)"
        );
      }
      throw invalid(
        prefix,
        "not a valid " + what + " (" + ProtoFiles.oneLine(e.getMessage()) + ")"
      );
    } catch (IOException e) {
      throw invalid(prefix, "cannot read (" + e.getMessage() + ")");
    }
  }

  private static DiagnosticException invalid(String prefix, String message) {
    return DiagnosticException.error(Location.UNKNOWN, prefix + message);
  }
}
