package dev.kiln.testing.filecheck;

import java.util.List;

/**
 * A positive directive together with the {@code DAG} and {@code NOT} directives written before it.
 *
 * @param positive the positive directive, or {@code null} for the implicit end-of-input step that
 *     owns trailing {@code DAG}/{@code NOT} directives
 * @param dagNots the {@code DAG} and {@code NOT} directives preceding {@code positive}, in file order
 */
record CheckStep(Directive positive, List<Directive> dagNots) {
  CheckStep {
    dagNots = List.copyOf(dagNots);
  }

  boolean isLabel() {
    return positive != null && positive.kind() == Directive.Kind.LABEL;
  }
}
