package dev.kiln.conformance;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.kiln.backend.cuda.Ptxas;
import dev.kiln.emit.NativeCompiler;
import dev.kiln.emit.NativeEngine;
import dev.kiln.emit.Toolchain;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * Runs the ONNX backend node tests from {@code ../shared/conformance/onnx-node} and holds each
 * backend to its checked-in list: every test listed there as {@code PASS} must still pass (a list
 * may only grow), and every other entry must give its reason. New passes are printed so a list can
 * be regenerated with {@code bin/kiln conformance ../shared/conformance/onnx-node --tolerances
 * conformance/onnx-node.tolerances [--backend B] [--target T] | grep -v passed}.
 *
 * <ul>
 *   <li>{@code conformance/onnx-node.txt}: the interpreter;
 *   <li>{@code conformance/onnx-node-native-x86_64.txt}: native code for the host, linked with
 *       {@code cc};
 *   <li>{@code conformance/onnx-node-native-aarch64.txt}: native code for aarch64-linux-gnu, run
 *       under {@code qemu-aarch64} (skipped without the cross compiler and qemu). Linking a static
 *       cross program and starting qemu per test is slow, so {@code mvn verify} checks every
 *       {@value #AARCH64_STRIDE}th test in name order; the full list comes from the full run.
 *   <li>{@code conformance/onnx-node-c.txt}: the portable C backend, built by the host's {@code
 *       cc} at {@code -O2} under strict C99 warnings ({@code --backend c}); two compiler runs per
 *       test, so {@code mvn verify} checks every {@value #PORTABLE_C_STRIDE}th test.
 *   <li>{@code conformance/onnx-node-gpusim.txt}: the CUDA backend without a GPU ({@code --backend
 *       gpusim}): PTX that {@code ptxas} accepts for sm_80 and sm_90 (when ptxas is on {@code
 *       PATH}) and the GPU-scheduled Loop IR run in the race-checking GPU interpreter. An LLVM
 *       compilation, two ptxas runs and an interpreted run per test, so {@code mvn verify} checks
 *       every {@value #GPUSIM_STRIDE}th test; the full list comes from the full run (about 8
 *       minutes on two loaded cores).
 * </ul>
 */
class OnnxNodeConformanceTest {

  static final Path SUITE = Path.of("../../shared/conformance/onnx-node");
  static final Path TOLERANCES = Path.of("../conformance/onnx-node.tolerances");
  static final int AARCH64_STRIDE = 8;
  static final int PORTABLE_C_STRIDE = 4;
  static final int GPUSIM_STRIDE = 8;

  @Test
  void interpreter_listed_passes_still_pass() throws IOException {
    check(Path.of("../conformance/onnx-node.txt"), ConformanceRunner.Engine.INTERPRETER, 1);
  }

  @Test
  void native_x86_64_listed_passes_still_pass() throws IOException {
    var host = NativeCompiler.resolve(null, null);
    assumeTrue(Toolchain.available(host), "skipped: no C compiler (cc) to link native code");
    check(Path.of("../conformance/onnx-node-native-x86_64.txt"), new NativeEngine(host, 120), 1);
  }

  @Test
  void native_aarch64_listed_passes_still_pass() throws IOException {
    var target = NativeCompiler.resolve("aarch64-linux-gnu", null);
    assumeTrue(
      Toolchain.available(target),
      "skipped: aarch64-linux-gnu-gcc or qemu-aarch64 is missing " +
      "(apt-get install gcc-aarch64-linux-gnu qemu-user)"
    );
    check(
      Path.of("../conformance/onnx-node-native-aarch64.txt"),
      new NativeEngine(target, 120),
      AARCH64_STRIDE
    );
  }

  @Test
  void portable_c_listed_passes_still_pass() throws IOException {
    assumeTrue(Toolchain.find("cc").isPresent(), "skipped: no C compiler (cc) to build the C");
    check(
      Path.of("../conformance/onnx-node-c.txt"),
      NativeEngine.portableC(120, 1),
      PORTABLE_C_STRIDE
    );
  }

  @Test
  void gpusim_listed_passes_still_pass() throws IOException {
    Optional<Ptxas> ptxas = Ptxas.find();
    if (ptxas.isEmpty()) {
      System.out.println("gpusim: ptxas is not on PATH, the PTX is compiled but not assembled");
    }
    check(Path.of("../conformance/onnx-node-gpusim.txt"), new GpuSimEngine(ptxas), GPUSIM_STRIDE);
  }

  /** Runs every {@code stride}th test (in name order) with {@code engine} against {@code list}. */
  private static void check(Path list, ConformanceRunner.Engine engine, int stride)
    throws IOException {
    assumeTrue(
      Files.isDirectory(SUITE),
      "skipped: the ONNX node tests are not at " + SUITE.toAbsolutePath().normalize()
    );
    Map<String, String> expected = new LinkedHashMap<>();
    for (String line : Files.readAllLines(list)) {
      if (line.isBlank() || line.startsWith("#")) {
        continue;
      }
      String[] f = line.split(" ", 3);
      assertTrue(
        f[0].equals("PASS") || f.length == 3,
        "entry without a reason in " + list + ": " + line
      );
      expected.put(f[1], f[0]);
    }
    ConformanceRunner runner = new ConformanceRunner(
      ConformanceRunner.readOverrides(TOLERANCES),
      300,
      engine
    );
    List<Path> all = ConformanceRunner.tests(SUITE, null);
    List<Path> tests = new ArrayList<>();
    for (int i = 0; i < all.size(); i += stride) {
      tests.add(all.get(i));
    }
    List<ConformanceRunner.Result> results = runner.run(
      tests,
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
      list.getFileName() +
      ": " +
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
