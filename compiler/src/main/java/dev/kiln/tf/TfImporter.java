package dev.kiln.tf;

import dev.kiln.ir.Block;
import dev.kiln.ir.Builder;
import dev.kiln.ir.Diagnostic;
import dev.kiln.ir.DiagnosticException;
import dev.kiln.ir.Dim;
import dev.kiln.ir.ElementType;
import dev.kiln.ir.Func;
import dev.kiln.ir.Location;
import dev.kiln.ir.Module;
import dev.kiln.ir.Node;
import dev.kiln.ir.Printing;
import dev.kiln.ir.Rewriter;
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
import dev.kiln.onnx.ImportOptions;
import dev.kiln.onnx.ImportedModel;
import dev.kiln.onnx.UnsupportedOpsException;
import dev.kiln.tf.ops.TfConverters;
import dev.kiln.tf.proto.TfProto;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Turns a frozen TensorFlow {@code GraphDef} into a module with one function, {@code @main}, the
 * same shape of result as {@link dev.kiln.onnx.OnnxImporter}. Function arguments are the {@code
 * Placeholder}s the outputs depend on, and the inner nodes named by {@code --input} (the graph is
 * cut there: what feeds them is not imported). Outputs are the requested {@code NODE[:i]} tensors,
 * by default the graph's sinks. Only nodes the outputs depend on are imported; {@code Identity}
 * and its kin disappear, control dependencies are dropped, {@code Const} nodes become constants,
 * and every other node goes through the converter for its op type. Nodes whose operands are all
 * constants are evaluated on the spot, so in-graph shape arithmetic becomes constants once input
 * shapes are bound. Unsupported operators are collected and reported together.
 */
public final class TfImporter {

  /** Results with at most this many elements are folded at import time. */
  public static final long IMPORT_FOLD_LIMIT = 1 << 16;

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

  private static final Object POISON = new Object();

  private final ImportOptions options;
  private final Map<String, TfConverter> registry = TfConverters.all();
  private final Map<Value, Tensor> constants = new IdentityHashMap<>();
  private final List<Diagnostic> unsupported = new ArrayList<>();
  private final Map<String, TfProto.NodeDef> byName = new LinkedHashMap<>();
  private final Map<String, Object> produced = new HashMap<>();
  private Builder builder;
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

  private ImportedModel graph(TfProto.GraphDef g, Path file, List<String> requested) {
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
    List<Diagnostic> flow = new ArrayList<>();
    for (TfProto.NodeDef n : g.getNodeList()) {
      if (CONTROL_FLOW.contains(n.getOp())) {
        flow.add(
          Diagnostic.error(
            Location.UNKNOWN,
            label(n) + ": TF1 control flow (while loops, conditionals) is not supported"
          )
        );
      }
    }
    if (!flow.isEmpty()) {
      throw new UnsupportedOpsException(flow);
    }
    Map<String, String> cuts = new LinkedHashMap<>();
    Set<String> inputKeys = new java.util.LinkedHashSet<>();
    inputKeys.addAll(options.inputShapes().keySet());
    inputKeys.addAll(options.inputTypes().keySet());
    inputKeys.addAll(options.constantInputs().keySet());
    for (String name : inputKeys) {
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
          all.add(new Ref(name, 0, false));
        }
        order(all, cuts);
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
    List<TfProto.NodeDef> order = order(outputs, cuts);
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
      produced.put(cut.getKey(), v);
    }
    for (TfProto.NodeDef n : order) {
      if (n.getOp().equals("Placeholder") && !produced.containsKey(n.getName() + ":0")) {
        Value v = block.addArgument(placeholderType(n), n.getName());
        inputNames.add(n.getName());
        produced.put(n.getName() + ":0", v);
        continue;
      }
      node(n);
    }
    if (!unsupported.isEmpty()) {
      throw new UnsupportedOpsException(unsupported);
    }
    List<Value> results = new ArrayList<>();
    for (int i = 0; i < outputs.size(); i++) {
      Object v = produced.get(outputs.get(i).key());
      if (v == POISON) {
        throw new UnsupportedOpsException(unsupported);
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
    return new ImportedModel(m, inputNames, outputNames, 0, g.getVersions().getProducer());
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
      if (consumed.contains(n.getName()) || n.getOp().equals("NoOp")) {
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

  private List<TfProto.NodeDef> order(List<Ref> outputs, Map<String, String> cuts) {
    Set<String> cutNodes = new HashSet<>();
    for (String key : cuts.keySet()) {
      cutNodes.add(key);
    }
    Map<String, Integer> state = new HashMap<>();
    List<TfProto.NodeDef> order = new ArrayList<>();
    for (Ref out : outputs) {
      if (cutNodes.contains(out.key())) {
        continue;
      }
      ArrayDeque<Object[]> stack = new ArrayDeque<>();
      String root = out.node();
      if (state.getOrDefault(root, 0) != 0) {
        continue;
      }
      state.put(root, 1);
      stack.push(new Object[] { byName.get(root), 0 });
      while (!stack.isEmpty()) {
        Object[] top = stack.peek();
        TfProto.NodeDef n = (TfProto.NodeDef) top[0];
        int i = (Integer) top[1];
        if (i == n.getInputCount()) {
          stack.pop();
          state.put(n.getName(), 2);
          order.add(n);
          continue;
        }
        top[1] = i + 1;
        Ref r = Ref.parse(n.getInput(i));
        if (r.control() || cutNodes.contains(r.key())) {
          continue;
        }
        TfProto.NodeDef p = byName.get(r.node());
        if (p == null) {
          throw error(label(n) + ": input '" + n.getInput(i) + "' names no node in the graph");
        }
        int s = state.getOrDefault(p.getName(), 0);
        if (s == 1) {
          throw error(label(p) + ": the graph has a cycle through this node");
        }
        if (s == 0) {
          state.put(p.getName(), 1);
          stack.push(new Object[] { p, 0 });
        }
      }
    }
    return order;
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
    if (bound == null) {
      if (declared == null) {
        throw error("input '" + name + "' has no shape; bind one with --input " + name + "=DIMS");
      }
      return new TensorType(e, declared);
    }
    if (declared != null) {
      if (declared.rank() != bound.rank()) {
        throw error(
          "input '" + name + "' has rank " + declared.rank() + " but is bound to " + bound.dims()
        );
      }
      for (int i = 0; i < bound.rank(); i++) {
        Dim d = declared.dim(i);
        if (d.isKnown() && bound.dim(i).isKnown() && d.size() != bound.dim(i).size()) {
          throw error(
            "input '" +
            name +
            "' dimension " +
            i +
            " is " +
            d.size() +
            " but is bound to " +
            bound.dim(i).size()
          );
        }
      }
    }
    return new TensorType(e, bound);
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

  private static String label(TfProto.NodeDef n) {
    return "node " + Printing.quote(n.getName()) + " (" + n.getOp() + ")";
  }

  private void node(TfProto.NodeDef n) {
    String label = label(n);
    List<Value> inputs = new ArrayList<>();
    boolean poisoned = false;
    for (String in : n.getInputList()) {
      Ref r = Ref.parse(in);
      if (r.control()) {
        continue;
      }
      Object v = produced.get(r.key());
      if (v == null) {
        if (produced.containsKey(r.node() + ":0")) {
          throw error(label + ": input '" + in + "' names an output its node does not have");
        }
        throw error(label + ": input '" + in + "' names no node in the graph");
      }
      if (v == POISON) {
        poisoned = true;
        inputs.add(null);
      } else {
        inputs.add((Value) v);
      }
    }
    String op = n.getOp();
    TfConverter converter = registry.get(op);
    boolean builtin =
      PASS_THROUGH.contains(op) ||
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
    List<Value> outputs;
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
      } else {
        TfNode tn = new TfNode(n.getName(), op, inputs, n.getAttrMap());
        outputs = converter.convert(tn, new Context(Location.named(n.getName())));
      }
    } catch (TfError | OpError | ArithmeticException | IllegalArgumentException e) {
      throw error(label + ": " + e.getMessage());
    } catch (UnsupportedOpsException e) {
      throw e;
    } catch (DiagnosticException e) {
      throw error(label + ": " + e.diagnostics().getFirst().message());
    }
    for (int i = 0; i < outputs.size(); i++) {
      Value v = outputs.get(i);
      if (v == null) {
        continue;
      }
      if (
        v.nameHint() == null ||
        (v.definingNode() != null && v.definingNode().op() instanceof Constant)
      ) {
        v.setNameHint(i == 0 ? n.getName() : n.getName() + ":" + i);
      }
      produced.put(n.getName() + ":" + i, v);
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
      produced.put(n.getName() + ":" + i, POISON);
    }
  }

  private Value constant(Tensor t, String name) {
    Node n = builder.create(new Constant(t), List.of(), Location.named(name));
    n.result().setNameHint(name);
    constants.put(n.result(), t);
    return n.result();
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
      if (op instanceof Constant c) {
        constants.put(n.result(), c.value());
        return n.result();
      }
      if (n.results().size() != 1) {
        throw new IllegalStateException(op.name() + " has " + n.results().size() + " results");
      }
      return fold(n);
    }

    private Value fold(Node n) {
      List<Tensor> in = new ArrayList<>();
      for (Value v : n.operands()) {
        Tensor t = constants.get(v);
        if (t == null) {
          return n.result();
        }
        in.add(t);
      }
      Optional<Long> count = n.result().type().shape().numElements();
      if (count.isEmpty()) {
        return n.result();
      }
      boolean layout =
        n.op() instanceof Transpose || n.op() instanceof Reshape || n.op() instanceof Cast;
      if (count.get() > (layout ? LAYOUT_FOLD_LIMIT : IMPORT_FOLD_LIMIT)) {
        return n.result();
      }
      Tensor out;
      try {
        out = n
          .op()
          .evaluate(
            new Op.EvalContext() {
              @Override
              public int numRegions() {
                return 0;
              }

              @Override
              public List<Tensor> runRegion(int index, List<Tensor> arguments) {
                throw new IllegalStateException("no regions");
              }
            },
            in
          )
          .getFirst();
      } catch (UnsupportedOperationException e) {
        return n.result();
      }
      Node c = builder.create(new Constant(out), List.of(), loc);
      constants.put(c.result(), out);
      Rewriter rw = new Rewriter();
      rw.replaceAllUsesWith(n.result(), c.result());
      rw.erase(n);
      return c.result();
    }

    @Override
    public Value constant(Tensor t) {
      return emit(new Constant(t));
    }

    @Override
    public Optional<Tensor> constantValue(Value v) {
      return Optional.ofNullable(constants.get(v));
    }
  }
}
