package dev.kiln.runtime;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The CMake package runtime-c installs: {@code runtime-c} is configured without its tests, built
 * and installed into {@code target/cmake-package/prefix}, then the sample C project {@code
 * tests/cmake/digits} ({@code find_package(Kiln)}, {@code kiln_add_model(digits ...)}, a program
 * running {@code examples/main.c}, which classifies a noisy image of each digit) is configured and built against it with {@code bin/kiln}:
 * for the host, where a second build must not run Kiln and a touched model must; and for AArch64
 * through the toolchain file {@code tests/cmake/aarch64-linux-gnu.cmake} (the Kiln triple taken from
 * {@code CMAKE_SYSTEM_PROCESSOR}), run under {@code qemu-aarch64}. Skips with a message without
 * {@code cmake}, a C compiler, the cross tools, or the CLI's build ({@code
 * compiler/target/kiln.classpath}, written by {@code mvn package}).
 */
class CMakePackageTest {

  static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
  static final Path DIR = Path.of("target/cmake-package").toAbsolutePath();
  static final Path SAMPLE = ROOT.resolve("tests/cmake/digits");
  static final String COMPILING = "Kiln: compiling";
  static final Map<String, String> ENV = Map.of("KILN_NO_BUILD", "1");

  static Path cmake;

  @BeforeAll
  static void installPackage() throws Exception {
    Optional<Path> found = RuntimeCTest.onPath("cmake");
    assumeTrue(found.isPresent(), "skipped: cmake is not on the PATH");
    assumeTrue(RuntimeCTest.hasCCompiler(), "skipped: no C compiler (cc, gcc or clang, or $CC)");
    assumeTrue(
      Files.isRegularFile(ROOT.resolve("compiler/target/kiln.classpath")),
      "skipped: bin/kiln is not built (run mvn package first)"
    );
    cmake = found.get();
    RuntimeCTest.deleteTree(DIR);
    Path build = DIR.resolve("runtime");
    Files.createDirectories(build);
    RuntimeCTest.run(
      List.of(
        cmake.toString(),
        "-S",
        ROOT.resolve("runtime-c").toString(),
        "-B",
        build.toString(),
        "-DKILN_BUILD_TESTS=OFF"
      ),
      DIR.resolve("runtime-configure.log")
    );
    RuntimeCTest.run(
      List.of(cmake.toString(), "--build", build.toString(), "--parallel", "2"),
      DIR.resolve("runtime-build.log")
    );
    RuntimeCTest.run(
      List.of(cmake.toString(), "--install", build.toString(), "--prefix", prefix().toString()),
      DIR.resolve("runtime-install.log")
    );
  }

  static Path prefix() {
    return DIR.resolve("prefix");
  }

  @Test
  void host_build_classifies_and_rebuilds_only_when_the_model_changes() throws Exception {
    Path model = Files.copy(ROOT.resolve("examples/digits.onnx"), DIR.resolve("host-model.onnx"));
    Path build = configure("host", model, List.of());

    String first = build(build, "host-build-1.log");
    assertTrue(first.contains(COMPILING), first);
    assertTrue(first.contains("digits for x86_64-linux-gnu"), first);
    classifies(List.of(build.resolve("digits_app").toString()), "host");

    String second = build(build, "host-build-2.log");
    assertFalse(second.contains(COMPILING), "nothing changed, yet Kiln ran:\n" + second);

    Files.setLastModifiedTime(model, FileTime.from(Instant.now()));
    String third = build(build, "host-build-3.log");
    assertTrue(third.contains(COMPILING), "the model was touched, yet Kiln did not run:\n" + third);
    classifies(List.of(build.resolve("digits_app").toString()), "host-again");
  }

  @Test
  void aarch64_build_through_a_toolchain_file_runs_under_qemu() throws Exception {
    assumeTrue(
      RuntimeCTest.onPath("aarch64-linux-gnu-gcc").isPresent(),
      "skipped: aarch64-linux-gnu-gcc is not on the PATH (.ci/run installs it)"
    );
    Optional<Path> qemu = RuntimeCTest.onPath("qemu-aarch64");
    assumeTrue(qemu.isPresent(), "skipped: qemu-aarch64 is not on the PATH (.ci/run installs it)");
    Path model = Files.copy(ROOT.resolve("examples/digits.onnx"), DIR.resolve("arm-model.onnx"));
    Path build = configure(
      "aarch64",
      model,
      List.of("-DCMAKE_TOOLCHAIN_FILE=" + ROOT.resolve("tests/cmake/aarch64-linux-gnu.cmake"))
    );
    String out = build(build, "aarch64-build.log");
    assertTrue(out.contains("digits for aarch64-linux-gnu"), out);
    classifies(List.of(qemu.get().toString(), build.resolve("digits_app").toString()), "aarch64");
  }

  private static Path configure(String name, Path model, List<String> extra) throws Exception {
    Path build = DIR.resolve(name);
    List<String> cmd = new ArrayList<>(
      List.of(
        cmake.toString(),
        "-S",
        SAMPLE.toString(),
        "-B",
        build.toString(),
        "-DCMAKE_PREFIX_PATH=" + prefix(),
        "-DKILN_EXECUTABLE=" + ROOT.resolve("bin/kiln"),
        "-DDIGITS_MODEL=" + model
      )
    );
    cmd.addAll(extra);
    RuntimeCTest.assertNoWarnings(
      "configure",
      RuntimeCTest.run(cmd, DIR.resolve(name + "-configure.log"), ENV)
    );
    return build;
  }

  private static String build(Path build, String log) throws Exception {
    return RuntimeCTest.run(
      List.of(cmake.toString(), "--build", build.toString()),
      DIR.resolve(log),
      ENV
    );
  }

  private static void classifies(List<String> command, String name) throws Exception {
    String out = RuntimeCTest.run(command, DIR.resolve(name + "-run.log"));
    assertTrue(out.contains("10 of 10 correct"), out);
  }
}
