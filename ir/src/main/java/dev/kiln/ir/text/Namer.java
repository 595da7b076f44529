package dev.kiln.ir.text;

import dev.kiln.ir.Block;
import dev.kiln.ir.BlockArgument;
import dev.kiln.ir.Func;
import dev.kiln.ir.Node;
import dev.kiln.ir.OpResult;
import dev.kiln.ir.Region;
import dev.kiln.ir.Value;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * Assigns printed names in definition order: a value's hint when it has one (made unique with
 * {@code _1}, {@code _2}, ...), otherwise the next number. Hints are sanitized to {@code
 * [A-Za-z0-9_.$]} and never all digits, so they cannot collide with numbers.
 */
final class Namer {

  private final Map<Value, String> names;
  private final Set<String> used = new HashSet<>();
  private int next;

  Namer(Map<Value, String> names) {
    this.names = names;
  }

  void func(Func f) {
    block(f.entry());
  }

  private void block(Block b) {
    for (BlockArgument a : b.arguments()) {
      assign(a);
    }
    for (Node n : b.nodes()) {
      for (OpResult r : n.results()) {
        assign(r);
      }
      for (Region r : n.regions()) {
        block(r.block());
      }
    }
  }

  private void assign(Value v) {
    String hint = v.nameHint() == null ? null : sanitize(v.nameHint());
    if (hint == null || hint.isEmpty()) {
      names.put(v, Integer.toString(next++));
      return;
    }
    String name = hint;
    for (int k = 1; !used.add(name); k++) {
      name = hint + "_" + k;
    }
    names.put(v, name);
  }

  /** The hint with characters outside {@code [A-Za-z0-9_.$]} replaced; all-digit hints prefixed. */
  static String sanitize(String hint) {
    StringBuilder b = new StringBuilder(hint.length());
    boolean digits = true;
    for (int i = 0; i < hint.length(); i++) {
      char c = hint.charAt(i);
      boolean ok = c < 128 && (Character.isLetterOrDigit(c) || c == '_' || c == '.' || c == '$');
      b.append(ok ? c : '_');
      digits &= c >= '0' && c <= '9';
    }
    return digits && !hint.isEmpty() ? "v" + b : b.toString();
  }
}
