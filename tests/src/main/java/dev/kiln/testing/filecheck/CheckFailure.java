package dev.kiln.testing.filecheck;

import java.io.Serial;

/** A failed check or a malformed check file; the message is the complete, formatted diagnostic. */
final class CheckFailure extends Exception {

  @Serial
  private static final long serialVersionUID = 1L;

  CheckFailure(String diagnostic) {
    super(diagnostic, null, false, false);
  }

  String diagnostic() {
    return getMessage();
  }
}
