package dev.kiln.tf;

import dev.kiln.frontend.ImportFolder;
import dev.kiln.frontend.ImportOptions;
import dev.kiln.frontend.ImportedModel;
import dev.kiln.frontend.InputBinding;
import dev.kiln.frontend.UnsupportedOpsException;
import dev.kiln.ir.Block;
import dev.kiln.ir.Builder;
import dev.kiln.ir.Diagnostic;
import dev.kiln.ir.DiagnosticException;
import dev.kiln.ir.ElementType;
import dev.kiln.ir.Func;
import dev.kiln.ir.Location;
import dev.kiln.ir.Module;
import dev.kiln.ir.Node;
import dev.kiln.ir.Shape;
import dev.kiln.ir.Tensor;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Value;
import dev.kiln.ir.op.Cast;
import dev.kiln.ir.op.Constant;
import dev.kiln.ir.op.Op;
import dev.kiln.ir.op.OpError;
import dev.kiln.ir.op.Reshape;
import dev.kiln.ir.op.Return;
import dev.kiln.ir.op.Transpose;
import dev.kiln.tf.ops.TfConverters;
import dev.kiln.tf.proto.TfProto;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Turns a frozen TensorFlow {@code GraphDef} into a module with one function, {@code @main}, the
 * same {@link ImportedModel} as the ONNX importer. Function arguments are the {@code
 * Placeholder}s the outputs depend on, and the inner nodes named by {@code --input} (the graph is
 * cut there: what feeds them is not imported). Outputs are the requested {@code NODE[:i]} tensors,
 * by default the graph's sinks. Only nodes the outputs depend on are imported; {@code Identity}
 * and its kin disappear, control dependencies are dropped, {@code Const} nodes become constants,
 * and every other node goes through the converter for its op type. Nodes whose operands are all
 * constants are evaluated on the spot, so in-graph shape arithmetic becomes constants once input
 * shapes are bound. Function library calls are inlined first ({@link Functions}); a graph with
 * TF1 control flow is split into while-loop frames ({@link Frames}), each imported as {@code
 * nn.loop} when the first of its {@code Exit}s is reached ({@link WhileLoops}), with TensorArrays
 * resolved by {@link TensorArrays}. Unsupported operators are collected and reported together.
 */
public final class TfImporter {

  /** Layout changes of constants (weights) are folded up to this many elements. */
  public static final long LAYOUT_FOLD_LIMIT = 1 << 26;

  private static final Set<String> PASS_THROUGH = Set.of(
    "Identity",
    "IdentityN",
    "StopGradient",
    "Snapshot",
    "PreventGradient",
    "CheckNumerics",
    "EnsureShape"
  );

  private static final Set<String> VARIABLES = Set.of(
    "Variable",
    "VariableV2",
    "VarHandleOp",
    "ReadVariableOp",
    "AssignVariableOp",
    "Assign",
    "TemporaryVariable"
  );

  private static final Set<String> CONTROL_FLOW = Set.of(
    "Enter",
    "Exit",
    "Merge",
    "Switch",
    "NextIteration",
    "LoopCond",
    "RefEnter",
    "RefExit",
    "RefMerge",
    "RefSwitch",
    "RefNextIteration"
  );

  static final Object POISON = new Object();

  /**
   * Imported tensors by {@code node:index}: a {@link Value}, a {@link TensorArrays.Item} or
   * {@code POISON} (its node was not converted). A while loop's body and condition are imported in
   * child scopes, so the same TensorFlow node can stand for different values in each.
   */
  static final class Scope {

    private final Scope parent;
    private final Map<String, Object> values = new HashMap<>();

    Scope(Scope parent) {
      this.parent = parent;
    }

    Object get(String key) {
      for (Scope s = this; s != null; s = s.parent) {
        Object v = s.values.get(key);
        if (v != null) {
          return v;
        }
      }
      return null;
    }

    void put(String key, Object v) {
      values.put(key, v);
    }
  }

  private final ImportOptions options;
  private final Map<String, TfConverter> registry = TfConverters.all();
  private final ImportFolder folder = new ImportFolder(op ->
    op instanceof Transpose || op instanceof Reshape || op instanceof Cast
      ? LAYOUT_FOLD_LIMIT
      : ImportFolder.FOLD_LIMIT
  );
  private final List<Diagnostic> unsupported = new ArrayList<>();
  final Map<String, TfProto.NodeDef> byName = new LinkedHashMap<>();
  private Scope scope = new Scope(null);
  private Frames frames = Frames.none();
  Builder builder;
  private int producer;

  private TfImporter(ImportOptions options) {
    this.options = options;
  }

  /** Reads and imports the graph at {@code file}; {@code outputs} empty means the sinks. */
  public static ImportedModel importFile(Path file, ImportOptions options, List<String> outputs) {
    return importGraph(GraphLoader.load(file), file, options, outputs);
  }

  /** Imports an already parsed graph; {@code file} names it in the function's location. */
  public static ImportedModel importGraph(
    TfProto.GraphDef graph,
    Path file,
    ImportOptions options,
    List<String> outputs
  ) {
    try {
      return new TfImporter(options).graph(graph, file, outputs);
    } catch (TfError e) {
      throw DiagnosticException.error(Location.UNKNOWN, e.getMessage());
    }
  }

  /** A tensor reference {@code node:index}; {@code control} for {@code ^node}. */
  record Ref(String node, int index, boolean control) {
    static Ref parse(String s) {
      boolean control = s.startsWith("^");
      String body = control ? s.substring(1) : s;
      int colon = body.lastIndexOf(':');
      if (colon > 0) {
        String suffix = body.substring(colon + 1);
        if (
          !suffix.isEmpty() && suffix.chars().allMatch(Character::isDigit) && suffix.length() < 9
        ) {
          return new Ref(body.substring(0, colon), Integer.parseInt(suffix), control);
        }
      }
      return new Ref(body, 0, control);
    }

    String key() {
      return node + ":" + index;
    }

    @Override
    public String toString() {
      return index == 0 ? node : node + ":" + index;
    }
  }

  private ImportedModel graph(TfProto.GraphDef graph, Path file, List<String> requested) {
    Set<String> cutNodes = new HashSet<>();
    options.boundNames().forEach(k -> cutNodes.add(Ref.parse(k).node()));
    TfProto.GraphDef g = Conds.resolve(Functions.inline(graph), cutNodes);
    producer = g.getVersions().getProducer();
    for (TfProto.NodeDef n : g.getNodeList()) {
      if (n.getName().isEmpty()) {
        throw error("a node of type " + n.getOp() + " has no name");
      }
      if (byName.put(n.getName(), n) != null) {
        throw error("node '" + n.getName() + "' is defined twice");
      }
    }
    for (TfProto.NodeDef n : g.getNodeList()) {
      if (VARIABLES.contains(n.getOp())) {
        throw error(
          label(n) +
          ": the graph is not frozen (it holds variables); freeze it first so that weights are Const nodes"
        );
      }
    }
    for (TfProto.NodeDef n : g.getNodeList()) {
      if (CONTROL_FLOW.contains(n.getOp())) {
        frames = Frames.analyze(byName);
        break;
      }
    }
    Map<String, String> cuts = new LinkedHashMap<>();
    for (String name : options.boundNames()) {
      Ref r = Ref.parse(name);
      if (r.control() || !byName.containsKey(r.node())) {
        throw error("--input " + name + ": the graph has no node '" + r.node() + "'");
      }
      cuts.put(r.key(), name);
    }
    List<Ref> outputs = new ArrayList<>();
    List<String> outputNames = new ArrayList<>();
    if (requested.isEmpty()) {
      for (String s : sinks(g)) {
        outputs.add(new Ref(s, 0, false));
        outputNames.add(s);
      }
      if (outputs.isEmpty()) {
        List<Ref> all = new ArrayList<>();
        for (String name : byName.keySet()) {
          if (frames.of(name) == Frames.ROOT) {
            all.add(new Ref(name, 0, false));
          }
        }
        order(all, Frames.ROOT, cuts.keySet());
        throw error("the graph has no nodes to compute");
      }
    } else {
      for (String s : requested) {
        Ref r = Ref.parse(s);
        if (r.control() || !byName.containsKey(r.node())) {
          throw error("--output " + s + ": the graph has no node '" + r.node() + "'");
        }
        outputs.add(r);
        outputNames.add(s);
      }
    }
    List<TfProto.NodeDef> order = order(outputs, Frames.ROOT, cuts.keySet());
    Func func = new Func("main", List.of(), new Location.FileLine(file.toString(), 1, 1));
    Block block = func.entry();
    builder = new Builder(block);
    List<String> inputNames = new ArrayList<>();
    for (Map.Entry<String, String> cut : cuts.entrySet()) {
      String name = cut.getValue();
      Tensor bound = options.constantInputs().get(name);
      Value v;
      if (bound != null) {
        v = constant(bound, name);
      } else {
        TfProto.NodeDef n = byName.get(Ref.parse(name).node());
        v = block.addArgument(cutType(n, name), name);
        inputNames.add(name);
      }
      scope.put(cut.getKey(), v);
    }
    for (TfProto.NodeDef n : order) {
      if (n.getOp().equals("Placeholder") && scope.get(n.getName() + ":0") == null) {
        Value v = block.addArgument(placeholderType(n), n.getName());
        inputNames.add(n.getName());
        scope.put(n.getName() + ":0", v);
        continue;
      }
      importNode(n);
    }
    if (!unsupported.isEmpty()) {
      throw new UnsupportedOpsException(unsupported);
    }
    List<Value> results = new ArrayList<>();
    for (int i = 0; i < outputs.size(); i++) {
      Object v = scope.get(outputs.get(i).key());
      if (v == POISON) {
        throw new UnsupportedOpsException(unsupported);
      }
      if (v instanceof TensorArrays.Item) {
        throw error("output '" + outputNames.get(i) + "' is a TensorArray, not a tensor");
      }
      if (v == null) {
        throw error(
          "output '" +
          outputNames.get(i) +
          "': node '" +
          outputs.get(i).node() +
          "' has no output " +
          outputs.get(i).index()
        );
      }
      results.add((Value) v);
    }
    builder.create(new Return(), results, Location.UNKNOWN);
    func.setResultTypes(results.stream().map(Value::type).toList());
    Module m = new Module();
    m.add(func);
    return new ImportedModel(
      m,
      inputNames,
      outputNames,
      new TfOrigin(g.getVersions().getProducer())
    );
  }

  private List<String> sinks(TfProto.GraphDef g) {
    Set<String> consumed = new HashSet<>();
    for (TfProto.NodeDef n : g.getNodeList()) {
      for (String in : n.getInputList()) {
        Ref r = Ref.parse(in);
        if (!r.control()) {
          consumed.add(r.node());
        }
      }
    }
    List<String> sinks = new ArrayList<>();
    List<String> leaves = new ArrayList<>();
    for (TfProto.NodeDef n : g.getNodeList()) {
      if (
        consumed.contains(n.getName()) ||
        n.getOp().equals("NoOp") ||
        frames.of(n.getName()) != Frames.ROOT
      ) {
        continue;
      }
      if (n.getOp().equals("Const") || n.getOp().equals("Placeholder")) {
        leaves.add(n.getName());
      } else {
        sinks.add(n.getName());
      }
    }
    return sinks.isEmpty() ? leaves : sinks;
  }

  /**
   * The nodes {@code targets} need, inputs first, all in {@code frame}. The search stops at tensors
   * in {@code bound} or already in scope; a nested loop's {@code Exit} needs what that loop takes
   * from outside.
   */
  List<TfProto.NodeDef> order(List<Ref> targets, Frames.Frame frame, Set<String> bound) {
    Map<String, Integer> state = new HashMap<>();
    List<TfProto.NodeDef> order = new ArrayList<>();
    for (Ref out : targets) {
      if (bound.contains(out.key()) || scope.get(out.key()) != null) {
        continue;
      }
      String root = out.node();
      if (state.getOrDefault(root, 0) != 0) {
        continue;
      }
      checkFrame(byName.get(root), frame);
      state.put(root, 1);
      ArrayDeque<Object[]> stack = new ArrayDeque<>();
      stack.push(new Object[] { byName.get(root), dependencies(byName.get(root), frame), 0 });
      while (!stack.isEmpty()) {
        Object[] top = stack.peek();
        TfProto.NodeDef n = (TfProto.NodeDef) top[0];
        @SuppressWarnings("unchecked")
        List<String> deps = (List<String>) top[1];
        int i = (Integer) top[2];
        if (i == deps.size()) {
          stack.pop();
          state.put(n.getName(), 2);
          order.add(n);
          continue;
        }
        top[2] = i + 1;
        Ref r = Ref.parse(deps.get(i));
        if (r.control() || bound.contains(r.key()) || scope.get(r.key()) != null) {
          continue;
        }
        TfProto.NodeDef p = byName.get(r.node());
        if (p == null) {
          throw error(label(n) + ": input '" + deps.get(i) + "' names no node in the graph");
        }
        int s = state.getOrDefault(p.getName(), 0);
        if (s == 1) {
          throw error(label(p) + ": the graph has a cycle through this node");
        }
        if (s == 0) {
          checkFrame(p, frame);
          state.put(p.getName(), 1);
          stack.push(new Object[] { p, dependencies(p, frame), 0 });
        }
      }
    }
    return order;
  }

  private List<String> dependencies(TfProto.NodeDef n, Frames.Frame frame) {
    Frames.Frame exited = frames.exited(n);
    if (exited != null && exited.parent == frame) {
      return List.copyOf(exited.external);
    }
    return n.getInputList();
  }

  private void checkFrame(TfProto.NodeDef n, Frames.Frame frame) {
    Frames.Frame f = frames.of(n.getName());
    if (f != frame) {
      throw error(
        label(n) +
        (f.within(frame)
            ? " is inside while loop '" + f.name + "' and used outside it without an Exit"
            : " belongs to while loop '" + f.name + "' but is used without an Enter")
      );
    }
  }

  private TensorType placeholderType(TfProto.NodeDef n) {
    String name = n.getName();
    ElementType e = options.inputTypes().get(name);
    if (e == null) {
      TfProto.AttrValue dtype = n.getAttrMap().get("dtype");
      if (dtype == null) {
        throw error(label(n) + ": has no dtype attribute");
      }
      e = typeOf(n, dtype.getType());
    }
    Shape declared = null;
    TfProto.AttrValue shapeAttr = n.getAttrMap().get("shape");
    if (shapeAttr != null && shapeAttr.hasShape()) {
      try {
        declared = TfTensors.shape(shapeAttr.getShape());
      } catch (TfError ex) {
        throw error(label(n) + ": shape " + ex.getMessage());
      }
    }
    Shape bound = options.inputShapes().get(name);
    if (declared != null && declared.rank() == 0 && (bound != null || producer < 21)) {
      declared = null;
    }
    return new TensorType(e, InputBinding.shape("input '" + name + "'", name, declared, bound));
  }

  private TensorType cutType(TfProto.NodeDef n, String name) {
    if (n.getOp().equals("Placeholder") && Ref.parse(name).index() == 0) {
      return placeholderType(n);
    }
    ElementType e = options.inputTypes().get(name);
    if (e == null) {
      e = ElementType.F32;
      for (String attr : List.of("dtype", "T", "DstT", "out_type", "output_type")) {
        TfProto.AttrValue a = n.getAttrMap().get(attr);
        if (a != null && a.getValueCase() == TfProto.AttrValue.ValueCase.TYPE) {
          e = typeOf(n, a.getType());
          break;
        }
      }
    }
    Shape bound = options.inputShapes().get(name);
    if (bound == null) {
      throw error("cutting the graph at '" + name + "' needs its shape: --input " + name + "=DIMS");
    }
    return new TensorType(e, bound);
  }

  private ElementType typeOf(TfProto.NodeDef n, TfProto.DataType t) {
    try {
      return TfTensors.elementType(t);
    } catch (TfError ex) {
      throw error(label(n) + ": " + ex.getMessage());
    }
  }

  static String label(TfProto.NodeDef n) {
    return Frames.label(n);
  }

  /** Imports {@code n} into the current scope; a loop's {@code Exit} imports the whole loop. */
  void importNode(TfProto.NodeDef n) {
    Frames.Frame exited = frames.exited(n);
    if (exited == null) {
      node(n);
    } else if (scope.get(n.getName() + ":0") == null) {
      WhileLoops.importLoop(this, exited);
    }
  }

  private void node(TfProto.NodeDef n) {
    String label = label(n);
    List<Object> inputs = new ArrayList<>();
    boolean poisoned = false;
    boolean arrays = false;
    for (String in : n.getInputList()) {
      Ref r = Ref.parse(in);
      if (r.control()) {
        continue;
      }
      Object v = scope.get(r.key());
      if (v == null) {
        if (scope.get(r.node() + ":0") != null) {
          throw error(label + ": input '" + in + "' names an output its node does not have");
        }
        throw error(label + ": input '" + in + "' names no node in the graph");
      }
      poisoned |= v == POISON;
      arrays |= v instanceof TensorArrays.Item;
      inputs.add(v == POISON ? null : v);
    }
    String op = n.getOp();
    TfConverter converter = registry.get(op);
    boolean builtin =
      PASS_THROUGH.contains(op) ||
      TensorArrays.OPS.contains(op) ||
      op.equals("Const") ||
      op.equals("Placeholder") ||
      op.equals("PlaceholderWithDefault") ||
      op.equals("NoOp");
    if (converter == null && !builtin) {
      unsupported.add(Diagnostic.error(Location.UNKNOWN, label + ": unsupported operator"));
      poison(n);
      return;
    }
    if (poisoned) {
      poison(n);
      return;
    }
    List<Object> outputs;
    try {
      if (op.equals("Const")) {
        outputs = List.of(constNode(n));
      } else if (op.equals("NoOp")) {
        outputs = List.of();
      } else if (op.equals("PlaceholderWithDefault")) {
        TfError.check(inputs.size() == 1, "needs 1 input, has %d", inputs.size());
        outputs = inputs;
      } else if (PASS_THROUGH.contains(op)) {
        TfError.check(
          op.equals("IdentityN") || inputs.size() == 1,
          "needs 1 data input, has %d",
          inputs.size()
        );
        outputs = inputs;
      } else if (TensorArrays.OPS.contains(op)) {
        TfNode tn = new TfNode(n.getName(), op, List.of(), n.getAttrMap());
        outputs = TensorArrays.convert(tn, inputs, new Context(Location.named(n.getName())));
      } else {
        TfError.check(!arrays, "a TensorArray handle or flow as a data input is not supported");
        List<Value> values = new ArrayList<>();
        for (Object v : inputs) {
          values.add((Value) v);
        }
        TfNode tn = new TfNode(n.getName(), op, values, n.getAttrMap());
        outputs = new ArrayList<>(converter.convert(tn, new Context(Location.named(n.getName()))));
      }
    } catch (TfError | OpError | ArithmeticException | IllegalArgumentException e) {
      throw error(label + ": " + e.getMessage());
    } catch (UnsupportedOpsException e) {
      throw e;
    } catch (DiagnosticException e) {
      throw error(label + ": " + e.diagnostics().getFirst().message());
    }
    for (int i = 0; i < outputs.size(); i++) {
      Object o = outputs.get(i);
      if (o instanceof Value v) {
        if (
          v.nameHint() == null ||
          (v.definingNode() != null && v.definingNode().op() instanceof Constant)
        ) {
          v.setNameHint(i == 0 ? n.getName() : n.getName() + ":" + i);
        }
      }
      if (o != null) {
        scope.put(n.getName() + ":" + i, o);
      }
    }
  }

  private Value constNode(TfProto.NodeDef n) {
    TfProto.AttrValue value = n.getAttrMap().get("value");
    TfError.check(value != null && value.hasTensor(), "has no 'value' tensor attribute");
    TfProto.TensorProto t = value.getTensor();
    TfProto.AttrValue dtype = n.getAttrMap().get("dtype");
    if (dtype != null && dtype.getType() != t.getDtype()) {
      throw new TfError(
        "attribute dtype is " +
        TfTensors.typeName(dtype.getType()) +
        " but its value tensor holds " +
        TfTensors.typeName(t.getDtype())
      );
    }
    Tensor decoded = TfTensors.decode(t);
    return constant(decoded, n.getName());
  }

  private void poison(TfProto.NodeDef n) {
    for (int i = 0; i < 16; i++) {
      scope.put(n.getName() + ":" + i, POISON);
    }
  }

  private Value constant(Tensor t, String name) {
    return folder.namedConstant(builder, t, name);
  }

  Scope scope() {
    return scope;
  }

  void setScope(Scope s) {
    scope = s;
  }

  /** The converter context that emits into the current builder at {@code loc}. */
  TfContext context(Location loc) {
    return new Context(loc);
  }

  /** Emits {@code op} with one region into the current builder; its results. */
  List<Value> emitWithRegion(Op op, List<Value> operands, dev.kiln.ir.Region region, Location loc) {
    return List.copyOf(builder.create(op, operands, List.of(region), null, loc).results());
  }

  private static DiagnosticException error(String message) {
    return DiagnosticException.error(Location.UNKNOWN, message);
  }

  /** The converter's view of one node being imported. */
  private final class Context implements TfContext {

    private final Location loc;

    Context(Location loc) {
      this.loc = loc;
    }

    @Override
    public Value emit(Op op, Value... operands) {
      for (Value v : operands) {
        if (v == null) {
          throw new IllegalStateException("converter passed an absent input to " + op.name());
        }
      }
      Node n = builder.create(op, Arrays.asList(operands), List.of(), null, loc);
      if (n.results().size() != 1) {
        throw new IllegalStateException(op.name() + " has " + n.results().size() + " results");
      }
      return folder.fold(builder, n, loc).getFirst();
    }

    @Override
    public Value constant(Tensor t) {
      return emit(new Constant(t));
    }

    @Override
    public Optional<Tensor> constantValue(Value v) {
      return folder.valueOf(v);
    }
  }
}
