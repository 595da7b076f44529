package dev.kiln.onnx;

import com.google.protobuf.ByteString;
import dev.kiln.frontend.ImportFolder;
import dev.kiln.frontend.ImportOptions;
import dev.kiln.frontend.ImportedModel;
import dev.kiln.frontend.InputBinding;
import dev.kiln.frontend.UnsupportedOpsException;
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
import dev.kiln.ir.Region;
import dev.kiln.ir.Shape;
import dev.kiln.ir.Tensor;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Value;
import dev.kiln.ir.op.Constant;
import dev.kiln.ir.op.DequantizeLinear;
import dev.kiln.ir.op.Op;
import dev.kiln.ir.op.OpError;
import dev.kiln.ir.op.Return;
import dev.kiln.onnx.ops.Converters;
import dev.kiln.onnx.proto.OnnxProto;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.BiFunction;

/**
 * Turns an ONNX {@code ModelProto} into a module with one function, {@code @main}. Converters
 * registered by (domain, op type, opset) map each node onto core ops; model-local functions are
 * inlined; initializers become constants; subgraphs become regions. Nodes whose operands are all
 * known constants and whose results are small are evaluated on the spot, so the shape computations
 * of exported models become constants once input shapes are bound. Unsupported operators are
 * collected and reported together.
 */
public final class OnnxImporter {

  /** Deepest subgraph nesting accepted (If inside Loop inside ...). */
  public static final int MAX_SUBGRAPH_DEPTH = 32;

  /** Newest ONNX IR version and default-domain opset Kiln reads. */
  public static final long MAX_IR_VERSION = 13;

  public static final long MAX_OPSET = 28;

  private static final Object POISON = new Object();

  private final String fileName;
  private final Path modelDir;
  private final ImportOptions options;
  private final ConverterRegistry registry = Converters.all();
  private final Map<String, Long> opsets = new HashMap<>();
  private final Map<String, OnnxProto.FunctionProto> functions = new HashMap<>();
  /**
   * Folds at import; dequantization is left to {@code constant-fold}: {@code fuse-qdq} needs the
   * integer weights it reads.
   */
  private final ImportFolder folder = new ImportFolder(op ->
    op instanceof DequantizeLinear ? -1 : ImportFolder.FOLD_LIMIT
  );
  private final List<Diagnostic> unsupported = new ArrayList<>();
  private final Set<String> unsupportedSeen = new HashSet<>();
  private int anonymous;

  private OnnxImporter(Path file, ImportOptions options) {
    this.fileName = file.toString();
    this.modelDir = file.toAbsolutePath().getParent();
    this.options = options;
  }

  /** Reads and imports the model at {@code file}. */
  public static ImportedModel importFile(Path file, ImportOptions options) {
    OnnxProto.ModelProto model = ModelLoader.load(file);
    return importModel(model, file, options);
  }

  /** Imports an already parsed model; {@code file} names it in messages and anchors external data. */
  public static ImportedModel importModel(
    OnnxProto.ModelProto model,
    Path file,
    ImportOptions options
  ) {
    try {
      return new OnnxImporter(file, options).model(model);
    } catch (OnnxError e) {
      throw DiagnosticException.error(Location.UNKNOWN, e.getMessage());
    }
  }

  /** The graph inputs with symbolic or unknown dimensions, as {@code name: type}. */
  private final List<String> dynamicInputs = new ArrayList<>();

  /** For an error that asks for static shapes: which inputs to bind, and how. */
  private String bindingHint(RuntimeException e) {
    if (dynamicInputs.isEmpty() || !(e instanceof OnnxError o) || !o.needsStaticShapes()) {
      return "";
    }
    String first = dynamicInputs.getFirst();
    return (
      "; bind the dynamic inputs with --input NAME=DIMS, e.g. --input " +
      first.substring(0, first.indexOf(':')) +
      "=... (" +
      String.join(", ", dynamicInputs) +
      ")"
    );
  }

  private final class Scope {

    final Scope parent;
    final Map<String, Object> names = new HashMap<>();

    Scope(Scope parent) {
      this.parent = parent;
    }

    Object lookup(String name) {
      for (Scope s = this; s != null; s = s.parent) {
        Object v = s.names.get(name);
        if (v != null) {
          return v;
        }
      }
      return null;
    }

    boolean definesLocally(String name) {
      return names.containsKey(name);
    }
  }

  private ImportedModel model(OnnxProto.ModelProto model) {
    long ir = model.getIrVersion();
    if (ir < 3 || ir > MAX_IR_VERSION) {
      throw error(
        "IR version " + ir + " is not supported (Kiln reads 3 to " + MAX_IR_VERSION + ")"
      );
    }
    for (OnnxProto.OperatorSetIdProto o : model.getOpsetImportList()) {
      opsets.put(ConverterRegistry.normalize(o.getDomain()), o.getVersion());
    }
    Long opset = opsets.getOrDefault(ConverterRegistry.ONNX, 0L);
    if (opset < 0 || opset > MAX_OPSET) {
      throw error("opset " + opset + " is not supported (Kiln reads up to " + MAX_OPSET + ")");
    }
    for (OnnxProto.FunctionProto f : model.getFunctionsList()) {
      functions.put(ConverterRegistry.normalize(f.getDomain()) + "::" + f.getName(), f);
    }
    if (!model.hasGraph()) {
      throw error("the model has no graph");
    }
    return graph(model.getGraph(), ir, opset);
  }

  private ImportedModel graph(OnnxProto.GraphProto g, long ir, long opset) {
    Func func = new Func("main", List.of(), new Location.FileLine(fileName, 1, 1));
    Block block = func.entry();
    Builder b = new Builder(block);
    Scope scope = new Scope(null);
    Set<String> initializerNames = new HashSet<>();
    for (OnnxProto.TensorProto t : g.getInitializerList()) {
      initializerNames.add(t.getName());
    }
    List<String> inputNames = new ArrayList<>();
    Map<String, Long> symbols = symbolBindings(g);
    for (OnnxProto.ValueInfoProto in : g.getInputList()) {
      String name = in.getName();
      if (initializerNames.contains(name)) {
        continue;
      }
      if (scope.definesLocally(name)) {
        throw error("graph input '" + name + "' is declared twice");
      }
      Tensor bound = options.constantInputs().get(name);
      if (bound != null) {
        scope.names.put(name, constant(b, bound, name));
        continue;
      }
      TensorType type = inputType(in, symbols);
      Value v = block.addArgument(type, name);
      scope.names.put(name, v);
      inputNames.add(name);
      if (!type.shape().isStatic()) {
        dynamicInputs.add(name + ": " + type);
      }
    }
    checkBoundNames(g);
    for (OnnxProto.TensorProto t : g.getInitializerList()) {
      Tensor value = decodeTensor(t, "initializer '" + t.getName() + "'");
      if (scope.definesLocally(t.getName()) && !initializerNames.contains(t.getName())) {
        throw error("initializer '" + t.getName() + "' has the name of a graph input");
      }
      scope.names.put(t.getName(), constant(b, value, t.getName()));
    }
    nodes(g.getNodeList(), b, scope, 0, Map.of());
    if (!unsupported.isEmpty()) {
      throw new UnsupportedOpsException(unsupported);
    }
    List<String> outputNames = new ArrayList<>();
    List<Value> results = new ArrayList<>();
    Set<String> seenOutputs = new HashSet<>();
    for (OnnxProto.ValueInfoProto out : g.getOutputList()) {
      String name = out.getName();
      if (!seenOutputs.add(name)) {
        throw error("graph output '" + name + "' is listed twice");
      }
      Value v = value(scope, name, "graph output '" + name + "'");
      checkDeclared(out, v, "graph output '" + name + "'");
      outputNames.add(name);
      results.add(v);
    }
    b.create(new Return(), results, Location.UNKNOWN);
    func.setResultTypes(results.stream().map(Value::type).toList());
    Module m = new Module();
    m.add(func);
    return new ImportedModel(m, inputNames, outputNames, new OnnxOrigin(ir, opset));
  }

  /** The names of {@code g}'s inputs that are not initializers, in declaration order. */
  public static List<String> graphInputs(OnnxProto.GraphProto g) {
    Set<String> initializers = new HashSet<>();
    g.getInitializerList().forEach(t -> initializers.add(t.getName()));
    return g
      .getInputList()
      .stream()
      .map(OnnxProto.ValueInfoProto::getName)
      .filter(n -> !initializers.contains(n))
      .distinct()
      .toList();
  }

  /** Every name the options bind must be a graph input; a typo would otherwise pass silently. */
  private void checkBoundNames(OnnxProto.GraphProto g) {
    Set<String> declared = new LinkedHashSet<>();
    g.getInputList().forEach(in -> declared.add(in.getName()));
    List<String> real = graphInputs(g);
    Set<String> bound = new TreeSet<>(options.boundNames());
    bound.removeAll(declared);
    if (!bound.isEmpty()) {
      throw error(
        "--input names " +
        String.join(
          ", ",
          bound
            .stream()
            .map(n -> "'" + n + "'")
            .toList()
        ) +
        ", which the model has no graph input for (inputs: " +
        String.join(", ", real.subList(0, Math.min(real.size(), 8))) +
        (real.size() > 8 ? ", and " + (real.size() - 8) + " more" : "") +
        ")"
      );
    }
  }

  private Map<String, Long> symbolBindings(OnnxProto.GraphProto g) {
    Map<String, Long> symbols = new HashMap<>();
    for (OnnxProto.ValueInfoProto in : g.getInputList()) {
      Shape bound = options.inputShapes().get(in.getName());
      if (
        bound == null || !in.getType().hasTensorType() || !in.getType().getTensorType().hasShape()
      ) {
        continue;
      }
      List<OnnxProto.TensorShapeProto.Dimension> dims = in
        .getType()
        .getTensorType()
        .getShape()
        .getDimList();
      if (dims.size() != bound.rank()) {
        continue;
      }
      for (int i = 0; i < dims.size(); i++) {
        if (dims.get(i).hasDimParam() && bound.dim(i).isKnown()) {
          symbols.putIfAbsent(dims.get(i).getDimParam(), bound.dim(i).size());
        }
      }
    }
    return symbols;
  }

  private TensorType inputType(OnnxProto.ValueInfoProto in, Map<String, Long> symbols) {
    String name = in.getName();
    if (!in.getType().hasTensorType()) {
      throw error(
        "graph input '" +
        name +
        "' is not a tensor (sequences, maps and optionals are not supported)"
      );
    }
    OnnxProto.TypeProto.Tensor tt = in.getType().getTensorType();
    ElementType declaredElement = ElementTypes.fromOnnx(tt.getElemType());
    ElementType element = options.inputTypes().getOrDefault(name, declaredElement);
    Shape declared = tt.hasShape()
      ? shape(tt.getShape(), symbols, "graph input '" + name + "'")
      : null;
    Shape bound = options.inputShapes().get(name);
    return new TensorType(
      element,
      InputBinding.shape("graph input '" + name + "'", name, declared, bound)
    );
  }

  private Shape shape(OnnxProto.TensorShapeProto s, Map<String, Long> symbols, String what) {
    if (s.getDimCount() > Shape.MAX_RANK) {
      throw error(what + " has rank " + s.getDimCount() + ", more than " + Shape.MAX_RANK);
    }
    List<Dim> dims = new ArrayList<>();
    for (OnnxProto.TensorShapeProto.Dimension d : s.getDimList()) {
      if (d.hasDimValue()) {
        if (d.getDimValue() < 0) {
          throw error(what + " has negative dimension " + d.getDimValue());
        }
        dims.add(Dim.of(d.getDimValue()));
      } else if (d.hasDimParam() && !d.getDimParam().isEmpty()) {
        Long bound = symbols.get(d.getDimParam());
        dims.add(bound != null ? Dim.of(bound) : new Dim.Symbol(d.getDimParam()));
      } else {
        dims.add(Dim.UNKNOWN);
      }
    }
    Shape shape = new Shape(dims);
    try {
      shape.numElements();
    } catch (ArithmeticException e) {
      throw error(
        what + " has " + Arrays.toString(dims.toArray()) + ", whose element count overflows 64 bits"
      );
    }
    return shape;
  }

  private void checkDeclared(OnnxProto.ValueInfoProto info, Value v, String what) {
    if (info.hasType() && info.getType().hasTensorType()) {
      int elem = info.getType().getTensorType().getElemType();
      if (elem != 0) {
        ElementType declared = ElementTypes.fromOnnx(elem);
        if (declared != v.type().elementType()) {
          throw error(
            what + " is declared " + declared + " but computes " + v.type().elementType()
          );
        }
      }
    }
  }

  private Value constant(Builder b, Tensor t, String name) {
    return folder.namedConstant(b, t, name);
  }

  private Tensor decodeTensor(OnnxProto.TensorProto t, String what) {
    try {
      return TensorProtos.decode(t, modelDir);
    } catch (OnnxError e) {
      throw error(what + ": " + e.getMessage());
    } catch (ArithmeticException | IllegalArgumentException e) {
      throw error(what + ": " + e.getMessage());
    }
  }

  private void nodes(
    List<OnnxProto.NodeProto> list,
    Builder b,
    Scope scope,
    int depth,
    Map<String, OnnxProto.AttributeProto> callerAttrs
  ) {
    for (OnnxProto.NodeProto n : topologicalOrder(list, scope)) {
      node(n, b, scope, depth, callerAttrs);
    }
  }

  private List<OnnxProto.NodeProto> topologicalOrder(List<OnnxProto.NodeProto> list, Scope scope) {
    Map<String, Integer> producer = new HashMap<>();
    for (int i = 0; i < list.size(); i++) {
      for (String out : list.get(i).getOutputList()) {
        if (out.isEmpty()) {
          continue;
        }
        if (producer.put(out, i) != null || scope.definesLocally(out)) {
          throw error(nodeLabel(list.get(i)) + ": output '" + out + "' is already defined");
        }
      }
    }
    int[] pending = new int[list.size()];
    List<List<Integer>> users = new ArrayList<>();
    for (int i = 0; i < list.size(); i++) {
      users.add(new ArrayList<>());
    }
    for (int i = 0; i < list.size(); i++) {
      List<String> needs = new ArrayList<>(list.get(i).getInputList());
      for (OnnxProto.AttributeProto a : list.get(i).getAttributeList()) {
        if (a.hasG()) {
          subgraphInputs(a.getG(), needs);
        }
        for (OnnxProto.GraphProto g : a.getGraphsList()) {
          subgraphInputs(g, needs);
        }
      }
      Set<Integer> deps = new LinkedHashSet<>();
      for (String in : needs) {
        Integer p = producer.get(in);
        if (p != null) {
          deps.add(p);
        }
      }
      for (int p : deps) {
        pending[i]++;
        users.get(p).add(i);
      }
    }
    ArrayDeque<Integer> ready = new ArrayDeque<>();
    for (int i = 0; i < list.size(); i++) {
      if (pending[i] == 0) {
        ready.add(i);
      }
    }
    List<OnnxProto.NodeProto> order = new ArrayList<>(list.size());
    while (!ready.isEmpty()) {
      int i = ready.poll();
      order.add(list.get(i));
      for (int u : users.get(i)) {
        if (--pending[u] == 0) {
          ready.add(u);
        }
      }
    }
    if (order.size() != list.size()) {
      for (int i = 0; i < list.size(); i++) {
        if (pending[i] > 0) {
          throw error(nodeLabel(list.get(i)) + ": the graph has a cycle through this node");
        }
      }
    }
    return order;
  }

  /**
   * Adds the names the nodes of {@code g} (and of graphs nested in them) read from enclosing
   * scopes: every name used and not defined in the subgraph itself.
   */
  private static void subgraphInputs(OnnxProto.GraphProto g, List<String> out) {
    Set<String> local = new HashSet<>();
    g.getInputList().forEach(i -> local.add(i.getName()));
    g.getInitializerList().forEach(t -> local.add(t.getName()));
    g.getNodeList().forEach(n -> local.addAll(n.getOutputList()));
    List<String> used = new ArrayList<>();
    for (OnnxProto.NodeProto n : g.getNodeList()) {
      used.addAll(n.getInputList());
      for (OnnxProto.AttributeProto a : n.getAttributeList()) {
        if (a.hasG()) {
          subgraphInputs(a.getG(), used);
        }
        for (OnnxProto.GraphProto sub : a.getGraphsList()) {
          subgraphInputs(sub, used);
        }
      }
    }
    g.getOutputList().forEach(o -> used.add(o.getName()));
    for (String name : used) {
      if (!name.isEmpty() && !local.contains(name)) {
        out.add(name);
      }
    }
  }

  private String nodeLabel(OnnxProto.NodeProto n) {
    return (
      "node " +
      dev.kiln.ir.Printing.quote(
        n.getName().isEmpty() ? n.getOutputCount() > 0 ? n.getOutput(0) : "?" : n.getName()
      ) +
      " (" +
      n.getOpType() +
      ")"
    );
  }

  private void node(
    OnnxProto.NodeProto n,
    Builder b,
    Scope scope,
    int depth,
    Map<String, OnnxProto.AttributeProto> callerAttrs
  ) {
    String label = nodeLabel(n);
    String domain = ConverterRegistry.normalize(n.getDomain());
    boolean poisoned = false;
    List<Value> inputs = new ArrayList<>();
    for (String in : n.getInputList()) {
      if (in.isEmpty()) {
        inputs.add(null);
        continue;
      }
      Object v = scope.lookup(in);
      if (v == null) {
        throw error(
          label + ": input '" + in + "' is not produced by any node, initializer or graph input"
        );
      }
      if (v == POISON) {
        poisoned = true;
        inputs.add(null);
      } else {
        inputs.add((Value) v);
      }
    }
    OnnxProto.FunctionProto function = functions.get(domain + "::" + n.getOpType());
    Long opset = opsets.get(domain);
    if (opset != null && opset == 0) {
      opset = null;
    }
    Optional<OnnxConverter> converter = opset == null
      ? Optional.empty()
      : registry.find(domain, n.getOpType(), opset.intValue());
    if (converter.isEmpty() && function == null) {
      String key = n.getDomain() + "::" + n.getOpType();
      String why = opset == null
        ? "domain '" + n.getDomain() + "' is not imported by the model"
        : registry.knows(domain, n.getOpType())
          ? "not supported at opset " + opset
          : "unsupported operator";
      unsupported.add(Diagnostic.error(Location.UNKNOWN, label + ": " + why));
      unsupportedSeen.add(key);
      poison(n, scope);
      return;
    }
    if (poisoned) {
      poison(n, scope);
      return;
    }
    Location loc = Location.named(
      n.getName().isEmpty() ? n.getOpType() + "_" + anonymous++ : n.getName()
    );
    List<Value> outputs;
    try {
      if (converter.isPresent()) {
        Map<String, Object> attrs = attributes(n.getAttributeList(), callerAttrs, label);
        OnnxNode on = new OnnxNode(
          n.getOpType(),
          n.getDomain(),
          n.getName(),
          inputs,
          n.getOutputCount(),
          attrs
        );
        outputs = converter.get().convert(on, new Context(b, scope, loc, opset.intValue(), depth));
      } else {
        outputs = inline(function, n, inputs, b, scope, depth, callerAttrs, label);
      }
    } catch (OnnxError | OpError | ArithmeticException | IllegalArgumentException e) {
      throw error(label + ": " + e.getMessage() + bindingHint(e));
    } catch (UnsupportedOpsException e) {
      throw e;
    } catch (DiagnosticException e) {
      if (e.diagnostics().getFirst().message().startsWith("node ")) {
        throw e;
      }
      throw error(label + ": " + e.diagnostics().getFirst().message());
    }
    for (int i = 0; i < n.getOutputCount(); i++) {
      String name = n.getOutput(i);
      if (name.isEmpty()) {
        continue;
      }
      Value v = i < outputs.size() ? outputs.get(i) : null;
      if (v == null) {
        throw error(label + ": output " + i + " ('" + name + "') is not supported");
      }
      if (
        v.nameHint() == null ||
        (v.definingNode() != null && v.definingNode().op() instanceof Constant)
      ) {
        v.setNameHint(name);
      }
      scope.names.put(name, v);
    }
  }

  private void poison(OnnxProto.NodeProto n, Scope scope) {
    for (String out : n.getOutputList()) {
      if (!out.isEmpty()) {
        scope.names.put(out, POISON);
      }
    }
  }

  private List<Value> inline(
    OnnxProto.FunctionProto f,
    OnnxProto.NodeProto call,
    List<Value> inputs,
    Builder b,
    Scope outer,
    int depth,
    Map<String, OnnxProto.AttributeProto> callerAttrs,
    String label
  ) {
    if (depth + 1 > MAX_SUBGRAPH_DEPTH) {
      throw new OnnxError("functions nest deeper than " + MAX_SUBGRAPH_DEPTH);
    }
    Scope scope = new Scope(null);
    for (int i = 0; i < f.getInputCount(); i++) {
      Value v = i < inputs.size() ? inputs.get(i) : null;
      if (v != null) {
        scope.names.put(f.getInput(i), v);
      }
    }
    Map<String, OnnxProto.AttributeProto> attrs = new HashMap<>();
    for (OnnxProto.AttributeProto a : f.getAttributeProtoList()) {
      attrs.put(a.getName(), a);
    }
    for (OnnxProto.AttributeProto a : call.getAttributeList()) {
      if (a.getRefAttrName().isEmpty()) {
        attrs.put(a.getName(), a);
      } else if (callerAttrs.containsKey(a.getRefAttrName())) {
        attrs.put(
          a.getName(),
          callerAttrs.get(a.getRefAttrName()).toBuilder().setName(a.getName()).build()
        );
      }
    }
    Map<String, Long> saved = new HashMap<>(opsets);
    for (OnnxProto.OperatorSetIdProto o : f.getOpsetImportList()) {
      opsets.put(ConverterRegistry.normalize(o.getDomain()), o.getVersion());
    }
    try {
      nodes(f.getNodeList(), b, scope, depth + 1, attrs);
    } finally {
      opsets.clear();
      opsets.putAll(saved);
    }
    List<Value> outs = new ArrayList<>();
    for (String o : f.getOutputList()) {
      Object v = scope.lookup(o);
      if (!(v instanceof Value value)) {
        throw new OnnxError("function " + f.getName() + " does not produce its output '" + o + "'");
      }
      outs.add(value);
    }
    return outs;
  }

  private Map<String, Object> attributes(
    List<OnnxProto.AttributeProto> list,
    Map<String, OnnxProto.AttributeProto> callerAttrs,
    String label
  ) {
    Map<String, Object> out = new LinkedHashMap<>();
    for (OnnxProto.AttributeProto a : list) {
      OnnxProto.AttributeProto actual = a;
      if (!a.getRefAttrName().isEmpty()) {
        actual = callerAttrs.get(a.getRefAttrName());
        if (actual == null) {
          continue;
        }
      }
      if (out.put(a.getName(), attribute(actual, a.getName())) != null) {
        throw new OnnxError("attribute '" + a.getName() + "' is given twice");
      }
    }
    return out;
  }

  private Object attribute(OnnxProto.AttributeProto a, String name) {
    OnnxProto.AttributeProto.AttributeType type = a.getType();
    if (type == OnnxProto.AttributeProto.AttributeType.UNDEFINED) {
      type = guessType(a);
    }
    return switch (type) {
      case FLOAT -> (double) a.getF();
      case INT -> a.getI();
      case STRING -> utf8(a.getS());
      case TENSOR -> decodeTensor(a.getT(), "attribute '" + name + "'");
      case GRAPH -> new OnnxGraph(a.getG().getName(), a.getG());
      case FLOATS -> a.getFloatsList().stream().map(Float::doubleValue).toList();
      case INTS -> List.copyOf(a.getIntsList());
      case STRINGS -> a.getStringsList().stream().map(OnnxImporter::utf8).toList();
      case TENSORS -> a
        .getTensorsList()
        .stream()
        .map(t -> decodeTensor(t, "attribute '" + name + "'"))
        .toList();
      case GRAPHS -> a
        .getGraphsList()
        .stream()
        .map(g -> new OnnxGraph(g.getName(), g))
        .toList();
      default -> throw new OnnxError("attribute '" + name + "' has unsupported type " + type);
    };
  }

  private static OnnxProto.AttributeProto.AttributeType guessType(OnnxProto.AttributeProto a) {
    if (a.hasF()) {
      return OnnxProto.AttributeProto.AttributeType.FLOAT;
    } else if (a.hasI()) {
      return OnnxProto.AttributeProto.AttributeType.INT;
    } else if (a.hasS()) {
      return OnnxProto.AttributeProto.AttributeType.STRING;
    } else if (a.hasT()) {
      return OnnxProto.AttributeProto.AttributeType.TENSOR;
    } else if (a.hasG()) {
      return OnnxProto.AttributeProto.AttributeType.GRAPH;
    } else if (a.getFloatsCount() > 0) {
      return OnnxProto.AttributeProto.AttributeType.FLOATS;
    } else if (a.getIntsCount() > 0) {
      return OnnxProto.AttributeProto.AttributeType.INTS;
    } else if (a.getStringsCount() > 0) {
      return OnnxProto.AttributeProto.AttributeType.STRINGS;
    }
    throw new OnnxError("attribute '" + a.getName() + "' has no type and no value");
  }

  private static String utf8(ByteString s) {
    return s.toString(StandardCharsets.UTF_8);
  }

  private Value value(Scope scope, String name, String what) {
    Object v = scope.lookup(name);
    if (v == null) {
      throw error(what + " is not produced by any node, initializer or graph input");
    }
    if (v == POISON) {
      throw new UnsupportedOpsException(unsupported);
    }
    return (Value) v;
  }

  private DiagnosticException error(String message) {
    return DiagnosticException.error(Location.UNKNOWN, message);
  }

  /** The converter's view of one node being imported. */
  private final class Context implements ImportContext {

    private final Builder builder;
    private final Scope scope;
    private final Location loc;
    private final int opset;
    private final int depth;

    Context(Builder builder, Scope scope, Location loc, int opset, int depth) {
      this.builder = builder;
      this.scope = scope;
      this.loc = loc;
      this.opset = opset;
      this.depth = depth;
    }

    @Override
    public int opset() {
      return opset;
    }

    @Override
    public Value emit(Op op, Value... operands) {
      List<Value> results = emitAll(op, Arrays.asList(operands));
      if (results.size() != 1) {
        throw new IllegalStateException(op.name() + " has " + results.size() + " results");
      }
      return results.getFirst();
    }

    @Override
    public List<Value> emitAll(Op op, List<Value> operands) {
      return emitWithRegions(op, operands, List.of());
    }

    @Override
    public List<Value> emitWithRegions(Op op, List<Value> operands, List<Region> regions) {
      for (int i = 0; i < operands.size(); i++) {
        if (operands.get(i) == null) {
          throw new OnnxError(
            "a required input is absent (an empty name, or too few inputs): operand " +
            i +
            " of " +
            op.name()
          );
        }
      }
      Node n = builder.create(op, operands, regions, null, loc);
      return folder.fold(builder, n, loc);
    }

    @Override
    public Value constant(Tensor t) {
      return emit(new Constant(t));
    }

    @Override
    public Optional<Tensor> constantValue(Value v) {
      return folder.valueOf(v);
    }

    @Override
    public List<Value> inlineSubgraph(OnnxGraph graph, List<Value> arguments) {
      if (depth + 1 > MAX_SUBGRAPH_DEPTH) {
        throw new OnnxError("subgraphs nest deeper than " + MAX_SUBGRAPH_DEPTH);
      }
      OnnxProto.GraphProto g = (OnnxProto.GraphProto) graph.proto();
      OnnxError.check(
        g.getInputCount() == arguments.size(),
        "subgraph '%s' takes %d inputs, %d given",
        g.getName(),
        g.getInputCount(),
        arguments.size()
      );
      Scope child = new Scope(scope);
      for (int i = 0; i < arguments.size(); i++) {
        child.names.put(g.getInput(i).getName(), arguments.get(i));
      }
      for (OnnxProto.TensorProto t : g.getInitializerList()) {
        child.names.put(
          t.getName(),
          OnnxImporter.this.constant(
            builder,
            decodeTensor(t, "initializer '" + t.getName() + "'"),
            t.getName()
          )
        );
      }
      nodes(g.getNodeList(), builder, child, depth + 1, Map.of());
      List<Value> results = new ArrayList<>();
      for (OnnxProto.ValueInfoProto out : g.getOutputList()) {
        results.add(value(child, out.getName(), "subgraph output '" + out.getName() + "'"));
      }
      return results;
    }

    @Override
    public Region region(
      List<TensorType> argumentTypes,
      BiFunction<ImportContext, List<Value>, List<Value>> body
    ) {
      if (depth + 1 > MAX_SUBGRAPH_DEPTH) {
        throw new OnnxError("subgraphs nest deeper than " + MAX_SUBGRAPH_DEPTH);
      }
      Region region = new Region();
      Block block = region.block();
      List<Value> args = new ArrayList<>();
      for (TensorType t : argumentTypes) {
        args.add(block.addArgument(t, null));
      }
      Builder inner = new Builder(block);
      List<Value> results = body.apply(
        new Context(inner, new Scope(scope), loc, opset, depth + 1),
        args
      );
      inner.create(new Return(), results, loc);
      return region;
    }

    @Override
    public Region importSubgraph(OnnxGraph graph, List<TensorType> argumentTypes) {
      if (depth + 1 > MAX_SUBGRAPH_DEPTH) {
        throw new OnnxError("subgraphs nest deeper than " + MAX_SUBGRAPH_DEPTH);
      }
      OnnxProto.GraphProto g = (OnnxProto.GraphProto) graph.proto();
      if (g.getInputCount() != argumentTypes.size()) {
        throw new OnnxError(
          "subgraph '" +
          g.getName() +
          "' takes " +
          g.getInputCount() +
          " inputs, " +
          argumentTypes.size() +
          " given"
        );
      }
      Region region = new Region();
      Block block = region.block();
      Builder inner = new Builder(block);
      Scope child = new Scope(scope);
      for (int i = 0; i < g.getInputCount(); i++) {
        child.names.put(
          g.getInput(i).getName(),
          block.addArgument(argumentTypes.get(i), g.getInput(i).getName())
        );
      }
      for (OnnxProto.TensorProto t : g.getInitializerList()) {
        child.names.put(
          t.getName(),
          OnnxImporter.this.constant(
            inner,
            decodeTensor(t, "initializer '" + t.getName() + "'"),
            t.getName()
          )
        );
      }
      nodes(g.getNodeList(), inner, child, depth + 1, Map.of());
      List<Value> results = new ArrayList<>();
      for (OnnxProto.ValueInfoProto out : g.getOutputList()) {
        results.add(value(child, out.getName(), "subgraph output '" + out.getName() + "'"));
      }
      inner.create(new Return(), results, loc);
      return region;
    }
  }
}
