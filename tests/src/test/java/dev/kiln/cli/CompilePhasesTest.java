package dev.kiln.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.testing.Cli;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code kiln compile} away from a terminal prints one summary line (no progress), {@code --quiet}
 * prints nothing, and {@code --time-phases} adds a table of the phases with their total.
 */
class CompilePhasesTest {

  static final String DIGITS = "../examples/digits.onnx";

  @Test
  void non_terminal_output_is_one_line(@TempDir Path dir) {
    Cli.Result r = Cli.run("compile", DIGITS, "--emit", "header", "-o", dir.toString());
    assertEquals(0, r.status(), r.err());
    assertEquals(1, r.err().lines().count(), r.err());
    assertFalse(r.err().contains(" ..."), r.err());
  }

  @Test
  void quiet_prints_nothing(@TempDir Path dir) {
    Cli.Result r = Cli.run("compile", DIGITS, "--emit", "header", "-q", "-o", dir.toString());
    assertEquals(0, r.status(), r.err());
    assertEquals("", r.err());
  }

  @Test
  void time_phases_prints_each_phase_and_the_total(@TempDir Path dir) {
    Cli.Result r = Cli.run(
      "compile",
      DIGITS,
      "--emit",
      "header",
      "--time-phases",
      "--quiet",
      "-o",
      dir.toString()
    );
    assertEquals(0, r.status(), r.err());
    assertTrue(r.err().startsWith("kiln compile: digits phases\n"), r.err());
    for (String phase : new String[] {
      "import",
      "passes",
      "lowering",
      "sources",
      "writing",
      "total",
    }) {
      assertTrue(r.err().matches("(?s).*\n  " + phase + " +\\d+\\.\\d{3} s\n.*"), r.err());
    }
  }
}
