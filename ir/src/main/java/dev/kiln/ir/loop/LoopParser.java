package dev.kiln.ir.loop;

import dev.kiln.ir.DiagnosticException;
import dev.kiln.ir.Location;
import dev.kiln.ir.Printing;
import dev.kiln.ir.Shape;
import dev.kiln.ir.Tensor;
import dev.kiln.ir.TensorType;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Reads the text {@link LoopPrinter} writes back into {@link LoopFunc}s: {@code
 * print(parse(print(f))) == print(f)}. A hand-written recursive descent over the characters;
 * whitespace and {@code //} comments separate tokens and are otherwise ignored. Every problem, a
 * syntax error, an unknown buffer or variable, an ill-typed expression or a function that {@link
 * LoopFunc} refuses, is a {@link DiagnosticException} at {@code file:line:col}.
 */
public final class LoopParser {

  private static final Pattern DECIMAL = Pattern.compile(
    "-?(NaN|Infinity|[0-9]+(\\.[0-9]+)?([eE][-+]?[0-9]+)?)"
  );

  private final String text;
  private final String file;
  private int pos;
  private Map<String, Buffer> buffers;
  private final Deque<Map<String, Scalar>> scopes = new ArrayDeque<>();

  private LoopParser(String text, String file) {
    this.text = text;
    this.file = file;
  }

  /** The single function in {@code text}; {@code file} names it in diagnostics. */
  public static LoopFunc parse(String text, String file) {
    List<LoopFunc> all = parseAll(text, file);
    if (all.size() != 1) {
      throw DiagnosticException.error(
        new Location.FileLine(file, 1, 1),
        "expected one loop.func, found " + all.size()
      );
    }
    return all.getFirst();
  }

  /** Every function in {@code text}, in order; {@code file} names it in diagnostics. */
  public static List<LoopFunc> parseAll(String text, String file) {
    LoopParser p = new LoopParser(text, file);
    List<LoopFunc> funcs = new ArrayList<>();
    while (!p.atEnd()) {
      funcs.add(p.func());
    }
    return funcs;
  }

  private LoopFunc func() {
    int start = skip();
    keyword("loop.func");
    expect('@');
    String name = name();
    keyword("workspace");
    long workspaceBytes = integer();
    long threadScratch = 0;
    if (lookingAt("thread_scratch")) {
      keyword("thread_scratch");
      threadScratch = integer();
    }
    expect('{');
    buffers = new LinkedHashMap<>();
    Map<Buffer.Kind, List<Buffer>> byKind = new HashMap<>();
    for (Buffer.Kind k : Buffer.Kind.values()) {
      byKind.put(k, new ArrayList<>());
    }
    while (true) {
      int at = skip();
      String word = peekWord();
      Buffer.Kind kind = switch (word) {
        case "input" -> Buffer.Kind.INPUT;
        case "output" -> Buffer.Kind.OUTPUT;
        case "constant" -> Buffer.Kind.CONSTANT;
        case "workspace" -> Buffer.Kind.WORKSPACE;
        default -> null;
      };
      if (kind == null) {
        break;
      }
      pos += word.length();
      Buffer b = buffer(kind, byKind.get(kind).size());
      if (buffers.put(b.name(), b) != null) {
        throw error(at, "buffer %" + b.name() + " is declared twice");
      }
      byKind.get(kind).add(b);
    }
    scopes.clear();
    List<Stmt> body = statements();
    try {
      return new LoopFunc(
        name,
        byKind.get(Buffer.Kind.INPUT),
        byKind.get(Buffer.Kind.OUTPUT),
        byKind.get(Buffer.Kind.CONSTANT),
        byKind.get(Buffer.Kind.WORKSPACE),
        workspaceBytes,
        threadScratch,
        body
      );
    } catch (IllegalArgumentException e) {
      throw error(start, e.getMessage());
    }
  }

  private Buffer buffer(Buffer.Kind kind, int param) {
    int at = skip();
    String name = percentName();
    expect(':');
    keyword("buffer");
    expect('<');
    List<Long> dims = new ArrayList<>();
    while (Character.isDigit(peek())) {
      int digitsAt = pos;
      while (pos < text.length() && Character.isDigit(text.charAt(pos))) {
        pos++;
      }
      dims.add(parseLong(digitsAt, text.substring(digitsAt, pos)));
      expect('x');
    }
    Scalar elem = scalar();
    expect('>');
    long[] shape = dims.stream().mapToLong(Long::longValue).toArray();
    try {
      return switch (kind) {
        case INPUT, OUTPUT -> Buffer.param(kind, name, elem, param, shape, string());
        case WORKSPACE -> {
          keyword("at");
          yield Buffer.workspace(name, elem, single(at, shape), integer());
        }
        case CONSTANT -> {
          expect('=');
          yield Buffer.constant(name, elem, data(name, elem, single(at, shape)));
        }
      };
    } catch (IllegalArgumentException | ArithmeticException e) {
      throw error(at, e.getMessage());
    }
  }

  private long single(int at, long[] dims) {
    if (dims.length != 1) {
      throw error(at, "a constant or workspace buffer has one dimension, its length");
    }
    return dims[0];
  }

  private Tensor data(String name, Scalar elem, long length) {
    int at = skip();
    TensorType type = new TensorType(elem.elementType(), Shape.of(length));
    if (lookingAt("elided")) {
      keyword("elided");
      return Tensor.elided(type, name);
    }
    if (lookingAt("0x")) {
      String hex = word();
      long bytes = (hex.length() - 2) / 2;
      if (hex.length() % 2 != 0 || bytes != length * elem.bytes()) {
        throw error(at, "constant %" + name + " needs " + length * elem.bytes() + " bytes of data");
      }
      try {
        return Tensor.fromHex(type, hex);
      } catch (IllegalArgumentException e) {
        throw error(at, "bad hex data: " + e.getMessage());
      }
    }
    expect('[');
    Tensor.Builder b = new Tensor.Builder(type);
    long i = 0;
    while (!accept(']')) {
      if (i > 0) {
        expect(',');
      }
      int valueAt = skip();
      String word = word();
      if (i >= length) {
        throw error(valueAt, "constant %" + name + " has more than " + length + " values");
      }
      if (elem.isFloat()) {
        b.setDouble(i, parseDouble(valueAt, word));
      } else {
        b.setLong(i, parseLong(valueAt, word));
      }
      i++;
    }
    if (i != length) {
      throw error(at, "constant %" + name + " has " + i + " values, needs " + length);
    }
    return b.build();
  }

  private List<Stmt> block() {
    expect('{');
    return statements();
  }

  /** Statements up to the closing brace, in a scope of their own. */
  private List<Stmt> statements() {
    scopes.push(new HashMap<>());
    List<Stmt> body = new ArrayList<>();
    while (!accept('}')) {
      body.add(stmt());
    }
    scopes.pop();
    return body;
  }

  private Stmt stmt() {
    int at = skip();
    try {
      if (peek() == '%') {
        return storeOrAssign(at);
      }
      String word = word();
      return switch (word) {
        case "for" -> forLoop();
        case "while" -> {
          Expr cond = expr();
          yield new Stmt.While(cond, block());
        }
        case "if" -> {
          Expr cond = expr();
          List<Stmt> then = block();
          List<Stmt> otherwise = List.of();
          if (lookingAt("else")) {
            keyword("else");
            otherwise = block();
          }
          yield new Stmt.If(cond, then, otherwise);
        }
        case "let" -> {
          String name = percentName();
          expect(':');
          Scalar type = scalar();
          expect('=');
          Expr init = expr();
          Stmt s = new Stmt.Let(new Expr.Var(name, type), init);
          declare(at, name, type);
          yield s;
        }
        case "call" -> call();
        default -> throw error(at, "expected a statement or '}', found " + found(at, word));
      };
    } catch (IllegalArgumentException e) {
      throw error(at, e.getMessage());
    }
  }

  private Stmt storeOrAssign(int at) {
    String name = percentName();
    if (accept('[')) {
      Buffer b = buffer(at, name);
      Expr index = expr();
      expect(']');
      expect('=');
      return new Stmt.Store(b, index, expr());
    }
    expect(':');
    expect('=');
    return new Stmt.Assign(var(at, name), expr());
  }

  private Stmt forLoop() {
    int at = skip();
    String index = percentName();
    expect('=');
    Expr lower = expr();
    keyword("to");
    Expr upper = expr();
    int vectorize = 0;
    int unroll = 0;
    boolean parallel = false;
    if (lookingAt("vectorize")) {
      keyword("vectorize");
      vectorize = parenthesizedInt();
    }
    if (lookingAt("unroll")) {
      keyword("unroll");
      unroll = parenthesizedInt();
    }
    if (lookingAt("parallel")) {
      keyword("parallel");
      parallel = true;
    }
    scopes.push(new HashMap<>());
    declare(at, index, Scalar.I64);
    List<Stmt> body = block();
    scopes.pop();
    return new Stmt.For(
      new Expr.Var(index, Scalar.I64),
      lower,
      upper,
      new Schedule(vectorize, unroll, parallel),
      body
    );
  }

  private int parenthesizedInt() {
    expect('(');
    int at = skip();
    long v = integer();
    expect(')');
    if (v > Integer.MAX_VALUE) {
      throw error(at, v + " does not fit a schedule");
    }
    return (int) v;
  }

  private Stmt call() {
    skip();
    String kernel = name();
    expect('(');
    List<Stmt.Arg> args = new ArrayList<>();
    while (!accept(')')) {
      if (!args.isEmpty()) {
        expect(',');
      }
      args.add(arg());
    }
    return new Stmt.Call(kernel, args);
  }

  /** One kernel argument: {@code &%buf[index]}, {@code null}, {@code {fields}} or a scalar. */
  private Stmt.Arg arg() {
    int at = skip();
    if (accept('&')) {
      Buffer b = buffer(at, percentName());
      expect('[');
      Expr index = expr();
      expect(']');
      return new Stmt.Pointer(b, index);
    }
    if (accept('{')) {
      List<Expr> fields = new ArrayList<>();
      while (!accept('}')) {
        if (!fields.isEmpty()) {
          expect(',');
        }
        fields.add(expr());
      }
      return new Stmt.Struct(fields);
    }
    if (lookingAt("null")) {
      keyword("null");
      return new Stmt.Null();
    }
    if (lookingAt("exec")) {
      keyword("exec");
      return new Stmt.Exec();
    }
    return new Stmt.Value(expr());
  }

  private Expr expr() {
    int at = skip();
    try {
      return exprAt(at);
    } catch (IllegalArgumentException e) {
      throw error(at, e.getMessage());
    }
  }

  private Expr exprAt(int at) {
    char c = peek();
    if (c == '%') {
      pos++;
      String name = name();
      if (accept('[')) {
        Buffer b = buffer(at, name);
        Expr index = expr();
        expect(']');
        return new Expr.Load(b, index);
      }
      return var(at, name);
    }
    if (c == '-' || Character.isDigit(c) || lookingAt("NaN") || lookingAt("Infinity")) {
      String number = word();
      if (!accept(':')) {
        return new Expr.IntConst(Scalar.I64, parseLong(at, number));
      }
      Scalar type = scalar();
      return type.isFloat()
        ? new Expr.FloatConst(type, parseDouble(at, number))
        : new Expr.IntConst(type, parseLong(at, number));
    }
    String word = word();
    switch (word) {
      case "true", "false" -> {
        return new Expr.IntConst(Scalar.BOOL, word.equals("true") ? 1 : 0);
      }
      case "cast" -> {
        expect('<');
        Scalar type = scalar();
        expect('>');
        return new Expr.Cast(type, arguments(1).getFirst());
      }
      case "bitcast" -> {
        expect('<');
        Scalar type = scalar();
        expect('>');
        return new Expr.BitCast(type, arguments(1).getFirst());
      }
      case "select" -> {
        List<Expr> a = arguments(3);
        return new Expr.Select(a.get(0), a.get(1), a.get(2));
      }
      default -> {}
    }
    for (UnaryOp op : UnaryOp.values()) {
      if (op.text().equals(word)) {
        return new Expr.Unary(op, arguments(1).getFirst());
      }
    }
    for (BinaryOp op : BinaryOp.values()) {
      if (op.text().equals(word)) {
        List<Expr> a = arguments(2);
        return new Expr.Binary(op, a.get(0), a.get(1));
      }
    }
    throw error(at, word.isEmpty() ? "expected an expression" : "unknown operation '" + word + "'");
  }

  private List<Expr> arguments(int count) {
    int at = skip();
    expect('(');
    List<Expr> args = new ArrayList<>();
    while (!accept(')')) {
      if (!args.isEmpty()) {
        expect(',');
      }
      args.add(expr());
    }
    if (args.size() != count) {
      throw error(at, "expected " + count + " operands, found " + args.size());
    }
    return args;
  }

  private Buffer buffer(int at, String name) {
    Buffer b = buffers.get(name);
    if (b == null) {
      throw error(at, "unknown buffer %" + name);
    }
    return b;
  }

  private Expr.Var var(int at, String name) {
    for (Map<String, Scalar> scope : scopes) {
      Scalar t = scope.get(name);
      if (t != null) {
        return new Expr.Var(name, t);
      }
    }
    throw error(at, "unknown variable %" + name);
  }

  private void declare(int at, String name, Scalar type) {
    if (scopes.peek().put(name, type) != null) {
      throw error(at, "variable %" + name + " is declared twice");
    }
  }

  private Scalar scalar() {
    int at = skip();
    String word = word();
    for (Scalar s : Scalar.values()) {
      if (s.text().equals(word)) {
        return s;
      }
    }
    throw error(at, "unknown scalar type '" + word + "'");
  }

  private long integer() {
    int at = skip();
    return parseLong(at, word());
  }

  private long parseLong(int at, String word) {
    try {
      return Long.parseLong(word);
    } catch (NumberFormatException e) {
      throw error(at, "expected an integer, found '" + word + "'");
    }
  }

  private double parseDouble(int at, String word) {
    if (!DECIMAL.matcher(word).matches()) {
      throw error(at, "expected a number, found '" + word + "'");
    }
    return Double.parseDouble(word);
  }

  private String string() {
    int at = skip();
    if (peek() != '"') {
      throw error(at, "expected a string");
    }
    int i = pos + 1;
    while (i < text.length() && text.charAt(i) != '"' && text.charAt(i) != '\n') {
      i += text.charAt(i) == '\\' ? 2 : 1;
    }
    if (i >= text.length() || text.charAt(i) != '"') {
      throw error(at, "unterminated string");
    }
    pos = i + 1;
    try {
      return Printing.unquote(text.substring(at, pos));
    } catch (RuntimeException e) {
      throw error(at, "bad escape in string");
    }
  }

  /** {@code %name}: a buffer or variable name. */
  private String percentName() {
    expect('%');
    return name();
  }

  /** A name after {@code %} or {@code @}: {@code [A-Za-z0-9_.$]+} or a quoted string. */
  private String name() {
    if (pos < text.length() && text.charAt(pos) == '"') {
      return string();
    }
    int start = pos;
    while (pos < text.length() && LoopPrinter.isNameChar(text.charAt(pos))) {
      pos++;
    }
    if (pos == start) {
      throw error(start, "expected a name");
    }
    return text.substring(start, pos);
  }

  /**
   * The run of name characters (plus {@code -} and, after an exponent, {@code +}) at the next
   * token: a keyword, a number or an identifier; empty when the next character starts none.
   */
  private String word() {
    skip();
    int start = pos;
    while (pos < text.length()) {
      char c = text.charAt(pos);
      boolean sign =
        (c == '-' && pos == start) ||
        ((c == '-' || c == '+') && pos > start && "eE".indexOf(text.charAt(pos - 1)) >= 0);
      if (!(LoopPrinter.isNameChar(c) || sign)) {
        break;
      }
      pos++;
    }
    return text.substring(start, pos);
  }

  private String peekWord() {
    int save = pos;
    String w = word();
    pos = save;
    return w;
  }

  private boolean lookingAt(String keyword) {
    skip();
    return text.startsWith(keyword, pos);
  }

  private void keyword(String keyword) {
    int at = skip();
    String w = word();
    if (!w.equals(keyword)) {
      throw error(at, "expected '" + keyword + "', found " + found(at, w));
    }
  }

  private void expect(char c) {
    int at = skip();
    if (at >= text.length() || text.charAt(at) != c) {
      throw error(at, "expected '" + c + "', found " + found(at, peekWord()));
    }
    pos++;
  }

  private boolean accept(char c) {
    skip();
    if (pos < text.length() && text.charAt(pos) == c) {
      pos++;
      return true;
    }
    return false;
  }

  private String found(int at, String word) {
    if (at >= text.length()) {
      return "the end of the input";
    }
    return "'" + (word.isEmpty() ? String.valueOf(text.charAt(at)) : word) + "'";
  }

  private char peek() {
    skip();
    return pos < text.length() ? text.charAt(pos) : '\0';
  }

  private boolean atEnd() {
    return skip() >= text.length();
  }

  /** Skips blanks and comments; the position of the next token. */
  private int skip() {
    while (pos < text.length()) {
      char c = text.charAt(pos);
      if (Character.isWhitespace(c)) {
        pos++;
      } else if (text.startsWith("//", pos)) {
        int nl = text.indexOf('\n', pos);
        pos = nl < 0 ? text.length() : nl + 1;
      } else {
        break;
      }
    }
    return pos;
  }

  private DiagnosticException error(int at, String message) {
    int line = 1;
    int lineStart = 0;
    for (int i = 0; i < Math.min(at, text.length()); i++) {
      if (text.charAt(i) == '\n') {
        line++;
        lineStart = i + 1;
      }
    }
    return DiagnosticException.error(
      new Location.FileLine(file, line, at - lineStart + 1),
      message.startsWith("loop ir: ") ? message.substring("loop ir: ".length()) : message
    );
  }
}
