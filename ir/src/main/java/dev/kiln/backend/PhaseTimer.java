package dev.kiln.backend;

import java.util.function.Supplier;

/**
 * Times the phases of a compilation that a caller wants to show ({@code kiln compile}'s progress
 * and {@code --time-phases}): a backend runs each of its phases ({@code kernel compilation}, {@code
 * LLVM optimization}, ...) through {@link #time}. {@link #NONE} just runs them.
 */
public interface PhaseTimer {
  /** Runs {@code body} as the phase {@code phase} and returns its result. */
  <T> T time(String phase, Supplier<T> body);

  /** Runs every phase untimed. */
  PhaseTimer NONE = new PhaseTimer() {
    @Override
    public <T> T time(String phase, Supplier<T> body) {
      return body.get();
    }
  };
}
