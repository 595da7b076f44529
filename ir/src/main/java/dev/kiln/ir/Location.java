package dev.kiln.ir;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;

/**
 * Where a node came from. Text forms: {@code loc("model.kir":3:5)}, {@code loc("conv1")}, {@code
 * loc(fused["conv1", "bn1"])}, {@code loc(unknown)}. Rewrites that merge nodes fuse their
 * locations so diagnostics still name every source node.
 */
public sealed interface Location {
  /** A position in a source file, 1-based line and column. */
  record FileLine(String file, int line, int column) implements Location {
    @Override
    public String toString() {
      return Printing.quote(file) + ":" + line + ":" + column;
    }
  }

  /** A node name from the source model, optionally with where that node is in the file. */
  record Named(String name, Location child) implements Location {
    @Override
    public String toString() {
      return Printing.quote(name) + (child instanceof Unknown ? "" : "(" + child + ")");
    }
  }

  /** Several locations merged by a rewrite. */
  record Fused(List<Location> parts) implements Location {
    public Fused {
      parts = List.copyOf(parts);
    }

    @Override
    public String toString() {
      return "fused[" + String.join(", ", parts.stream().map(Location::toString).toList()) + "]";
    }
  }

  /** No location. */
  record Unknown() implements Location {
    @Override
    public String toString() {
      return "unknown";
    }
  }

  Location UNKNOWN = new Unknown();

  static Location named(String name) {
    return new Named(name, UNKNOWN);
  }

  /** Fuses locations, flattening nested fusions and dropping duplicates and unknowns. */
  static Location fuse(List<Location> locations) {
    LinkedHashSet<Location> parts = new LinkedHashSet<>();
    for (Location l : locations) {
      switch (l) {
        case Fused f -> parts.addAll(f.parts());
        case Unknown u -> {}
        default -> parts.add(l);
      }
    }
    return switch (parts.size()) {
      case 0 -> UNKNOWN;
      case 1 -> parts.getFirst();
      default -> new Fused(new ArrayList<>(parts));
    };
  }

  /** The first file position inside this location, if any. */
  default FileLine filePosition() {
    return switch (this) {
      case FileLine f -> f;
      case Named n -> n.child().filePosition();
      case Fused f -> f
        .parts()
        .stream()
        .map(Location::filePosition)
        .filter(p -> p != null)
        .findFirst()
        .orElse(null);
      case Unknown u -> null;
    };
  }

  /** The source node names inside this location. */
  default List<String> names() {
    return switch (this) {
      case Named n -> List.of(n.name());
      case Fused f -> f
        .parts()
        .stream()
        .flatMap(p -> p.names().stream())
        .toList();
      default -> List.of();
    };
  }
}
