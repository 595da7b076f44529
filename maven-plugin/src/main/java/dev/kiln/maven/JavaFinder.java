package dev.kiln.maven;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Properties;

/**
 * Finds a {@code java} of JDK {@value #MIN_MAJOR} or newer for the forked compiler, in this order:
 * the configured binary, the JDK toolchain the project selected, the JVM running Maven, {@code
 * $JAVA_HOME}, and the JDKs under {@code /usr/lib/jvm} (as {@code bin/kiln} does). A home's major
 * version comes from its {@code release} file.
 */
final class JavaFinder {

  /** Kiln's compiler needs Java 25. */
  static final int MIN_MAJOR = 25;

  private JavaFinder() {}

  /** The first suitable {@code java} among the candidates, else a message naming what was tried. */
  static Path find(File configured, String toolchainJava) throws NoJavaException {
    List<String> tried = new ArrayList<>();
    if (configured != null) {
      return configured.toPath();
    }
    List<Path> homes = new ArrayList<>();
    if (toolchainJava != null) {
      homes.add(Path.of(toolchainJava).toAbsolutePath().getParent().getParent());
    }
    homes.add(Path.of(System.getProperty("java.home")));
    String env = System.getenv("JAVA_HOME");
    if (env != null && !env.isEmpty()) {
      homes.add(Path.of(env));
    }
    Path jvms = Path.of("/usr/lib/jvm");
    if (Files.isDirectory(jvms)) {
      try (DirectoryStream<Path> all = Files.newDirectoryStream(jvms)) {
        List<Path> sorted = new ArrayList<>();
        all.forEach(sorted::add);
        sorted.sort(null);
        homes.addAll(sorted);
      } catch (IOException e) {
        tried.add(jvms + " (" + e.getMessage() + ")");
      }
    }
    for (Path home : homes) {
      Path java = home.resolve("bin/java");
      Optional<Integer> major = major(home);
      if (Files.isExecutable(java) && major.isPresent() && major.get() >= MIN_MAJOR) {
        return java;
      }
      tried.add(home + major.map(m -> " (" + m + ")").orElse(""));
    }
    throw new NoJavaException(
      "no JDK " +
      MIN_MAJOR +
      " or newer found for the Kiln compiler (tried " +
      String.join(", ", tried) +
      "); set <java> or a JDK toolchain"
    );
  }

  /** The major version a JDK home's {@code release} file names. */
  static Optional<Integer> major(Path home) {
    Path release = home.resolve("release");
    if (!Files.isRegularFile(release)) {
      return Optional.empty();
    }
    Properties p = new Properties();
    try (InputStream in = Files.newInputStream(release)) {
      p.load(in);
    } catch (IOException e) {
      return Optional.empty();
    }
    String v = p.getProperty("JAVA_VERSION", "").replace("\"", "");
    String[] parts = v.split("[.+-]");
    try {
      int first = Integer.parseInt(parts[0]);
      return Optional.of(first == 1 && parts.length > 1 ? Integer.parseInt(parts[1]) : first);
    } catch (NumberFormatException e) {
      return Optional.empty();
    }
  }

  /** No suitable JDK was found. */
  static final class NoJavaException extends Exception {

    private static final long serialVersionUID = 1L;

    NoJavaException(String message) {
      super(message);
    }
  }
}
