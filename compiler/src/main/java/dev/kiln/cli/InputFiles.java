package dev.kiln.cli;

import dev.kiln.ir.DiagnosticException;
import dev.kiln.ir.Location;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/** Reads input files with size limits and one-line errors naming the file. */
public final class InputFiles {

  /** Largest text input accepted (IR text), in bytes. */
  public static final long MAX_TEXT_BYTES = 1L << 30;

  private InputFiles() {}

  /** Reads a UTF-8 text file, or standard input when {@code name} is {@code -}. */
  public static String readText(String name, InputStream stdin) {
    byte[] bytes;
    try {
      if (name.equals("-")) {
        bytes = stdin.readAllBytes();
      } else {
        Path p = Path.of(name);
        if (Files.isDirectory(p)) {
          throw DiagnosticException.error(Location.UNKNOWN, "is a directory");
        }
        if (Files.size(p) > MAX_TEXT_BYTES) {
          throw DiagnosticException.error(
            Location.UNKNOWN,
            "larger than " + MAX_TEXT_BYTES + " bytes"
          );
        }
        bytes = Files.readAllBytes(p);
      }
    } catch (NoSuchFileException e) {
      throw DiagnosticException.error(Location.UNKNOWN, "no such file");
    } catch (IOException e) {
      throw DiagnosticException.error(Location.UNKNOWN, "cannot read: " + e.getMessage());
    }
    try {
      return StandardCharsets.UTF_8.newDecoder()
        .onMalformedInput(CodingErrorAction.REPORT)
        .onUnmappableCharacter(CodingErrorAction.REPORT)
        .decode(java.nio.ByteBuffer.wrap(bytes))
        .toString();
    } catch (CharacterCodingException e) {
      throw DiagnosticException.error(Location.UNKNOWN, "not UTF-8 text");
    }
  }
}
