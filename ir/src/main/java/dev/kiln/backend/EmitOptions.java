package dev.kiln.backend;

import java.util.EnumSet;
import java.util.Set;

/**
 * Which artifacts a {@link Backend#compile} call should produce.
 *
 * @param kinds the artifact kinds, at least one
 * @param timer times the backend's phases
 */
public record EmitOptions(Set<Artifacts.Kind> kinds, PhaseTimer timer) {
  /** Options asking for {@code kinds}, untimed. */
  public EmitOptions(Set<Artifacts.Kind> kinds) {
    this(kinds, PhaseTimer.NONE);
  }

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
