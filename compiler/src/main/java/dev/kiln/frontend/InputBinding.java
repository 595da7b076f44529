package dev.kiln.frontend;

import dev.kiln.ir.DiagnosticException;
import dev.kiln.ir.Dim;
import dev.kiln.ir.Location;
import dev.kiln.ir.Shape;

/**
 * How a shape bound with {@code --input NAME=DIMS} meets the shape a model declares for that input:
 * the bound shape wins, but it must have the declared rank and agree with every declared size.
 */
public final class InputBinding {

  private InputBinding() {}

  /**
   * The shape of input {@code name}, described as {@code what} in messages ({@code graph input
   * 'x'}): {@code bound} when given, else {@code declared}. Either may be null; both null is an
   * error that says how to bind one.
   */
  public static Shape shape(String what, String name, Shape declared, Shape bound) {
    if (bound == null) {
      if (declared == null) {
        throw error(what + " has no shape; bind one with --input " + name + "=DIMS");
      }
      return declared;
    }
    if (declared == null) {
      return bound;
    }
    if (declared.rank() != bound.rank()) {
      throw error(what + " has rank " + declared.rank() + " but is bound to " + bound.dims());
    }
    for (int i = 0; i < bound.rank(); i++) {
      Dim d = declared.dim(i);
      if (d.isKnown() && bound.dim(i).isKnown() && d.size() != bound.dim(i).size()) {
        throw error(
          what + " dimension " + i + " is " + d.size() + " but is bound to " + bound.dim(i).size()
        );
      }
    }
    return bound;
  }

  private static DiagnosticException error(String message) {
    return DiagnosticException.error(Location.UNKNOWN, message);
  }
}
