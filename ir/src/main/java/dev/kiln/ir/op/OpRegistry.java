package dev.kiln.ir.op;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Every op of the core set, found by walking the permitted subclasses of {@link Op}: a record
 * class is registered under the name its {@code SPEC} field declares.
 */
public final class OpRegistry {

  private static final Map<Class<?>, OpSpec> SPECS = new LinkedHashMap<>();
  private static final Map<String, Class<? extends Op>> BY_NAME = new LinkedHashMap<>();

  static {
    List<Class<?>> pending = new ArrayList<>(List.of(Op.class.getPermittedSubclasses()));
    while (!pending.isEmpty()) {
      Class<?> c = pending.removeFirst();
      if (c.isRecord()) {
        register(c.asSubclass(Op.class));
      } else if (c.isSealed()) {
        pending.addAll(List.of(c.getPermittedSubclasses()));
      } else {
        throw new IllegalStateException(c + " is neither a record nor sealed");
      }
    }
  }

  private OpRegistry() {}

  private static void register(Class<? extends Op> c) {
    try {
      Field f = c.getField("SPEC");
      if (!Modifier.isStatic(f.getModifiers()) || f.getType() != OpSpec.class) {
        throw new IllegalStateException(c + ".SPEC must be a static OpSpec");
      }
      OpSpec spec = (OpSpec) f.get(null);
      SPECS.put(c, spec);
      if (BY_NAME.put(spec.name(), c) != null) {
        throw new IllegalStateException("two ops are named " + spec.name());
      }
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException("op record " + c.getName() + " has no public SPEC", e);
    }
  }

  public static OpSpec spec(Class<?> c) {
    OpSpec s = SPECS.get(c);
    if (s == null) {
      throw new IllegalStateException(c.getName() + " is not a registered op");
    }
    return s;
  }

  public static Optional<Class<? extends Op>> byName(String name) {
    return Optional.ofNullable(BY_NAME.get(name));
  }

  /** All op classes in registration order. */
  public static List<Class<? extends Op>> all() {
    return Collections.unmodifiableList(new ArrayList<>(BY_NAME.values()));
  }
}
