package dev.kiln.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.kiln.emit.Toolchain;
import dev.kiln.testing.Cli;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code kiln compile --target thumbv7em-none-eabihf} reports flash and RAM: section sizes that
 * {@code arm-none-eabi-size} agrees with, the header's workspace, a stack estimate; {@code
 * --flash-limit}/{@code --ram-limit} fail with one line and write nothing; other targets refuse
 * the limits.
 */
class McuMemoryReportTest {

  private static final String DIGITS = "../examples/digits.onnx";
  private static final Pattern REPORT = Pattern.compile(
    "flash \\S+ \\S+ \\(\\.text (\\d+), \\.rodata (\\d+) \\(weights\\), \\.data (\\d+)\\); RAM \\S+ \\S+ " +
    "\\(\\.data \\d+, \\.bss (\\d+), workspace (\\d+), stack ~(\\d+) without libm\\)"
  );

  @Test
  void report_matches_the_object_and_the_header(@TempDir Path tmp) throws Exception {
    Cli.Result r = Cli.run(
      "compile",
      DIGITS,
      "--target",
      "thumbv7em-none-eabihf",
      "--name",
      "digits",
      "-o",
      tmp.toString()
    );
    assertEquals(0, r.status(), r.err());
    Matcher m = REPORT.matcher(r.err());
    assertTrue(m.find(), r.err());
    String header = Files.readString(tmp.resolve("digits.h"));
    assertTrue(header.contains("#define DIGITS_WORKSPACE_SIZE " + m.group(5) + "\n"), header);
    assertTrue(Long.parseLong(m.group(6)) > 0, "a stack estimate: " + r.err());
    assertTrue(Long.parseLong(m.group(2)) >= 4 * (64 * 32 + 32 * 10), "the weights are in .rodata");
    assumeTrue(
      Toolchain.find("arm-none-eabi-size").isPresent(),
      "skipped: arm-none-eabi-size is not installed (apt-get install gcc-arm-none-eabi)"
    );
    Toolchain.Result size = Toolchain.exec(
      List.of("arm-none-eabi-size", tmp.resolve("digits.o").toString()),
      tmp,
      60
    );
    String[] row = size.output().lines().skip(1).findFirst().orElseThrow().strip().split("\\s+");
    assertEquals(
      Long.parseLong(m.group(1)) + Long.parseLong(m.group(2)),
      Long.parseLong(row[0]),
      "text + rodata is size's text: " + size.output()
    );
    assertEquals(Long.parseLong(m.group(3)), Long.parseLong(row[1]), size.output());
    assertEquals(Long.parseLong(m.group(4)), Long.parseLong(row[2]), size.output());
  }

  @Test
  void limits_fail_with_one_line_and_write_nothing(@TempDir Path tmp) throws Exception {
    Path out = tmp.resolve("out");
    Cli.Result r = Cli.run(
      "compile",
      DIGITS,
      "--target",
      "thumbv7em-none-eabihf",
      "--flash-limit",
      "16K",
      "-o",
      out.toString()
    );
    assertEquals(2, r.status(), r.err());
    assertEquals(1, r.err().strip().lines().count(), r.err());
    assertTrue(
      r.err().matches("(?s).*flash \\d+ bytes exceeds --flash-limit 16384 by \\d+ bytes\\s*"),
      r.err()
    );
    assertFalse(Files.exists(out));
    Cli.Result ok = Cli.run(
      "compile",
      DIGITS,
      "--target",
      "thumbv7em-none-eabihf",
      "--flash-limit",
      "1M",
      "--ram-limit",
      "64K",
      "-o",
      out.toString()
    );
    assertEquals(0, ok.status(), ok.err());
    Cli.Result host = Cli.run("compile", DIGITS, "--ram-limit", "1M", "-o", tmp.toString());
    assertEquals(2, host.status(), host.err());
    assertTrue(host.err().contains("--ram-limit applies to microcontroller targets"), host.err());
  }
}
