package dev.kiln.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.kiln.ir.ElementType;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Configures, builds and runs the C runtime's unit tests ({@code runtime-c/tests}) with CMake: once
 * as a plain optimized build and once with {@code -DKILN_SANITIZE=ON}
 * ({@code -fsanitize=address,undefined}). The build uses {@code -std=c11 -Wall -Wextra -Werror
 * -pedantic} and also links the kernels freestanding ({@code -ffreestanding -nostdlib}, no undefined
 * symbols), so a warning or a libc call fails the build; the test fails on any failed build, any
 * warning in its output, or a C test binary that does not end with {@code N passed, 0 failed}.
 * Skips with a message when {@code cmake} or a C compiler is missing. The same tests also run for
 * AArch64 and ARMv7 (NEON, hard float): built with {@code aarch64-linux-gnu-gcc} or {@code
 * arm-linux-gnueabihf-gcc} as static binaries and run under {@code qemu-aarch64} or {@code
 * qemu-arm}, skipping with a message when those are missing. Also checks that {@code
 * kiln_elem_type_t} numbers the IR's element types in {@link ElementType} order.
 */
class RuntimeCTest {

  static final Path SOURCE = Path.of("../runtime-c");
  static final Path BUILD = Path.of("target/runtime-c");
  static final Pattern SUMMARY = Pattern.compile("(?m)^(\\d+) passed, (\\d+) failed$");
  static final long TIMEOUT_MINUTES = 10;

  @Test
  void elem_type_enum_numbers_the_ir_element_types_in_order() throws IOException {
    String header = Files.readString(SOURCE.resolve("include/kiln/runtime.h"));
    int start = header.indexOf("typedef enum kiln_elem_type {");
    int end = header.indexOf("} kiln_elem_type_t;", start);
    assertTrue(start >= 0 && end > start, "no kiln_elem_type_t in runtime.h");
    Matcher m = Pattern.compile("KILN_(\\w+) = (\\d+)").matcher(header.substring(start, end));
    List<String> found = new ArrayList<>();
    while (m.find()) {
      assertEquals(found.size(), Integer.parseInt(m.group(2)), "value of KILN_" + m.group(1));
      found.add(m.group(1));
    }
    List<String> expected = Stream.of(ElementType.values())
      .map(t -> t.name())
      .toList();
    assertEquals(expected, found, "kiln_elem_type_t must list ElementType in declaration order");
    Matcher count = Pattern.compile("#define KILN_ELEM_TYPE_COUNT (\\d+)").matcher(header);
    assertTrue(count.find(), "no KILN_ELEM_TYPE_COUNT in runtime.h");
    assertEquals(expected.size(), Integer.parseInt(count.group(1)), "KILN_ELEM_TYPE_COUNT");
  }

  @Test
  void c_tests_pass_with_strict_warnings() throws Exception {
    buildAndRun("release", List.of("-DCMAKE_BUILD_TYPE=Release"));
  }

  @Test
  void c_tests_pass_under_address_and_undefined_sanitizers() throws Exception {
    buildAndRun("sanitize", List.of("-DCMAKE_BUILD_TYPE=Debug", "-DKILN_SANITIZE=ON"));
  }

  @Test
  void c_tests_pass_on_aarch64_under_qemu() throws Exception {
    crossBuildAndRun("aarch64", "aarch64-linux-gnu-gcc", "qemu-aarch64", List.of());
  }

  @Test
  void c_tests_pass_on_armv7_under_qemu() throws Exception {
    crossBuildAndRun(
      "armv7",
      "arm-linux-gnueabihf-gcc",
      "qemu-arm",
      List.of("-mfpu=neon", "-mfloat-abi=hard")
    );
  }

  /**
   * Compiles the runtime, every kernel and the C tests with a cross gcc into one static binary
   * ({@code -O2}, the strict warnings of the CMake build) and runs it under qemu user mode, so the
   * NEON vector paths of every kernel run against the same double-precision references.
   */
  private static void crossBuildAndRun(
    String arch,
    String compiler,
    String qemu,
    List<String> archFlags
  ) throws Exception {
    Optional<Path> cc = onPath(compiler);
    Optional<Path> emulator = onPath(qemu);
    assumeTrue(
      cc.isPresent(),
      "skipped: " + compiler + " is not on the PATH (.ci/run installs it)"
    );
    assumeTrue(
      emulator.isPresent(),
      "skipped: " + qemu + " is not on the PATH (.ci/run installs it)"
    );
    Path dir = BUILD.resolve("cross-" + arch);
    deleteTree(dir);
    Files.createDirectories(dir);
    Path source = SOURCE.toAbsolutePath().normalize();
    Path binary = dir.toAbsolutePath().resolve("kiln_runtime_tests");
    List<String> command = new ArrayList<>(
      List.of(
        cc.get().toString(),
        "-std=c11",
        "-O2",
        "-static",
        "-Wall",
        "-Wextra",
        "-Werror",
        "-pedantic"
      )
    );
    command.addAll(archFlags);
    command.addAll(
      List.of(
        "-I",
        source.resolve("include").toString(),
        "-I",
        source.resolve("kernels").toString()
      )
    );
    for (String sub : List.of("src", "kernels", "tests")) {
      try (Stream<Path> files = Files.list(source.resolve(sub))) {
        files
          .filter(f -> f.getFileName().toString().endsWith(".c"))
          .sorted()
          .forEach(f -> command.add(f.toString()));
      }
    }
    command.addAll(List.of("-o", binary.toString(), "-lm", "-lpthread"));
    assertNoWarnings("build", run(command, dir.resolve("build.log")));
    String out = run(
      List.of(emulator.get().toString(), binary.toString()),
      dir.resolve("test.log")
    );
    checkSummary(arch + " (qemu)", out);
  }

  private static void buildAndRun(String flavor, List<String> options) throws Exception {
    Optional<Path> cmake = onPath("cmake");
    assumeTrue(cmake.isPresent(), "skipped: cmake is not on the PATH");
    assumeTrue(hasCCompiler(), "skipped: no C compiler (cc, gcc or clang on the PATH, or $CC)");
    assertTrue(Files.isRegularFile(SOURCE.resolve("CMakeLists.txt")), "missing " + SOURCE);
    Path dir = BUILD.resolve(flavor);
    deleteTree(dir);
    Files.createDirectories(dir);

    List<String> configure = new ArrayList<>(
      List.of(
        cmake.get().toString(),
        "-S",
        SOURCE.toAbsolutePath().normalize().toString(),
        "-B",
        dir.toAbsolutePath().toString()
      )
    );
    configure.addAll(options);
    String configured = run(configure, dir.resolve("configure.log"));
    assertNoWarnings("configure", configured);

    String built = run(
      List.of(
        cmake.get().toString(),
        "--build",
        dir.toAbsolutePath().toString(),
        "--parallel",
        "2"
      ),
      dir.resolve("build.log")
    );
    assertNoWarnings("build", built);

    Path binary = dir.resolve("kiln_runtime_tests");
    assertTrue(Files.isExecutable(binary), "the build made no " + binary);
    String out = run(List.of(binary.toAbsolutePath().toString()), dir.resolve("test.log"));
    checkSummary(flavor, out);
  }

  /** Fails unless the C test output ends with {@code N passed, 0 failed} for some N > 0. */
  private static void checkSummary(String flavor, String out) {
    Matcher m = SUMMARY.matcher(out);
    assertTrue(m.find(), "no 'N passed, N failed' line in the C test output:\n" + out);
    int passed = Integer.parseInt(m.group(1));
    int failed = Integer.parseInt(m.group(2));
    System.out.println("runtime-c " + flavor + ": " + passed + " passed, " + failed + " failed");
    assertEquals(0, failed, "C tests failed (" + flavor + "):\n" + out);
    assertTrue(passed > 0, "the C tests ran no checks");
  }

  static void assertNoWarnings(String step, String output) {
    assertFalse(
      output.toLowerCase(java.util.Locale.ROOT).contains("warning"),
      "the " + step + " step printed a warning:\n" + output
    );
  }

  /** Runs a command to completion, returns its stdout and stderr; fails on a non-zero exit. */
  static String run(List<String> command, Path log) throws Exception {
    return run(command, log, Map.of());
  }

  /** {@link #run(List, Path)} with {@code env} added to the environment. */
  static String run(List<String> command, Path log, Map<String, String> env) throws Exception {
    ProcessBuilder pb = new ProcessBuilder(command)
      .redirectErrorStream(true)
      .redirectOutput(log.toFile());
    pb.environment().put("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=0");
    pb.environment().putAll(env);
    Process p = pb.start();
    if (!p.waitFor(TIMEOUT_MINUTES, TimeUnit.MINUTES)) {
      p.destroyForcibly();
      throw new AssertionError(
        "timed out after " + TIMEOUT_MINUTES + " min: " + String.join(" ", command)
      );
    }
    String out = Files.readString(log, StandardCharsets.UTF_8);
    assertEquals(
      0,
      p.exitValue(),
      "exit status " + p.exitValue() + " from " + String.join(" ", command) + ":\n" + out
    );
    return out;
  }

  static boolean hasCCompiler() {
    String cc = System.getenv("CC");
    if (cc != null && !cc.isBlank()) {
      Path p = Path.of(cc);
      return p.isAbsolute() ? Files.isExecutable(p) : onPath(cc).isPresent();
    }
    return Stream.of("cc", "gcc", "clang").anyMatch(name -> onPath(name).isPresent());
  }

  static Optional<Path> onPath(String name) {
    String path = System.getenv("PATH");
    if (path == null) {
      return Optional.empty();
    }
    for (String entry : path.split(File.pathSeparator)) {
      if (entry.isEmpty()) {
        continue;
      }
      Path candidate = Path.of(entry, name);
      if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
        return Optional.of(candidate);
      }
    }
    return Optional.empty();
  }

  static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(dir)) {
      for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }
}
