package dev.kiln.frontend;

import dev.kiln.ir.DiagnosticException;
import dev.kiln.ir.Location;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * The limits every frontend reads protobuf model files with, as DESIGN.md sets them: files under
 * 2 GiB, message nesting at most 128 deep (room for 32 levels of subgraphs at three messages
 * each). Problems are one-line {@link DiagnosticException}s.
 */
public final class ProtoFiles {

  /** Largest file accepted: one byte under 2 GiB, protobuf's own message limit. */
  public static final long MAX_BYTES = (1L << 31) - 1;

  /** Deepest message nesting accepted. */
  public static final int MAX_NESTING = 128;

  private ProtoFiles() {}

  /**
   * The size of the regular file {@code file}; a directory, a missing or unreadable file is an
   * error whose message starts with {@code prefix}. The size is not checked against {@link
   * #MAX_BYTES}: each loader says what to do about a large file.
   */
  public static long size(Path file, String prefix) {
    try {
      if (Files.isDirectory(file)) {
        throw invalid(prefix, "is a directory");
      }
      if (!Files.isRegularFile(file)) {
        throw invalid(prefix, "not a regular file");
      }
      return Files.size(file);
    } catch (NoSuchFileException e) {
      throw invalid(prefix, "no such file");
    } catch (IOException e) {
      throw invalid(prefix, "cannot read (" + e.getMessage() + ")");
    }
  }

  /** A protobuf parser's message on one line. */
  public static String oneLine(String s) {
    return s == null ? "malformed protobuf" : s.replaceAll("\\s+", " ").strip();
  }

  private static DiagnosticException invalid(String prefix, String message) {
    return DiagnosticException.error(Location.UNKNOWN, prefix + message);
  }
}
