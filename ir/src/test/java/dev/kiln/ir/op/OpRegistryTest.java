package dev.kiln.ir.op;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.kiln.ir.Tensor;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The op registry against the sealed {@link Op} hierarchy and the naming rule of the text form. */
class OpRegistryTest {

  /**
   * Ops whose textual name deliberately departs from prefix + snake_case(simple name). Adding an
   * entry here is a decision about the text form, not a way to silence the test.
   */
  static final Map<Class<? extends Op>, String> NAMING_EXCEPTIONS = Map.of(
    MatMul.class,
    "nn.matmul",
    QMatMul.class,
    "q.matmul"
  );

  /** Every record reachable through the permitted subclasses of {@link Op}, depth first. */
  static List<Class<? extends Op>> permittedRecords() {
    List<Class<? extends Op>> records = new ArrayList<>();
    walk(Op.class, records, new HashSet<>());
    return records;
  }

  private static void walk(Class<?> c, List<Class<? extends Op>> out, Set<Class<?>> seen) {
    for (Class<?> sub : c.getPermittedSubclasses()) {
      if (!seen.add(sub)) {
        continue;
      }
      if (sub.isRecord()) {
        out.add(sub.asSubclass(Op.class));
      } else {
        assertTrue(sub.isSealed(), sub + " in the Op hierarchy is neither a record nor sealed");
        walk(sub, out, seen);
      }
    }
  }

  static Stream<Class<? extends Op>> ops() {
    return permittedRecords().stream();
  }

  /** {@code GlobalAveragePool} -> {@code global_average_pool}. */
  static String snakeCase(String camel) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < camel.length(); i++) {
      char c = camel.charAt(i);
      if (Character.isUpperCase(c)) {
        if (i > 0) {
          b.append('_');
        }
        b.append(Character.toLowerCase(c));
      } else {
        b.append(c);
      }
    }
    return b.toString();
  }

  /**
   * The name the rule gives: {@code return} is the bare terminator, the integer ops ({@link
   * QuantizedOp}, {@code QConv}) are {@code q.} with the {@code Q} dropped ({@code q.conv}), all
   * others are {@code nn.}.
   */
  static String ruleName(Class<? extends Op> c) {
    if (QuantizedOp.class.isAssignableFrom(c)) {
      return "q." + snakeCase(c.getSimpleName().substring(1));
    }
    String snake = snakeCase(c.getSimpleName());
    return c == Return.class ? snake : "nn." + snake;
  }

  @Test
  void snake_case_helper() {
    assertEquals("batch_norm", snakeCase("BatchNorm"));
    assertEquals("global_average_pool", snakeCase("GlobalAveragePool"));
    assertEquals("return", snakeCase("Return"));
    assertEquals("add", snakeCase("Add"));
  }

  @Test
  void hierarchy_walk_finds_the_core_set() {
    List<Class<? extends Op>> records = permittedRecords();
    for (Class<? extends Op> c : List.of(
      Constant.class,
      Return.class,
      Add.class,
      Relu.class,
      Conv.class,
      BatchNorm.class,
      MatMul.class,
      Gemm.class,
      MaxPool.class,
      AveragePool.class,
      GlobalAveragePool.class,
      Reshape.class,
      Transpose.class,
      Concat.class,
      Softmax.class,
      If.class
    )) {
      assertTrue(records.contains(c), c + " not found under Op");
    }
    assertEquals(records.size(), new LinkedHashSet<>(records).size(), "duplicates: " + records);
  }

  @Test
  void every_permitted_record_is_registered_and_nothing_else() {
    List<Class<? extends Op>> records = permittedRecords();
    assertEquals(Set.copyOf(records), Set.copyOf(OpRegistry.all()));
    assertEquals(records.size(), OpRegistry.all().size());
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("ops")
  void registered_under_its_spec_name(Class<? extends Op> c) throws ReflectiveOperationException {
    Field f = c.getField("SPEC");
    assertTrue(Modifier.isStatic(f.getModifiers()), c + ".SPEC is not static");
    assertTrue(Modifier.isFinal(f.getModifiers()), c + ".SPEC is not final");
    assertEquals(OpSpec.class, f.getType());
    OpSpec spec = (OpSpec) f.get(null);
    assertSame(spec, OpRegistry.spec(c));
    assertEquals(Optional.of(c), OpRegistry.byName(spec.name()));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("ops")
  void textual_name_follows_the_naming_rule(Class<? extends Op> c) {
    String name = OpRegistry.spec(c).name();
    String expected = NAMING_EXCEPTIONS.getOrDefault(c, ruleName(c));
    assertEquals(expected, name, "textual name of " + c.getSimpleName());
  }

  @Test
  void naming_rule_examples_both_ways() {
    assertEquals(Optional.of(BatchNorm.class), OpRegistry.byName("nn.batch_norm"));
    assertEquals(Optional.of(GlobalAveragePool.class), OpRegistry.byName("nn.global_average_pool"));
    assertEquals(Optional.of(Return.class), OpRegistry.byName("return"));
    assertEquals("nn.batch_norm", OpRegistry.spec(BatchNorm.class).name());
    assertEquals("nn.global_average_pool", OpRegistry.spec(GlobalAveragePool.class).name());
    assertEquals(Optional.of(QConv.class), OpRegistry.byName("q.conv"));
    assertEquals("q.global_average_pool", OpRegistry.spec(QGlobalAveragePool.class).name());
    assertEquals("return", OpRegistry.spec(Return.class).name());
    assertEquals(Optional.empty(), OpRegistry.byName("nn.BatchNorm"));
    assertEquals(Optional.empty(), OpRegistry.byName("batch_norm"));
    assertEquals(Optional.empty(), OpRegistry.byName("nn.return"));
  }

  @Test
  void naming_exceptions_are_current() {
    for (Map.Entry<Class<? extends Op>, String> e : NAMING_EXCEPTIONS.entrySet()) {
      String actual = OpRegistry.spec(e.getKey()).name();
      assertEquals(e.getValue(), actual, "stale exception for " + e.getKey().getSimpleName());
      assertFalse(
        actual.equals(ruleName(e.getKey())),
        e.getKey().getSimpleName() + " now follows the rule; drop it from NAMING_EXCEPTIONS"
      );
    }
  }

  @Test
  void names_are_unique_and_lexically_valid_op_names() {
    Set<String> names = new HashSet<>();
    for (Class<? extends Op> c : OpRegistry.all()) {
      String name = OpRegistry.spec(c).name();
      assertTrue(names.add(name), "duplicate name " + name);
      assertTrue(name.matches("[A-Za-z_][A-Za-z0-9_.]*"), "not a BARE_ID: " + name);
      assertEquals(name.toLowerCase(Locale.ROOT), name);
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("ops")
  void every_default_names_a_component_and_fits_its_type(Class<? extends Op> c) {
    OpSpec spec = OpRegistry.spec(c);
    for (Map.Entry<String, Object> d : spec.defaults().entrySet()) {
      RecordComponent comp = component(c, d.getKey());
      assertNotNull(comp, c.getSimpleName() + " default '" + d.getKey() + "' names no component");
      assertTrue(
        fits(d.getValue(), comp.getGenericType()),
        c.getSimpleName() +
        "." +
        d.getKey() +
        ": default " +
        d.getValue() +
        " (" +
        d.getValue().getClass().getSimpleName() +
        ") does not fit " +
        comp.getGenericType().getTypeName()
      );
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("ops")
  void operand_names_follow_the_spec_conventions(Class<? extends Op> c) {
    OpSpec spec = OpRegistry.spec(c);
    List<String> operands = spec.operands();
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < operands.size(); i++) {
      String o = operands.get(i);
      boolean last = i == operands.size() - 1;
      if (!last) {
        assertFalse(o.endsWith("..."), c + ": only the last operand may be " + o);
        String next = operands.get(i + 1);
        assertFalse(
          o.endsWith("?") && !next.endsWith("?"),
          c + ": optional operand " + o + " is followed by required " + next
        );
      }
      assertTrue(seen.add(o.replace("?", "").replace("...", "")), c + ": duplicate operand " + o);
    }
    assertTrue(spec.minOperands() <= spec.maxOperands());
    assertTrue(spec.regions() >= 0);
    for (int i = 0; i < spec.results().size() - 1; i++) {
      assertFalse(spec.results().get(i).endsWith("..."), c + ": only the last result is variadic");
    }
  }

  /**
   * Attribute types are what the printer and parser handle; a record built from the defaults plus
   * sample values for required attributes constructs, and its name is the spec's.
   */
  @ParameterizedTest(name = "{0}")
  @MethodSource("ops")
  void constructible_from_defaults(Class<? extends Op> c) throws ReflectiveOperationException {
    OpSpec spec = OpRegistry.spec(c);
    RecordComponent[] comps = c.getRecordComponents();
    Object[] args = new Object[comps.length];
    Class<?>[] types = new Class<?>[comps.length];
    for (int i = 0; i < comps.length; i++) {
      types[i] = comps[i].getType();
      assertTrue(
        supported(comps[i].getGenericType()),
        c.getSimpleName() + "." + comps[i].getName() + " has no text form"
      );
      args[i] = spec.defaults().containsKey(comps[i].getName())
        ? spec.defaults().get(comps[i].getName())
        : sample(comps[i].getGenericType());
    }
    Op op = c.getDeclaredConstructor(types).newInstance(args);
    assertEquals(spec.name(), op.name());
    assertSame(spec, op.spec());
  }

  private static RecordComponent component(Class<?> c, String name) {
    for (RecordComponent rc : c.getRecordComponents()) {
      if (rc.getName().equals(name)) {
        return rc;
      }
    }
    return null;
  }

  /** Whether {@code value} can be passed for a component of generic type {@code t}. */
  static boolean fits(Object value, Type t) {
    if (value == null) {
      return false;
    }
    if (t instanceof ParameterizedType p) {
      if (p.getRawType() != List.class || !(value instanceof List<?> list)) {
        return false;
      }
      Type elem = p.getActualTypeArguments()[0];
      return list.stream().allMatch(x -> fits(x, elem));
    }
    if (!(t instanceof Class<?> k)) {
      return false;
    }
    if (k == long.class || k == Long.class) {
      return value instanceof Long;
    }
    if (k == int.class || k == Integer.class) {
      return value instanceof Integer;
    }
    if (k == double.class || k == Double.class) {
      return value instanceof Double;
    }
    if (k == float.class || k == Float.class) {
      return value instanceof Float;
    }
    if (k == boolean.class || k == Boolean.class) {
      return value instanceof Boolean;
    }
    return k.isInstance(value);
  }

  /** The attribute types ModuleParser.convert and Printer.attrValue know. */
  static boolean supported(Type t) {
    if (t instanceof ParameterizedType p) {
      return p.getRawType() == List.class && supported(p.getActualTypeArguments()[0]);
    }
    if (!(t instanceof Class<?> k)) {
      return false;
    }
    return (
      k == long.class ||
      k == Long.class ||
      k == int.class ||
      k == Integer.class ||
      k == double.class ||
      k == Double.class ||
      k == float.class ||
      k == Float.class ||
      k == boolean.class ||
      k == Boolean.class ||
      k == String.class ||
      k == Tensor.class ||
      k.isEnum()
    );
  }

  private static Object sample(Type t) {
    if (t instanceof ParameterizedType) {
      return List.of(1L, 1L);
    }
    Class<?> k = (Class<?>) t;
    if (k == long.class || k == Long.class) {
      return 0L;
    }
    if (k == int.class || k == Integer.class) {
      return 0;
    }
    if (k == double.class || k == Double.class) {
      return 0.0;
    }
    if (k == float.class || k == Float.class) {
      return 0f;
    }
    if (k == boolean.class || k == Boolean.class) {
      return false;
    }
    if (k == String.class) {
      return "";
    }
    if (k == Tensor.class) {
      return Tensor.splat(dev.kiln.ir.TensorType.of(dev.kiln.ir.ElementType.F32), 0);
    }
    if (k.isEnum()) {
      return k.getEnumConstants()[0];
    }
    fail("no sample for " + t);
    return null;
  }
}
