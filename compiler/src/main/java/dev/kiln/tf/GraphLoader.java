package dev.kiln.tf;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.TextFormat;
import dev.kiln.frontend.ProtoFiles;
import dev.kiln.ir.DiagnosticException;
import dev.kiln.ir.Location;
import dev.kiln.tf.proto.TfProto;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Reads TensorFlow {@code GraphDef} files, binary ({@code .pb}) or protobuf text format ({@code
 * .pbtxt}), told apart by their content, with the limits of {@link ProtoFiles}:
 * files under 2 GiB, messages nested at most 128 deep. Anything that does not parse is a one-line
 * {@link DiagnosticException}.
 */
public final class GraphLoader {

  private GraphLoader() {}

  /** The graph in {@code file}. */
  public static TfProto.GraphDef load(Path file) {
    byte[] bytes = read(file);
    if (isText(bytes)) {
      return parseText(bytes);
    }
    try {
      CodedInputStream cis = CodedInputStream.newInstance(bytes);
      cis.setRecursionLimit(ProtoFiles.MAX_NESTING);
      TfProto.GraphDef g = TfProto.GraphDef.parseFrom(cis);
      if (!cis.isAtEnd()) {
        throw invalid("not a valid TensorFlow GraphDef (trailing data)");
      }
      return g;
    } catch (InvalidProtocolBufferException e) {
      if (String.valueOf(e.getMessage()).contains("too many levels of nesting")) {
        throw invalid("messages nest deeper than " + ProtoFiles.MAX_NESTING + " levels");
      }
      throw invalid("not a valid TensorFlow GraphDef (" + ProtoFiles.oneLine(e.getMessage()) + ")");
    } catch (IOException e) {
      throw invalid("cannot read (" + e.getMessage() + ")");
    }
  }

  /**
   * Whether {@code bytes} look like protobuf text format: after blank space and {@code #}
   * comments, a field name followed by {@code {} or {@code :}, all valid UTF-8.
   */
  public static boolean isText(byte[] bytes) {
    int i = 0;
    while (i < bytes.length) {
      byte c = bytes[i];
      if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
        i++;
      } else if (c == '#') {
        while (i < bytes.length && bytes[i] != '\n') {
          i++;
        }
      } else {
        break;
      }
    }
    int start = i;
    while (
      i < bytes.length && (Character.isLetterOrDigit(bytes[i]) || bytes[i] == '_') && bytes[i] > 0
    ) {
      i++;
    }
    if (i == start || !Character.isLetter(bytes[start])) {
      return false;
    }
    while (i < bytes.length && (bytes[i] == ' ' || bytes[i] == '\t' || bytes[i] == '\n')) {
      i++;
    }
    if (i >= bytes.length || (bytes[i] != '{' && bytes[i] != ':')) {
      return false;
    }
    try {
      StandardCharsets.UTF_8.newDecoder().decode(java.nio.ByteBuffer.wrap(bytes));
      return true;
    } catch (CharacterCodingException e) {
      return false;
    }
  }

  private static TfProto.GraphDef parseText(byte[] bytes) {
    TfProto.GraphDef.Builder b = TfProto.GraphDef.newBuilder();
    try {
      TextFormat.Parser.newBuilder().build().merge(new String(bytes, StandardCharsets.UTF_8), b);
    } catch (TextFormat.ParseException e) {
      throw invalid(
        "not a valid TensorFlow GraphDef text (" + ProtoFiles.oneLine(e.getMessage()) + ")"
      );
    }
    return b.build();
  }

  private static byte[] read(Path file) {
    long size = ProtoFiles.size(file, "");
    if (size > ProtoFiles.MAX_BYTES) {
      throw invalid("is " + size + " bytes; files must be under 2 GiB");
    }
    try {
      return Files.readAllBytes(file);
    } catch (IOException e) {
      throw invalid("cannot read (" + e.getMessage() + ")");
    }
  }

  private static DiagnosticException invalid(String message) {
    return DiagnosticException.error(Location.UNKNOWN, message);
  }
}
