package dev.kiln.binding;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.testing.Cli;
import java.io.ByteArrayOutputStream;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code kiln compile --emit java}: the typed class of {@code examples/digits.onnx} is the same on
 * every compile, compiles with {@code -Xlint:all -Werror} (less the class path check) against the Java binding, and classifies
 * a digit through the shared object found as a resource next to it.
 */
class EmitJavaTest {

  static final Path DIGITS = Path.of("../examples/digits.onnx");

  /** The glyph of a 3 in the digits model's training set, '#' on. */
  static final String THREE =
    "..####.. .#....#. ......#. ...###.. ......#. ......#. .#....#. ..####..";

  @Test
  void digits_class_compiles_loads_and_classifies(@TempDir Path tmp) throws Exception {
    Path out = tmp.resolve("out");
    Cli.Result r = Cli.run(
      "compile",
      DIGITS.toString(),
      "--emit",
      "so,java",
      "--java-package",
      "demo.gen",
      "-o",
      out.toString()
    );
    assertEquals(0, r.status(), r.err());
    Path source = out.resolve("demo/gen/DigitsModel.java");
    String text = Files.readString(source);
    assertTrue(
      text.contains("public static final List<Long> INPUT_IMAGE_DIMS = List.of(1L, 64L);")
    );
    assertTrue(text.contains("public float[] run(float[] image)"), text);

    Path again = tmp.resolve("again");
    assertEquals(
      0,
      Cli.run(
        "compile",
        DIGITS.toString(),
        "--emit",
        "java",
        "--java-package",
        "demo.gen",
        "-o",
        again.toString()
      ).status()
    );
    assertArrayEquals(
      Files.readAllBytes(source),
      Files.readAllBytes(again.resolve("demo/gen/DigitsModel.java"))
    );

    Path classes = tmp.resolve("classes");
    Files.createDirectories(classes.resolve("demo/gen"));
    JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
    ByteArrayOutputStream diagnostics = new ByteArrayOutputStream();
    int status = javac.run(
      null,
      diagnostics,
      diagnostics,
      "-Xlint:all,-path",
      "-Werror",
      "-cp",
      System.getProperty("java.class.path"),
      "-d",
      classes.toString(),
      source.toString()
    );
    assertEquals(0, status, diagnostics.toString(StandardCharsets.UTF_8));
    Files.copy(out.resolve("digits.so"), classes.resolve("demo/gen/digits.so"));

    try (
      URLClassLoader loader = new URLClassLoader(
        new URL[] { classes.toUri().toURL() },
        getClass().getClassLoader()
      )
    ) {
      Class<?> cls = loader.loadClass("demo.gen.DigitsModel");
      assertEquals(List.of(1L, 10L), cls.getField("OUTPUT_PROBABILITIES_DIMS").get(null));
      Object model = cls.getMethod("load").invoke(null);
      try {
        float[] image = new float[64];
        String rows = THREE.replace(" ", "");
        for (int i = 0; i < 64; i++) {
          image[i] = rows.charAt(i) == '#' ? 1f : 0f;
        }
        Method run = cls.getMethod("run", float[].class);
        float[] p = (float[]) run.invoke(model, (Object) image);
        int best = 0;
        for (int k = 1; k < p.length; k++) {
          best = p[k] > p[best] ? k : best;
        }
        assertEquals(3, best);
      } finally {
        ((AutoCloseable) model).close();
      }
    }
  }

  @Test
  void bad_java_package_is_one_line_error_2(@TempDir Path tmp) {
    Cli.Result r = Cli.run(
      "compile",
      DIGITS.toString(),
      "--emit",
      "java",
      "--java-package",
      "demo.class",
      "-o",
      tmp.toString()
    );
    assertEquals(2, r.status());
    assertEquals(1, r.err().strip().lines().count(), r.err());
    assertTrue(r.err().contains("--java-package demo.class: must be a Java package name"), r.err());
  }
}
