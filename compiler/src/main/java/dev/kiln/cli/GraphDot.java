package dev.kiln.cli;

import dev.kiln.analysis.Flops;
import dev.kiln.ir.BlockArgument;
import dev.kiln.ir.Func;
import dev.kiln.ir.Location;
import dev.kiln.ir.Node;
import dev.kiln.ir.Value;
import dev.kiln.ir.op.Constant;
import dev.kiln.ir.op.Return;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The Graphviz DOT text of a function's graph, for {@code kiln inspect --graph}: one box per
 * operation (op name, the model's node names from its location, its FLOPs), inputs and outputs as
 * ellipses, an edge per use labelled with the tensor's shape and element type. A node whose
 * location is fused (ops that passes merged, such as a convolution with its batch norm and
 * activation) sits in a box of its own titled {@code fused: a + b + c}. The {@link #HEAVIEST}
 * nodes with the most FLOPs are filled, darker for more, and labelled with their rank and share of
 * the total. Constants (weights) are left out. Nodes are numbered in graph order, so equal graphs
 * give equal text.
 */
final class GraphDot {

  /** How many of the heaviest nodes are marked. */
  static final int HEAVIEST = 5;

  private static final String[] FILLS = { "#d7301f", "#ef6548", "#fc8d59", "#fdbb84", "#fdd49e" };

  private GraphDot() {}

  static String of(Func f, List<String> inputNames, List<String> outputNames, String title) {
    StringBuilder s = new StringBuilder();
    s.append("digraph kiln {\n");
    s.append("  graph [rankdir=TB, fontname=\"Helvetica\", label=").append(quote(title));
    s.append(", labelloc=t];\n");
    s.append("  node [shape=box, style=\"rounded\", fontname=\"Helvetica\", fontsize=10];\n");
    s.append("  edge [fontname=\"Helvetica\", fontsize=8];\n");
    Map<Value, String> ids = new IdentityHashMap<>();
    for (BlockArgument a : f.arguments()) {
      String id = "in" + a.index();
      ids.put(a, id);
      s.append("  ").append(id).append(" [shape=ellipse, label=");
      s.append(quote(inputNames.get(a.index()) + "\n" + shape(a))).append("];\n");
    }
    List<Node> nodes = new ArrayList<>();
    Node ret = null;
    for (Node n : f.entry().nodes()) {
      if (n.op() instanceof Return) {
        ret = n;
      } else if (!(n.op() instanceof Constant)) {
        nodes.add(n);
      }
    }
    long total = 0;
    Map<Node, Long> flops = new IdentityHashMap<>();
    for (Node n : nodes) {
      long k = Flops.of(n);
      flops.put(n, k);
      total += k;
    }
    List<Node> heavy = nodes
      .stream()
      .filter(n -> flops.get(n) > 0)
      .sorted(Comparator.comparing((Node n) -> flops.get(n)).reversed())
      .limit(HEAVIEST)
      .toList();
    Map<Node, Integer> rank = new HashMap<>();
    for (int i = 0; i < heavy.size(); i++) {
      rank.put(heavy.get(i), i);
    }
    for (int i = 0; i < nodes.size(); i++) {
      Node n = nodes.get(i);
      String id = "n" + i;
      for (Value r : n.results()) {
        ids.put(r, id);
      }
      List<String> names = names(n.location());
      StringBuilder label = new StringBuilder(n.op().name());
      if (!names.isEmpty() && names.size() <= 1) {
        label.append('\n').append(names.getFirst());
      }
      long k = flops.get(n);
      if (k > 0) {
        label.append('\n').append(human(k)).append("FLOP");
      }
      Integer r = rank.get(n);
      String indent = "  ";
      if (names.size() > 1) {
        s.append("  subgraph cluster_").append(i).append(" {\n");
        s.append("    style=\"rounded,dashed\"; color=\"#4575b4\"; fontsize=9; label=");
        s.append(quote("fused: " + String.join(" + ", names))).append(";\n");
        indent = "    ";
      }
      s.append(indent).append(id).append(" [label=");
      if (r != null) {
        label.append(
          String.format(
            Locale.ROOT,
            "\n#%d by FLOPs (%.1f%%)",
            r + 1,
            (100.0 * k) / Math.max(total, 1)
          )
        );
        s.append(quote(label.toString())).append(", style=\"rounded,filled\", fillcolor=\"");
        s.append(FILLS[r]).append("\", penwidth=2");
      } else {
        s.append(quote(label.toString()));
      }
      s.append("];\n");
      if (names.size() > 1) {
        s.append("  }\n");
      }
    }
    for (int i = 0; i < nodes.size(); i++) {
      for (Value v : nodes.get(i).operands()) {
        edge(s, ids.get(v), "n" + i, v);
      }
    }
    if (ret != null) {
      for (int i = 0; i < ret.numOperands(); i++) {
        String id = "out" + i;
        Value v = ret.operand(i);
        s.append("  ").append(id).append(" [shape=ellipse, label=");
        s.append(quote(outputNames.get(i))).append("];\n");
        edge(s, ids.get(v), id, v);
      }
    }
    s.append("}\n");
    return s.toString();
  }

  private static void edge(StringBuilder s, String from, String to, Value v) {
    if (from != null) {
      s.append("  ").append(from).append(" -> ").append(to).append(" [label=");
      s.append(quote(shape(v))).append("];\n");
    }
  }

  /** {@code tensor<1x64xf32>} as {@code 1x64xf32}. */
  private static String shape(Value v) {
    String t = v.type().toString();
    return t.startsWith("tensor<") && t.endsWith(">") ? t.substring(7, t.length() - 1) : t;
  }

  /** The model's node names a location carries, in order, without repeats. */
  private static List<String> names(Location loc) {
    List<String> out = new ArrayList<>();
    collect(loc, out);
    return out;
  }

  private static void collect(Location loc, List<String> out) {
    switch (loc) {
      case Location.Named n -> {
        if (!out.contains(n.name())) {
          out.add(n.name());
        }
        collect(n.child(), out);
      }
      case Location.Fused f -> f.parts().forEach(p -> collect(p, out));
      case Location.FileLine l -> {}
      case Location.Unknown u -> {}
    }
  }

  /** 1234567 as {@code 1.23 M}. */
  private static String human(long n) {
    String[] units = { "", " k", " M", " G", " T" };
    double v = n;
    int u = 0;
    while (v >= 1000 && u < units.length - 1) {
      v /= 1000;
      u++;
    }
    return u == 0
      ? n + " "
      : String.format(Locale.ROOT, v >= 100 ? "%.0f%s" : "%.3g%s", v, units[u]) + " ";
  }

  private static String quote(String text) {
    StringBuilder s = new StringBuilder("\"");
    for (char c : text.toCharArray()) {
      switch (c) {
        case '"' -> s.append("\\\"");
        case '\\' -> s.append("\\\\");
        case '\n' -> s.append("\\n");
        default -> s.append(c < 32 ? ' ' : c);
      }
    }
    return s.append('"').toString();
  }
}
