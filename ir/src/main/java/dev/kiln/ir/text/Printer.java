package dev.kiln.ir.text;

import dev.kiln.ir.Block;
import dev.kiln.ir.BlockArgument;
import dev.kiln.ir.Func;
import dev.kiln.ir.Location;
import dev.kiln.ir.Module;
import dev.kiln.ir.Node;
import dev.kiln.ir.Printing;
import dev.kiln.ir.Region;
import dev.kiln.ir.Tensor;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Value;
import dev.kiln.ir.op.Op;
import dev.kiln.ir.op.Return;
import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Prints a module as {@code .kir} text. Output is deterministic: values are named from their hints
 * (deduplicated with {@code _1}, {@code _2}) or numbered in order of definition, attributes are
 * sorted by name and omitted when equal to the op's default, and large constants move to the
 * {@code resources} section.
 */
public final class Printer {

  private final PrintOptions options;
  private final StringBuilder out = new StringBuilder();
  private final Map<String, Tensor> resources = new LinkedHashMap<>();
  private final Map<Tensor, String> resourceNames = new IdentityHashMap<>();
  private final Set<String> usedResourceNames = new HashSet<>();
  private Map<Value, String> names;

  private Printer(PrintOptions options) {
    this.options = options;
  }

  public static String print(Module m) {
    return print(m, PrintOptions.DEFAULT);
  }

  public static String print(Module m, PrintOptions options) {
    Printer p = new Printer(options);
    boolean first = true;
    for (Func f : m.funcs()) {
      if (!first) {
        p.out.append('\n');
      }
      first = false;
      p.func(f);
    }
    p.resourceSection();
    return p.out.toString();
  }

  private void func(Func f) {
    names = new IdentityHashMap<>();
    new Namer(names).func(f);
    out.append("func @").append(f.name()).append('(');
    args(f.arguments());
    out.append(") -> (");
    out.append(String.join(", ", f.resultTypes().stream().map(TensorType::toString).toList()));
    out.append(')');
    if (options.debugInfo()) {
      out.append(" loc(").append(f.location()).append(')');
    }
    out.append(" {\n");
    statements(f.entry(), 1);
    out.append("}\n");
  }

  private void args(List<BlockArgument> args) {
    for (int i = 0; i < args.size(); i++) {
      if (i > 0) {
        out.append(", ");
      }
      out.append(name(args.get(i))).append(": ").append(args.get(i).type());
    }
  }

  private void statements(Block b, int depth) {
    for (Node n : b.nodes()) {
      indent(depth);
      node(n, depth);
      out.append('\n');
    }
  }

  private void indent(int depth) {
    out.append("  ".repeat(depth));
  }

  private void node(Node n, int depth) {
    Op op = n.op();
    if (op instanceof Return) {
      out.append("return");
      if (n.numOperands() > 0) {
        out.append(' ').append(valueList(n.operands()));
        out.append(" : ").append(typeList(n.operands()));
      }
      loc(n.location());
      return;
    }
    if (!n.results().isEmpty()) {
      out.append(valueList(n.results())).append(" = ");
    }
    out.append(op.name());
    if (n.numOperands() > 0) {
      out.append('(').append(valueList(n.operands())).append(')');
    }
    attributes(op, n);
    out.append(" : ");
    out.append(n.results().isEmpty() ? "()" : typeList(n.results()));
    if (!n.regions().isEmpty()) {
      out.append(" (");
      for (int i = 0; i < n.regions().size(); i++) {
        if (i > 0) {
          out.append(", ");
        }
        region(n.regions().get(i), depth);
      }
      out.append(')');
    }
    loc(n.location());
  }

  private void region(Region r, int depth) {
    out.append("{\n");
    Block b = r.block();
    if (!b.arguments().isEmpty()) {
      indent(depth + 1);
      out.append("^bb0(");
      args(b.arguments());
      out.append("):\n");
    }
    statements(b, depth + 1);
    indent(depth);
    out.append('}');
  }

  private void loc(Location l) {
    if (options.debugInfo()) {
      out.append(" loc(").append(l).append(')');
    }
  }

  private String valueList(List<? extends Value> values) {
    return String.join(", ", values.stream().map(this::name).toList());
  }

  private static String typeList(List<? extends Value> values) {
    return String.join(
      ", ",
      values
        .stream()
        .map(v -> v.type().toString())
        .toList()
    );
  }

  private String name(Value v) {
    return "%" + Objects.requireNonNull(names.get(v), "value printed before it was named");
  }

  private void attributes(Op op, Node n) {
    Map<String, Object> defaults = op.spec().defaults();
    List<RecordComponent> comps = new ArrayList<>(List.of(op.getClass().getRecordComponents()));
    comps.sort(Comparator.comparing(RecordComponent::getName));
    List<String> parts = new ArrayList<>();
    for (RecordComponent c : comps) {
      Object v = Attributes.get(op, c);
      if (Objects.equals(defaults.get(c.getName()), v)) {
        continue;
      }
      parts.add(c.getName() + " = " + attrValue(v, n));
    }
    if (!parts.isEmpty()) {
      out.append(" {").append(String.join(", ", parts)).append('}');
    }
  }

  private String attrValue(Object v, Node n) {
    return switch (v) {
      case Long l -> Long.toString(l);
      case Integer i -> Integer.toString(i);
      case Double d -> Numbers.formatDouble(d);
      case Float f -> Numbers.formatFloat(f);
      case Boolean b -> b.toString();
      case String s -> Printing.quote(s);
      case Enum<?> e -> e.name().toLowerCase(Locale.ROOT);
      case List<?> l -> "[" +
      String.join(
        ", ",
        l
          .stream()
          .map(x -> attrValue(x, n))
          .toList()
      ) +
      "]";
      case Tensor t -> tensor(t, n);
      default -> throw new IllegalStateException("cannot print attribute " + v.getClass());
    };
  }

  private String tensor(Tensor t, Node n) {
    if (
      t.hasData() && (t.size() <= options.inlineLimit() || (Dense.printsAsSplat(t) && !elide(t)))
    ) {
      return "dense<" + Dense.literal(t) + "> : " + t.type();
    }
    String name = resourceNames.get(t);
    if (name == null) {
      String base = t.elidedName() != null ? t.elidedName() : hintFor(n);
      name = base;
      for (int k = 1; !usedResourceNames.add(name); k++) {
        name = base + "_" + k;
      }
      resourceNames.put(t, name);
      resources.put(name, t);
    }
    return "resource<" + (Printing.isIdentifier(name) ? name : Printing.quote(name)) + ">";
  }

  private boolean elide(Tensor t) {
    return options.elideOver() >= 0 && t.size() > options.elideOver();
  }

  private String hintFor(Node n) {
    if (n.results().size() == 1 && n.result().nameHint() != null) {
      String hint = Namer.sanitize(n.result().nameHint());
      if (!hint.isEmpty()) {
        return names.get(n.result());
      }
    }
    return "cst";
  }

  private void resourceSection() {
    if (resources.isEmpty()) {
      return;
    }
    out.append("\nresources {\n");
    for (Map.Entry<String, Tensor> e : resources.entrySet()) {
      Tensor t = e.getValue();
      String name = e.getKey();
      out.append("  ").append(Printing.isIdentifier(name) ? name : Printing.quote(name));
      out.append(": ").append(t.type()).append(" = ");
      out.append(!t.hasData() || elide(t) ? "elided" : Printing.quote(t.toHex()));
      out.append('\n');
    }
    out.append("}\n");
  }
}
