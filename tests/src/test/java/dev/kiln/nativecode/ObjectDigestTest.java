package dev.kiln.nativecode;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.kiln.testing.Cli;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Objects do not depend on the machine that compiles them: {@code examples/digits.onnx} compiled
 * for fixed targets and CPUs (never {@code native}) has the SHA-256 recorded in {@code
 * object-digests.txt}, whatever the host's CPU. A change to code generation changes the digests on
 * purpose: rerun with {@code -Dkiln.writeDigests=true} to record the new ones, and commit them
 * with the change.
 */
class ObjectDigestTest {

  static final Path DIGESTS = Path.of("src/test/resources/dev/kiln/nativecode/object-digests.txt");

  static final List<String> TARGETS = List.of(
    "x86_64-linux-gnu x86-64-v2",
    "aarch64-linux-gnu generic"
  );

  @Test
  void objects_for_fixed_cpus_have_the_recorded_digests(@TempDir Path tmp) throws IOException {
    Map<String, String> actual = new LinkedHashMap<>();
    for (String t : TARGETS) {
      String[] targetCpu = t.split(" ");
      Path out = tmp.resolve(targetCpu[0] + "-" + targetCpu[1]);
      Cli.Result r = Cli.run(
        "compile",
        NativeCompileTest.DIGITS.toString(),
        "--name",
        "digits",
        "--target",
        targetCpu[0],
        "--cpu",
        targetCpu[1],
        "-o",
        out.toString()
      );
      assertEquals(0, r.status(), r.err());
      actual.put(t, sha256(Files.readAllBytes(out.resolve("digits.o"))));
    }
    StringBuilder text = new StringBuilder(
      "# SHA-256 of digits.o: kiln compile examples/digits.onnx --name digits --target T --cpu C\n"
    );
    actual.forEach((t, d) -> text.append(t).append(' ').append(d).append('\n'));
    if (Boolean.getBoolean("kiln.writeDigests")) {
      Files.writeString(DIGESTS, text, StandardCharsets.UTF_8);
    }
    assertEquals(
      Files.readString(DIGESTS, StandardCharsets.UTF_8),
      text.toString(),
      "objects changed; if code generation changed on purpose, record the new digests with " +
      "-Dkiln.writeDigests=true"
    );
  }

  static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
