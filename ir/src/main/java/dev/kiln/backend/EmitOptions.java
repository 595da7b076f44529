package dev.kiln.backend;

import java.util.EnumSet;
import java.util.Set;

/**
 * Which artifacts a {@link Backend#compile} call should produce.
 *
 * @param kinds the artifact kinds, at least one
 */
public record EmitOptions(Set<Artifacts.Kind> kinds) {
  public EmitOptions {
    if (kinds.isEmpty()) {
      throw new IllegalArgumentException("no artifact asked for");
    }
    kinds = Set.copyOf(EnumSet.copyOf(kinds));
  }

  /** Options asking for {@code first} and {@code rest}. */
  public static EmitOptions of(Artifacts.Kind first, Artifacts.Kind... rest) {
    return new EmitOptions(EnumSet.of(first, rest));
  }

  /** Whether {@code kind} is asked for. */
  public boolean wants(Artifacts.Kind kind) {
    return kinds.contains(kind);
  }
}
