package dev.kiln.backend;

import dev.kiln.ir.loop.LoopFunc;
import java.util.List;

/**
 * What a backend compiles: one lowered function, the model file it came from (for comments), and
 * how its top-level statements group by source node, so that a backend printing source code can
 * give each group a function of its own and name the nodes it computes.
 *
 * @param func the function, compiled as {@code func.name() + "_run"}
 * @param source the model file name, for generated comments
 * @param groups consecutive, non-overlapping ranges of {@code func.body()} in order; statements
 *     outside every range belong to no node (copies into outputs)
 */
public record LoopModule(LoopFunc func, String source, List<Group> groups) {
  /**
   * Statements {@code [from, to)} of the function's body, computing the Graph IR nodes {@code
   * nodes} (each as {@code op "name"}; an elementwise chain fused into its consumer lists every
   * member). No variable declared in a group is used outside it.
   */
  public record Group(int from, int to, List<String> nodes) {
    public Group {
      if (from < 0 || to < from) {
        throw new IllegalArgumentException("group [" + from + ", " + to + ")");
      }
      nodes = List.copyOf(nodes);
    }
  }

  public LoopModule {
    groups = List.copyOf(groups);
    int end = 0;
    for (Group g : groups) {
      if (g.from() < end || g.to() > func.body().size()) {
        throw new IllegalArgumentException(
          "group [" + g.from() + ", " + g.to() + ") out of order or past the body"
        );
      }
      end = g.to();
    }
  }

  /** {@code func} with no grouping: the whole body is one unnamed group. */
  public static LoopModule of(LoopFunc func) {
    return new LoopModule(func, func.name(), List.of());
  }
}
