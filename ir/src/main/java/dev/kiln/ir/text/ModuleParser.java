package dev.kiln.ir.text;

import dev.kiln.ir.Block;
import dev.kiln.ir.Builder;
import dev.kiln.ir.Diagnostic;
import dev.kiln.ir.DiagnosticException;
import dev.kiln.ir.Func;
import dev.kiln.ir.Location;
import dev.kiln.ir.Module;
import dev.kiln.ir.Node;
import dev.kiln.ir.Printing;
import dev.kiln.ir.Region;
import dev.kiln.ir.Rewriter;
import dev.kiln.ir.Tensor;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Value;
import dev.kiln.ir.op.Op;
import dev.kiln.ir.op.OpRegistry;
import dev.kiln.ir.op.Return;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.antlr.v4.runtime.BaseErrorListener;
import org.antlr.v4.runtime.CharStreams;
import org.antlr.v4.runtime.CommonTokenStream;
import org.antlr.v4.runtime.RecognitionException;
import org.antlr.v4.runtime.Recognizer;
import org.antlr.v4.runtime.Token;
import org.antlr.v4.runtime.tree.TerminalNode;

/**
 * Reads {@code .kir} text into a {@link Module}. Every node is built through {@link Builder}, so
 * the parsed module is type-checked as it is read. Problems become diagnostics with the file, line
 * and column, never exceptions escaping to the user.
 */
public final class ModuleParser {

  private final String file;
  private final Map<String, Tensor> resources = new HashMap<>();
  private final Deque<Map<String, Value>> scopes = new ArrayDeque<>();
  private final Set<String> defined = new HashSet<>();

  private ModuleParser(String file) {
    this.file = file;
  }

  /** Parses {@code text}, naming {@code file} in diagnostics; throws {@link DiagnosticException}. */
  public static Module parse(String text, String file) {
    KirLexer lexer = new KirLexer(CharStreams.fromString(text, file));
    KirParser parser = new KirParser(new CommonTokenStream(lexer));
    List<Diagnostic> errors = new ArrayList<>();
    BaseErrorListener listener = new BaseErrorListener() {
      @Override
      public void syntaxError(
        Recognizer<?, ?> recognizer,
        Object offending,
        int line,
        int col,
        String msg,
        RecognitionException e
      ) {
        errors.add(Diagnostic.error(new Location.FileLine(file, line, col + 1), msg));
      }
    };
    lexer.removeErrorListeners();
    parser.removeErrorListeners();
    lexer.addErrorListener(listener);
    parser.addErrorListener(listener);
    KirParser.Module_Context tree = parser.module_();
    if (!errors.isEmpty()) {
      throw new DiagnosticException(errors);
    }
    return new ModuleParser(file).module(tree);
  }

  private Module module(KirParser.Module_Context ctx) {
    for (KirParser.ResourcesContext rs : ctx.resources()) {
      for (KirParser.ResourceContext r : rs.resource()) {
        resource(r);
      }
    }
    Module m = new Module();
    for (KirParser.FuncContext f : ctx.func()) {
      String name = f.SYMBOL().getText().substring(1);
      if (m.func(name).isPresent()) {
        throw error(f.SYMBOL().getSymbol(), "redefinition of function @" + name);
      }
      m.add(func(f, name));
    }
    return m;
  }

  private void resource(KirParser.ResourceContext r) {
    String name = resourceName(r.resourceName());
    TensorType type = type(r.type());
    if (!type.isStatic()) {
      throw error(r.type().start, "resource " + name + " needs a static shape, got " + type);
    }
    Tensor t;
    if (r.STRING() == null) {
      t = Tensor.elided(type, name);
    } else {
      String hex = Printing.unquote(r.STRING().getText());
      long want = Math.multiplyExact(
        type.shape().numElements().orElseThrow(),
        (long) type.elementType().byteSize()
      );
      if (
        !hex.startsWith("0x") ||
        hex.length() - 2 != 2 * want ||
        !hex.substring(2).matches("[0-9A-Fa-f]*")
      ) {
        throw error(
          r.STRING().getSymbol(),
          "resource " + name + " of type " + type + " needs 0x and " + 2 * want + " hex digits"
        );
      }
      t = Tensor.fromHex(type, hex);
    }
    if (resources.put(name, t) != null) {
      throw error(r.start, "redefinition of resource " + name);
    }
  }

  private static String resourceName(KirParser.ResourceNameContext ctx) {
    return ctx.STRING() != null ? Printing.unquote(ctx.STRING().getText()) : ctx.getText();
  }

  private Func func(KirParser.FuncContext ctx, String name) {
    List<TensorType> results = ctx.type().stream().map(this::type).toList();
    Func f = new Func(name, results, pos(ctx.start));
    defined.clear();
    scopes.push(new HashMap<>());
    for (KirParser.ArgContext a : ctx.arg()) {
      define(a.VALUE().getSymbol(), f.entry().addArgument(type(a.type()), null));
    }
    statements(f.entry(), ctx.body().statement(), ctx.body().stop);
    scopes.pop();
    if (ctx.loc() != null) {
      f.setLocation(location(ctx.loc().location()));
    }
    return f;
  }

  private void statements(Block block, List<KirParser.StatementContext> stmts, Token end) {
    Builder b = new Builder(block);
    for (KirParser.StatementContext s : stmts) {
      if (s.returnStmt() != null) {
        returnStmt(b, s.returnStmt());
      } else {
        opStmt(b, s.opStmt());
      }
    }
    Node last = block.terminator();
    if (last == null || !(last.op() instanceof Return)) {
      throw error(end, "block must end with return");
    }
  }

  private void returnStmt(Builder b, KirParser.ReturnStmtContext ctx) {
    List<Value> operands = ctx.VALUE().stream().map(this::use).toList();
    List<TensorType> types = ctx.type().stream().map(this::type).toList();
    if (types.size() != operands.size()) {
      throw error(
        ctx.start,
        "return lists " + operands.size() + " values but " + types.size() + " types"
      );
    }
    for (int i = 0; i < types.size(); i++) {
      if (!operands.get(i).type().isCompatibleWith(types.get(i))) {
        throw error(
          ctx.VALUE(i).getSymbol(),
          "return value " + i + " has type " + operands.get(i).type() + ", not " + types.get(i)
        );
      }
    }
    Node n = b.create(new Return(), operands, pos(ctx.start));
    setLoc(n, ctx.loc());
  }

  private void opStmt(Builder b, KirParser.OpStmtContext ctx) {
    Token opTok = ctx.opName().start;
    String opName = ctx.opName().getText();
    Class<? extends Op> cls = OpRegistry.byName(opName).orElseThrow(() ->
      error(opTok, "unknown op '" + opName + "'")
    );
    if (cls == Return.class) {
      throw error(opTok, "return is written without parentheses");
    }
    int numResults = resultCount(ctx);
    List<TerminalNode> resultToks = ctx.VALUE().subList(0, numResults);
    List<Value> operands = ctx
      .VALUE()
      .subList(numResults, ctx.VALUE().size())
      .stream()
      .map(this::use)
      .toList();
    Op op = construct(cls, ctx.attrDict(), opTok);
    List<TensorType> declared = ctx.type().stream().map(this::type).toList();
    if (declared.size() != resultToks.size()) {
      throw error(
        opTok,
        opName +
        " defines " +
        resultToks.size() +
        " values but declares " +
        declared.size() +
        " types"
      );
    }
    List<Region> regions = new ArrayList<>();
    if (ctx.regions() != null) {
      for (KirParser.RegionContext r : ctx.regions().region()) {
        regions.add(region(r));
      }
    }
    Node n = b.create(op, operands, regions, declared, pos(opTok));
    for (int i = 0; i < resultToks.size(); i++) {
      define(resultToks.get(i).getSymbol(), n.result(i));
    }
    setLoc(n, ctx.loc());
  }

  private static int resultCount(KirParser.OpStmtContext ctx) {
    int opIndex = ctx.opName().start.getTokenIndex();
    return (int) ctx
      .VALUE()
      .stream()
      .filter(v -> v.getSymbol().getTokenIndex() < opIndex)
      .count();
  }

  private Region region(KirParser.RegionContext ctx) {
    Region r = new Region();
    scopes.push(new HashMap<>());
    if (ctx.blockHeader() != null) {
      for (KirParser.ArgContext a : ctx.blockHeader().arg()) {
        define(a.VALUE().getSymbol(), r.block().addArgument(type(a.type()), null));
      }
    }
    statements(r.block(), ctx.statement(), ctx.stop);
    scopes.pop();
    return r;
  }

  private Op construct(Class<? extends Op> cls, KirParser.AttrDictContext dict, Token opTok) {
    String opName = OpRegistry.spec(cls).name();
    Map<String, KirParser.AttrContext> given = new LinkedHashMap<>();
    if (dict != null) {
      for (KirParser.AttrContext a : dict.attr()) {
        if (given.put(a.ident().getText(), a) != null) {
          throw error(a.start, "attribute '" + a.ident().getText() + "' given twice");
        }
      }
    }
    RecordComponent[] comps = cls.getRecordComponents();
    Object[] args = new Object[comps.length];
    Class<?>[] types = new Class<?>[comps.length];
    Map<String, Object> defaults = OpRegistry.spec(cls).defaults();
    for (int i = 0; i < comps.length; i++) {
      RecordComponent c = comps[i];
      types[i] = c.getType();
      KirParser.AttrContext a = given.remove(c.getName());
      if (a != null) {
        args[i] = convert(a.attrValue(), c.getGenericType(), opName + "." + c.getName());
      } else if (defaults.containsKey(c.getName())) {
        args[i] = defaults.get(c.getName());
      } else {
        throw error(opTok, opName + " needs attribute '" + c.getName() + "'");
      }
    }
    if (!given.isEmpty()) {
      KirParser.AttrContext a = given.values().iterator().next();
      throw error(a.start, opName + " has no attribute '" + a.ident().getText() + "'");
    }
    try {
      return cls.getDeclaredConstructor(types).newInstance(args);
    } catch (InvocationTargetException e) {
      throw error(opTok, opName + ": " + e.getCause().getMessage());
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException("cannot construct " + cls.getName(), e);
    }
  }

  private Object convert(KirParser.AttrValueContext v, Type target, String what) {
    if (target instanceof ParameterizedType p && p.getRawType() == List.class) {
      if (!(v instanceof KirParser.ListAttrContext l)) {
        throw error(v.start, what + " expects a list");
      }
      Type elem = p.getActualTypeArguments()[0];
      return l
        .attrValue()
        .stream()
        .map(e -> convert(e, elem, what))
        .toList();
    }
    Class<?> c = (Class<?>) target;
    if (c == long.class || c == Long.class || c == int.class || c == Integer.class) {
      if (!(v instanceof KirParser.NumberAttrContext n) || n.number().INT() == null) {
        throw error(v.start, what + " expects an integer, got " + v.getText());
      }
      try {
        long x = Long.parseLong(n.getText());
        return c == int.class || c == Integer.class ? (Object) Math.toIntExact(x) : (Object) x;
      } catch (NumberFormatException | ArithmeticException e) {
        throw error(v.start, what + ": integer " + n.getText() + " is out of range");
      }
    }
    if (c == double.class || c == Double.class || c == float.class || c == Float.class) {
      if (!(v instanceof KirParser.NumberAttrContext n)) {
        throw error(v.start, what + " expects a number, got " + v.getText());
      }
      double d = Numbers.parseDouble(n.getText());
      return c == float.class || c == Float.class ? (Object) (float) d : (Object) d;
    }
    if (c == boolean.class || c == Boolean.class) {
      String s = v.getText();
      if (!s.equals("true") && !s.equals("false")) {
        throw error(v.start, what + " expects true or false, got " + s);
      }
      return s.equals("true");
    }
    if (c == String.class) {
      if (!(v instanceof KirParser.StringAttrContext s)) {
        throw error(v.start, what + " expects a string, got " + v.getText());
      }
      return Printing.unquote(s.STRING().getText());
    }
    if (c.isEnum()) {
      for (Object e : c.getEnumConstants()) {
        if (((Enum<?>) e).name().toLowerCase(Locale.ROOT).equals(v.getText())) {
          return e;
        }
      }
      throw error(v.start, what + ": '" + v.getText() + "' is not one of " + enumNames(c));
    }
    if (c == Tensor.class) {
      return tensor(v, what);
    }
    throw new IllegalStateException("no text form for attribute type " + target);
  }

  private static String enumNames(Class<?> c) {
    List<String> names = new ArrayList<>();
    for (Object e : c.getEnumConstants()) {
      names.add(((Enum<?>) e).name().toLowerCase(Locale.ROOT));
    }
    return String.join(", ", names);
  }

  private Tensor tensor(KirParser.AttrValueContext v, String what) {
    if (v instanceof KirParser.ResourceAttrContext r) {
      String name = resourceName(r.resourceName());
      Tensor t = resources.get(name);
      if (t == null) {
        throw error(r.resourceName().start, "undefined resource " + name);
      }
      return t;
    }
    if (!(v instanceof KirParser.DenseAttrContext d)) {
      throw error(v.start, what + " expects dense<...> or resource<...>");
    }
    TensorType type = type(d.type());
    if (!type.isStatic()) {
      throw error(d.type().start, "a dense constant needs a static shape, got " + type);
    }
    Tensor.Builder b = new Tensor.Builder(type);
    KirParser.DenseValueContext body = d.denseValue();
    if (body.number() != null || body.ident() != null) {
      for (long i = 0; i < b.size(); i++) {
        element(b, i, body);
      }
      return b.build();
    }
    long[] sizes = type.shape().sizes();
    if (sizes.length == 0) {
      throw error(body.start, "a scalar constant takes a single element, not a list");
    }
    long[] next = { 0 };
    fill(b, body, sizes, 0, next);
    return b.build();
  }

  private void fill(
    Tensor.Builder b,
    KirParser.DenseValueContext v,
    long[] sizes,
    int dim,
    long[] next
  ) {
    if (v.number() != null || v.ident() != null) {
      throw error(v.start, "expected a list of " + sizes[dim] + " at nesting level " + (dim + 1));
    }
    List<KirParser.DenseValueContext> items = v.denseValue();
    if (items.size() != sizes[dim]) {
      throw error(
        v.start,
        "dimension " + dim + " has " + sizes[dim] + " elements, the literal lists " + items.size()
      );
    }
    for (KirParser.DenseValueContext item : items) {
      if (dim == sizes.length - 1) {
        if (item.number() == null && item.ident() == null) {
          throw error(item.start, "expected an element, got a list");
        }
        element(b, next[0]++, item);
      } else {
        fill(b, item, sizes, dim + 1, next);
      }
    }
  }

  private void element(Tensor.Builder b, long i, KirParser.DenseValueContext v) {
    String s = v.getText();
    try {
      if (v.ident() != null) {
        if (!s.equals("true") && !s.equals("false")) {
          throw error(v.start, "'" + s + "' is not a tensor element");
        }
        b.setLong(i, s.equals("true") ? 1 : 0);
      } else if (v.number().INT() != null) {
        b.setLong(i, s.startsWith("-") ? Long.parseLong(s) : Long.parseUnsignedLong(s));
      } else {
        b.setDouble(i, Numbers.parseDouble(s));
      }
    } catch (NumberFormatException e) {
      throw error(v.start, "element " + s + " is out of range");
    }
  }

  private TensorType type(KirParser.TypeContext ctx) {
    Token t = ctx.TENSOR_TYPE().getSymbol();
    try {
      return TypeText.parse(t.getText());
    } catch (TypeText.Error e) {
      return fail(
        new Location.FileLine(file, t.getLine(), t.getCharPositionInLine() + 1 + e.offset),
        e.getMessage()
      );
    }
  }

  private static <T> T fail(Location loc, String message) {
    throw DiagnosticException.error(loc, message);
  }

  private void define(Token tok, Value v) {
    String name = tok.getText().substring(1);
    if (!defined.add(name)) {
      throw error(tok, "redefinition of %" + name);
    }
    scopes.peek().put(name, v);
    if (!name.chars().allMatch(Character::isDigit)) {
      v.setNameHint(name);
    }
  }

  private Value use(TerminalNode node) {
    String name = node.getText().substring(1);
    for (Map<String, Value> scope : scopes) {
      Value v = scope.get(name);
      if (v != null) {
        return v;
      }
    }
    throw error(node.getSymbol(), "use of undefined value %" + name);
  }

  private void setLoc(Node n, KirParser.LocContext ctx) {
    if (ctx != null) {
      new Rewriter().setLocation(n, location(ctx.location()));
    }
  }

  private Location location(KirParser.LocationContext ctx) {
    return switch (ctx) {
      case KirParser.FileLocContext f -> new Location.FileLine(
        Printing.unquote(f.STRING().getText()),
        Integer.parseInt(f.INT(0).getText()),
        Integer.parseInt(f.INT(1).getText())
      );
      case KirParser.NameLocContext n -> new Location.Named(
        Printing.unquote(n.STRING().getText()),
        n.location() == null ? Location.UNKNOWN : location(n.location())
      );
      case KirParser.FusedLocContext f -> Location.fuse(
        f.location().stream().map(this::location).toList()
      );
      case KirParser.UnknownLocContext u -> Location.UNKNOWN;
      default -> throw new IllegalStateException("unexpected location " + ctx.getText());
    };
  }

  private Location.FileLine pos(Token t) {
    return new Location.FileLine(file, t.getLine(), t.getCharPositionInLine() + 1);
  }

  private DiagnosticException error(Token t, String message) {
    return DiagnosticException.error(pos(t), message);
  }
}
