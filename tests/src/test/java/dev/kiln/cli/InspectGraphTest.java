package dev.kiln.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.kiln.emit.Toolchain;
import dev.kiln.testing.Cli;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code kiln inspect --graph}: the DOT text of the digits model boxes the gemm fused with its
 * ReLU, labels edges with shapes and marks the heaviest ops; an {@code .svg} name is rendered by
 * Graphviz (skipped with a message when {@code dot} is not installed).
 */
class InspectGraphTest {

  static final String DIGITS = "../examples/digits.onnx";

  @Test
  void dot_text_boxes_fused_ops_and_marks_the_heaviest(@TempDir Path dir) throws Exception {
    String dot = draw(dir.resolve("digits.dot"));
    assertTrue(dot.startsWith("digraph kiln {"), dot);
    assertTrue(dot.contains("label=\"fused: hidden + relu\""), dot);
    assertTrue(dot.contains("in0 -> n0 [label=\"1x64xf32\"]"), dot);
    assertTrue(dot.contains("#1 by FLOPs (86.6%)"), dot);
    assertTrue(dot.contains("out0 [shape=ellipse, label=\"probabilities\"]"), dot);
  }

  @Test
  void svg_is_drawn_by_graphviz(@TempDir Path dir) throws Exception {
    assumeTrue(Toolchain.find("dot").isPresent(), "skipped: Graphviz (dot) is not installed");
    String svg = draw(dir.resolve("digits.svg"));
    assertTrue(svg.contains("<svg"), svg);
    assertTrue(svg.contains("fused: hidden + relu"), svg);
  }

  private static String draw(Path out) throws Exception {
    Cli.Result r = Cli.run("inspect", DIGITS, "--graph", out.toString());
    assertEquals(0, r.status(), r.err());
    return Files.readString(out);
  }
}
