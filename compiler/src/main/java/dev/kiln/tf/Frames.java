package dev.kiln.tf;

import dev.kiln.frontend.UnsupportedOpsException;
import dev.kiln.ir.Diagnostic;
import dev.kiln.ir.DiagnosticException;
import dev.kiln.ir.Location;
import dev.kiln.ir.Printing;
import dev.kiln.tf.proto.TfProto;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The while-loop frames of a TF1 graph. {@code Enter} starts a child frame named by its {@code
 * frame_name}, {@code Exit} returns to the parent, and every other node lives in the deepest frame
 * among its data inputs, or among its control inputs when it has no data inputs (so a {@code Const}
 * with a control input from the loop body is inside the loop). The only back edges allowed are {@code NextIteration -> Merge}; any
 * other cycle is an error. Each frame is checked to be a loop as {@code tf.while_loop} writes it:
 * one {@code LoopCond}, every {@code Merge} fed by an {@code Enter} and a {@code NextIteration},
 * every {@code Switch} splitting a {@code Merge} on the {@code LoopCond}, every {@code Exit} fed by
 * a {@code Switch}'s false output. {@code Switch}/{@code Merge} outside that shape ({@code tf.cond})
 * are reported as not supported.
 */
final class Frames {

  /** One while loop. */
  static final class Frame {

    final String name;
    Frame parent;
    final List<TfProto.NodeDef> enters = new ArrayList<>();
    final List<TfProto.NodeDef> merges = new ArrayList<>();
    final List<TfProto.NodeDef> switches = new ArrayList<>();
    final List<TfProto.NodeDef> exits = new ArrayList<>();
    final List<TfProto.NodeDef> loopConds = new ArrayList<>();
    /** Inputs from outside this frame (and its children) of nodes inside it. */
    final Set<String> external = new java.util.LinkedHashSet<>();
    /** Switch name to the Merge it splits. */
    final Map<String, TfProto.NodeDef> switchMerge = new HashMap<>();

    Frame(String name, Frame parent) {
      this.name = name;
      this.parent = parent;
    }

    boolean within(Frame f) {
      for (Frame x = this; x != null; x = x.parent) {
        if (x == f) {
          return true;
        }
      }
      return false;
    }

    int depth() {
      int d = 0;
      for (Frame x = parent; x != null; x = x.parent) {
        d++;
      }
      return d;
    }

    TfProto.NodeDef loopCond() {
      return loopConds.getFirst();
    }
  }

  /** The frame of graphs without loops: everything is in it. */
  static final Frame ROOT = new Frame("", null);

  private final Map<String, Frame> frameOf;

  private Frames(Map<String, Frame> frameOf) {
    this.frameOf = frameOf;
  }

  /** A graph without loop frames. */
  static Frames none() {
    return new Frames(Map.of());
  }

  /** The frame of node {@code name}; {@link #ROOT} outside loops. */
  Frame of(String name) {
    return frameOf.getOrDefault(name, ROOT);
  }

  /** The loop whose {@code Exit} node {@code n} is, or null when it is no {@code Exit}. */
  Frame exited(TfProto.NodeDef n) {
    if (!n.getOp().equals("Exit") || n.getInputCount() == 0) {
      return null;
    }
    return of(TfImporter.Ref.parse(n.getInput(0)).node());
  }

  static boolean isBackEdge(TfProto.NodeDef merge, TfProto.NodeDef input) {
    return merge.getOp().equals("Merge") && input.getOp().equals("NextIteration");
  }

  /** Assigns every node of {@code byName} its frame and checks each loop's structure. */
  static Frames analyze(Map<String, TfProto.NodeDef> byName) {
    Map<String, List<String>> consumers = new HashMap<>();
    Map<String, Integer> pending = new HashMap<>();
    for (TfProto.NodeDef n : byName.values()) {
      int count = 0;
      for (String in : n.getInputList()) {
        TfProto.NodeDef p = byName.get(TfImporter.Ref.parse(in).node());
        if (p == null) {
          throw error(label(n) + ": input '" + in + "' names no node in the graph");
        }
        if (isBackEdge(n, p)) {
          continue;
        }
        consumers.computeIfAbsent(p.getName(), k -> new ArrayList<>()).add(n.getName());
        count++;
      }
      pending.put(n.getName(), count);
    }
    ArrayDeque<String> ready = new ArrayDeque<>();
    for (Map.Entry<String, Integer> e : pending.entrySet()) {
      if (e.getValue() == 0) {
        ready.add(e.getKey());
      }
    }
    Map<String, Frame> frameOf = new HashMap<>();
    Map<String, Frame> byFrameName = new LinkedHashMap<>();
    while (!ready.isEmpty()) {
      TfProto.NodeDef n = byName.get(ready.poll());
      Frame f = frameOf(n, byName, frameOf, byFrameName);
      frameOf.put(n.getName(), f);
      for (String c : consumers.getOrDefault(n.getName(), List.of())) {
        if (pending.merge(c, -1, Integer::sum) == 0) {
          ready.add(c);
        }
      }
    }
    if (frameOf.size() < byName.size()) {
      for (TfProto.NodeDef n : byName.values()) {
        if (!frameOf.containsKey(n.getName()) && onCycle(n, byName, frameOf)) {
          throw error(label(n) + ": the graph has a cycle through this node outside a while loop");
        }
      }
      throw new IllegalStateException("nodes left unordered without a cycle");
    }
    Frames frames = new Frames(frameOf);
    frames.check(byName, byFrameName.values());
    return frames;
  }

  private static boolean onCycle(
    TfProto.NodeDef start,
    Map<String, TfProto.NodeDef> byName,
    Map<String, Frame> done
  ) {
    ArrayDeque<TfProto.NodeDef> stack = new ArrayDeque<>();
    Set<String> seen = new java.util.HashSet<>();
    stack.push(start);
    while (!stack.isEmpty()) {
      TfProto.NodeDef n = stack.pop();
      for (String in : n.getInputList()) {
        TfProto.NodeDef p = byName.get(TfImporter.Ref.parse(in).node());
        if (isBackEdge(n, p) || done.containsKey(p.getName())) {
          continue;
        }
        if (p == start) {
          return true;
        }
        if (seen.add(p.getName())) {
          stack.push(p);
        }
      }
    }
    return false;
  }

  private static Frame frameOf(
    TfProto.NodeDef n,
    Map<String, TfProto.NodeDef> byName,
    Map<String, Frame> frameOf,
    Map<String, Frame> byFrameName
  ) {
    Frame deepest = ROOT;
    List<String> inputs = dataInputs(n);
    if (inputs.isEmpty()) {
      inputs = n.getInputList();
    }
    for (String in : inputs) {
      TfProto.NodeDef p = byName.get(TfImporter.Ref.parse(in).node());
      if (isBackEdge(n, p)) {
        continue;
      }
      Frame f = frameOf.get(p.getName());
      if (f.within(deepest)) {
        deepest = f;
      } else if (!deepest.within(f)) {
        throw error(
          label(n) +
          ": takes inputs from two different while loops ('" +
          deepest.name +
          "' and '" +
          f.name +
          "')"
        );
      }
    }
    switch (n.getOp()) {
      case "Enter" -> {
        String name = attr(n, "frame_name");
        if (name.isEmpty()) {
          throw error(label(n) + ": has no frame_name attribute");
        }
        Frame f = byFrameName.get(name);
        if (f == null) {
          f = new Frame(name, deepest);
          byFrameName.put(name, f);
        } else if (deepest.within(f)) {
          throw error(label(n) + ": enters frame '" + name + "' from inside it");
        } else if (deepest.within(f.parent) && deepest != f.parent) {
          f.parent = deepest;
        } else if (!f.parent.within(deepest)) {
          throw error(label(n) + ": enters frame '" + name + "' from a different enclosing frame");
        }
        f.enters.add(n);
        return f;
      }
      case "Exit" -> {
        if (deepest == ROOT) {
          throw error(label(n) + ": leaves a while loop but is not inside one");
        }
        deepest.exits.add(n);
        return deepest.parent;
      }
      case "Merge" -> deepest.merges.add(n);
      case "Switch" -> deepest.switches.add(n);
      case "LoopCond" -> deepest.loopConds.add(n);
      default -> {}
    }
    return deepest;
  }

  private void check(Map<String, TfProto.NodeDef> byName, java.util.Collection<Frame> all) {
    List<Diagnostic> unsupported = new ArrayList<>();
    for (TfProto.NodeDef n : byName.values()) {
      String op = n.getOp();
      if (
        (of(n.getName()) == ROOT && (op.equals("Switch") || op.equals("Merge"))) ||
        Set.of("RefEnter", "RefExit", "RefMerge", "RefSwitch", "RefNextIteration").contains(op)
      ) {
        unsupported.add(
          Diagnostic.error(
            Location.UNKNOWN,
            label(n) +
            (op.startsWith("Ref")
                ? ": reference-typed control flow is not supported"
                : ": a Switch/Merge outside the shapes of tf.while_loop and two-branch tf.cond is not supported")
          )
        );
      }
    }
    if (!unsupported.isEmpty()) {
      throw new UnsupportedOpsException(unsupported);
    }
    for (Frame f : all) {
      checkLoop(f, byName);
    }
    for (TfProto.NodeDef n : byName.values()) {
      Frame f = of(n.getName());
      for (String in : n.getInputList()) {
        TfImporter.Ref r = TfImporter.Ref.parse(in);
        if (r.control()) {
          continue;
        }
        Frame pf = of(r.node());
        for (Frame x = f; x != ROOT && !pf.within(x); x = x.parent) {
          x.external.add(in);
        }
      }
    }
  }

  private void checkLoop(Frame f, Map<String, TfProto.NodeDef> byName) {
    String where = "while loop '" + f.name + "'";
    if (f.loopConds.size() != 1) {
      throw error(where + " has " + f.loopConds.size() + " LoopCond nodes, needs exactly 1");
    }
    for (TfProto.NodeDef m : f.merges) {
      List<String> data = dataInputs(m);
      if (
        data.size() != 2 ||
        !byName.get(TfImporter.Ref.parse(data.get(0)).node()).getOp().equals("Enter") ||
        !byName.get(TfImporter.Ref.parse(data.get(1)).node()).getOp().equals("NextIteration")
      ) {
        throw unsupported(
          label(m) +
          ": a Merge inside " +
          where +
          " that does not join an Enter and a NextIteration (a tf.cond inside a loop) is not supported"
        );
      }
    }
    String cond = f.loopCond().getName();
    for (TfProto.NodeDef s : f.switches) {
      List<String> data = dataInputs(s);
      TfProto.NodeDef merge = data.size() == 2
        ? byName.get(TfImporter.Ref.parse(data.get(0)).node())
        : null;
      if (
        merge == null ||
        !merge.getOp().equals("Merge") ||
        !TfImporter.Ref.parse(data.get(1)).node().equals(cond)
      ) {
        throw unsupported(
          label(s) +
          ": a Switch inside " +
          where +
          " that does not split a loop variable on the LoopCond (a tf.cond inside a loop) is not supported"
        );
      }
      f.switchMerge.put(s.getName(), merge);
    }
    for (TfProto.NodeDef e : f.exits) {
      TfImporter.Ref r = TfImporter.Ref.parse(e.getInput(0));
      if (!f.switchMerge.containsKey(r.node()) || r.index() != 0) {
        throw error(label(e) + ": an Exit must take the false output of a Switch of its loop");
      }
    }
  }

  static List<String> dataInputs(TfProto.NodeDef n) {
    List<String> out = new ArrayList<>();
    for (String in : n.getInputList()) {
      if (!in.startsWith("^")) {
        out.add(in);
      }
    }
    return out;
  }

  static String attr(TfProto.NodeDef n, String name) {
    TfProto.AttrValue a = n.getAttrMap().get(name);
    return a == null ? "" : a.getS().toString(StandardCharsets.UTF_8);
  }

  static String label(TfProto.NodeDef n) {
    return "node " + Printing.quote(n.getName()) + " (" + n.getOp() + ")";
  }

  private static DiagnosticException error(String message) {
    return DiagnosticException.error(Location.UNKNOWN, message);
  }

  private static UnsupportedOpsException unsupported(String message) {
    return UnsupportedOpsException.of(message);
  }
}
