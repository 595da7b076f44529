package dev.kiln.frontend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The frontends depend on {@code dev.kiln.frontend}, never on each other, and the shared package on
 * neither: checked on the sources of {@code compiler/src/main/java}, so an import, a wildcard
 * import, a fully qualified name or a Javadoc link all count.
 */
class FrontendDependenciesTest {

  private static final Path SOURCES = Path.of("src/main/java/dev/kiln");

  static Stream<Arguments> rules() {
    return Stream.of(
      Arguments.of("onnx", List.of("tf")),
      Arguments.of("tf", List.of("onnx")),
      Arguments.of("frontend", List.of("onnx", "tf"))
    );
  }

  @ParameterizedTest(name = "{0} does not reference {1}")
  @MethodSource("rules")
  void package_does_not_reference_forbidden_packages(String pkg, List<String> forbidden)
    throws IOException {
    Path dir = SOURCES.resolve(pkg);
    assertTrue(Files.isDirectory(dir), "no sources at " + dir.toAbsolutePath());
    Map<String, Pattern> patterns = new LinkedHashMap<>();
    for (String f : forbidden) {
      patterns.put(f, Pattern.compile("\\bdev\\.kiln\\." + f + "\\b"));
    }
    List<String> violations = new ArrayList<>();
    int files = 0;
    try (Stream<Path> walk = Files.walk(dir)) {
      for (Path p : walk
        .filter(q -> q.toString().endsWith(".java"))
        .sorted()
        .toList()) {
        files++;
        List<String> lines = Files.readAllLines(p);
        for (int i = 0; i < lines.size(); i++) {
          for (Map.Entry<String, Pattern> e : patterns.entrySet()) {
            if (e.getValue().matcher(lines.get(i)).find()) {
              violations.add(SOURCES.relativize(p) + ":" + (i + 1) + ": " + lines.get(i).strip());
            }
          }
        }
      }
    }
    assertTrue(files > 0, "no Java files under " + dir);
    assertEquals(List.of(), violations, "dev.kiln." + pkg + " must not reference " + forbidden);
  }
}
