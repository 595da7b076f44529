package dev.kiln.maven;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The content hash that decides recompiles, and how a JDK's major version is read. */
class CompileMojoTest {

  @Test
  void hash_depends_on_content_options_and_kiln_not_on_time_or_path(@TempDir Path tmp)
    throws Exception {
    Path model = Files.write(tmp.resolve("m.onnx"), new byte[] { 1, 2, 3 });
    Path copy = Files.write(tmp.resolve("elsewhere.onnx"), new byte[] { 1, 2, 3 });
    Path jar = Files.write(tmp.resolve("kiln-compiler.jar"), new byte[] { 9 });
    List<String> opts = List.of("--emit", "so,header,java", "-O2");
    List<String> jars = List.of(jar.toString());
    String h = CompileMojo.hash(model, opts, jars);
    assertEquals(64, h.length());
    Files.setLastModifiedTime(model, FileTime.fromMillis(0));
    assertEquals(h, CompileMojo.hash(model, opts, jars), "touching the model");
    assertEquals(h, CompileMojo.hash(copy, opts, jars), "same bytes, other path");
    assertNotEquals(h, CompileMojo.hash(model, List.of("--emit", "so,header,java", "-O3"), jars));
    Files.write(jar, new byte[] { 10 });
    assertNotEquals(h, CompileMojo.hash(model, opts, jars), "another Kiln build");
    Files.write(jar, new byte[] { 9 });
    Files.write(model, new byte[] { 1, 2, 4 });
    assertNotEquals(h, CompileMojo.hash(model, opts, jars), "another model");
  }

  @Test
  void major_version_comes_from_the_release_file(@TempDir Path tmp) throws Exception {
    Files.writeString(tmp.resolve("release"), "JAVA_VERSION=\"25.0.1\"\n");
    assertEquals(Optional.of(25), JavaFinder.major(tmp));
    Files.writeString(tmp.resolve("release"), "JAVA_VERSION=\"1.8.0_402\"\n");
    assertEquals(Optional.of(8), JavaFinder.major(tmp));
    Files.delete(tmp.resolve("release"));
    assertEquals(Optional.empty(), JavaFinder.major(tmp));
  }
}
