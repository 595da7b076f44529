package dev.kiln.pass;

import dev.kiln.ir.Module;

/**
 * A named transformation of a module. The class name, the pipeline flag and the golden test file
 * share one stem: class {@code DeadCodeElimination}, flag {@code dce}, golden {@code dce.kir}.
 */
public interface Pass {
  /** The flag that names this pass in a pipeline, for example {@code cse}. */
  String name();

  /** Runs the pass; all changes go through {@code ctx.rewriter()}. */
  void run(Module module, PassContext ctx);
}
