package dev.kiln.ir.text;

import dev.kiln.ir.op.Op;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.RecordComponent;

/** Reads op attributes generically through record components. */
final class Attributes {

  private Attributes() {}

  static Object get(Op op, RecordComponent c) {
    try {
      return c.getAccessor().invoke(op);
    } catch (IllegalAccessException | InvocationTargetException e) {
      throw new IllegalStateException("cannot read " + op.name() + "." + c.getName(), e);
    }
  }
}
