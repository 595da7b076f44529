package dev.kiln.onnx;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.InvalidProtocolBufferException;
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
 * most 100 deep. Anything that does not parse is a one-line diagnostic, never a stack trace.
 */
public final class ModelLoader {

  /** Largest file accepted: protobuf's own 2 GiB limit. */
  public static final long MAX_BYTES = (1L << 31) - 1;

  /** Deepest message nesting accepted. */
  public static final int MAX_NESTING = 100;

  private ModelLoader() {}

  public static OnnxProto.ModelProto load(Path file) {
    try (InputStream in = open(file, "")) {
      CodedInputStream cis = limited(in);
      OnnxProto.ModelProto m = OnnxProto.ModelProto.parseFrom(cis);
      cis.checkLastTagWas(0);
      return m;
    } catch (InvalidProtocolBufferException e) {
      throw invalid("not a valid ONNX model (" + e.getMessage() + ")");
    } catch (IOException e) {
      throw invalid("cannot read: " + e.getMessage());
    }
  }

  /** Reads a serialized {@code TensorProto}, as ONNX test data sets store inputs and outputs. */
  public static OnnxProto.TensorProto readTensor(Path file) {
    try (InputStream in = open(file, file + ": ")) {
      return OnnxProto.TensorProto.parseFrom(limited(in));
    } catch (InvalidProtocolBufferException e) {
      throw invalid(file + ": not a valid TensorProto (" + e.getMessage() + ")");
    } catch (IOException e) {
      throw invalid(file + ": cannot read: " + e.getMessage());
    }
  }

  private static InputStream open(Path file, String prefix) throws IOException {
    try {
      if (!Files.isRegularFile(file)) {
        throw invalid(prefix + (Files.isDirectory(file) ? "is a directory" : "not a regular file"));
      }
      long size = Files.size(file);
      if (size > MAX_BYTES) {
        throw invalid(
          prefix +
          "is " +
          size +
          " bytes; models must be under 2 GiB (put large weights in external data)"
        );
      }
      return Files.newInputStream(file);
    } catch (NoSuchFileException e) {
      throw invalid(prefix + "no such file");
    }
  }

  private static CodedInputStream limited(InputStream in) {
    CodedInputStream cis = CodedInputStream.newInstance(in);
    cis.setRecursionLimit(MAX_NESTING);
    cis.setSizeLimit(Integer.MAX_VALUE);
    return cis;
  }

  private static DiagnosticException invalid(String message) {
    return DiagnosticException.error(Location.UNKNOWN, message);
  }
}
