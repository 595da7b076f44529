package dev.kiln.ir;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;

/** The unit of compilation: an ordered list of functions with distinct names. */
public final class Module {

  private final List<Func> funcs = new ArrayList<>();

  public List<Func> funcs() {
    return Collections.unmodifiableList(funcs);
  }

  public Optional<Func> func(String name) {
    return funcs
      .stream()
      .filter(f -> f.name().equals(name))
      .findFirst();
  }

  public void add(Func f) {
    if (func(f.name()).isPresent()) {
      throw new IllegalArgumentException("duplicate function @" + f.name());
    }
    funcs.add(f);
  }
}
