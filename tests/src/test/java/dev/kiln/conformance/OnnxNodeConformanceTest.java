package dev.kiln.conformance;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Runs the ONNX backend node tests from {@code ../shared/conformance/onnx-node} through the
 * interpreter and holds them to {@code conformance/onnx-node.txt}: every test listed there as
 * {@code PASS} must still pass (the list may only grow), and every other entry must give its
 * reason. New passes are printed so the list can be regenerated with {@code bin/kiln conformance
 * ../shared/conformance/onnx-node --tolerances conformance/onnx-node.tolerances | grep -v passed}.
 */
class OnnxNodeConformanceTest {

  static final Path SUITE = Path.of("../../shared/conformance/onnx-node");
  static final Path EXPECTED = Path.of("../conformance/onnx-node.txt");
  static final Path TOLERANCES = Path.of("../conformance/onnx-node.tolerances");

  @Test
  void listed_passes_still_pass() throws IOException {
    assumeTrue(
      Files.isDirectory(SUITE),
      "skipped: the ONNX node tests are not at " + SUITE.toAbsolutePath().normalize()
    );
    Map<String, String> expected = new LinkedHashMap<>();
    for (String line : Files.readAllLines(EXPECTED)) {
      if (line.isBlank() || line.startsWith("#")) {
        continue;
      }
      String[] f = line.split(" ", 3);
      assertTrue(
        f[0].equals("PASS") || f.length == 3,
        "entry without a reason in " + EXPECTED + ": " + line
      );
      expected.put(f[1], f[0]);
    }
    ConformanceRunner runner = new ConformanceRunner(
      ConformanceRunner.readOverrides(TOLERANCES),
      300
    );
    List<ConformanceRunner.Result> results = runner.run(
      ConformanceRunner.tests(SUITE, null),
      Runtime.getRuntime().availableProcessors(),
      r -> {}
    );
    List<String> regressions = new ArrayList<>();
    List<String> fixed = new ArrayList<>();
    int passed = 0;
    for (ConformanceRunner.Result r : results) {
      String was = expected.getOrDefault(r.name(), "NEW");
      boolean passes = r.status() == ConformanceRunner.Status.PASS;
      passed += passes ? 1 : 0;
      if (was.equals("PASS") && !passes) {
        regressions.add(r.toString());
      } else if (!was.equals("PASS") && passes) {
        fixed.add(r.name());
      }
    }
    System.out.println(
      "onnx-node conformance: " +
      passed +
      " of " +
      results.size() +
      " pass; newly passing: " +
      (fixed.isEmpty() ? "none" : String.join(", ", fixed))
    );
    assertTrue(
      regressions.isEmpty(),
      "tests that passed before now fail:\n" + String.join("\n", regressions)
    );
  }
}
