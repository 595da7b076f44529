package dev.kiln.backend.c;

import dev.kiln.backend.AccelHooks;
import dev.kiln.backend.CHeader;
import dev.kiln.backend.LoopModule;
import dev.kiln.ir.Tensor;
import dev.kiln.ir.loop.Buffer;
import dev.kiln.ir.loop.Expr;
import dev.kiln.ir.loop.KernelStruct;
import dev.kiln.ir.loop.LoopFunc;
import dev.kiln.ir.loop.LoopWalk;
import dev.kiln.ir.loop.Scalar;
import dev.kiln.ir.loop.Stmt;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The C99 translation unit {@code NAME.c} of a {@link LoopModule}: constant buffers as 64-byte
 * aligned {@code static const} arrays, one {@code static} function per group of top-level
 * statements (a Graph IR node and the elementwise nodes fused into it, named in a comment above
 * it) taking the buffers it touches (returning {@code int32_t} when it calls kernels: their
 * accelerator hooks' status, see {@link AccelHooks}), and {@code NAME_run_ctx}, {@code
 * NAME_run_parallel}, {@code NAME_run} and {@code
 * NAME_info} as {@link CHeader} declares them. Statements and expressions mean what {@link
 * dev.kiln.ir.loop.LoopInterpreter} says (see {@link CExpressions}). The text depends only on the
 * module, so equal modules give equal files.
 */
final class CSource {

  private static final Set<String> RESERVED = Set.of(
    "auto",
    "break",
    "case",
    "char",
    "const",
    "continue",
    "default",
    "do",
    "double",
    "else",
    "enum",
    "extern",
    "float",
    "for",
    "goto",
    "if",
    "inline",
    "int",
    "long",
    "register",
    "restrict",
    "return",
    "short",
    "signed",
    "sizeof",
    "static",
    "struct",
    "switch",
    "typedef",
    "union",
    "unsigned",
    "void",
    "volatile",
    "while",
    "inputs",
    "outputs",
    "workspace",
    "pool",
    "exec",
    "params",
    "exec_ctx",
    "ctx",
    "run_ctx",
    "status",
    "weights",
    "main"
  );

  private final LoopModule module;
  private final LoopFunc f;
  private final CHelpers helpers = new CHelpers();
  private final Map<Buffer, String> bufferNames = new IdentityHashMap<>();
  private final Map<String, String> varNames = new HashMap<>();
  private final Set<String> taken = new HashSet<>(RESERVED);
  private final Set<String> readVars = new HashSet<>();
  private final Set<String> indexVars = new HashSet<>();
  private final Set<Buffer> aliased = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
  private final CExpressions exprs;
  private final Set<String> kernels = new TreeSet<>();
  private StringBuilder out;
  private int indent;
  private List<Segment> segments;

  /** Constants read from the caller's weights blob instead of arrays: their offsets in it. */
  private final Map<Buffer, Long> weightOffsets;

  private long weightBytes;

  private CSource(LoopModule module, boolean externalWeights) {
    this.module = module;
    this.weightOffsets = externalWeights ? new IdentityHashMap<>() : null;
    this.f = module.func();
    for (Buffer b : f.buffers()) {
      bufferNames.put(b, unique(b.name()));
    }
    Set<String> dataVars = new HashSet<>();
    collect(f.body(), dataVars);
    markAliased();
    this.exprs = new CExpressions(helpers, bufferNames, varNames, dataVars);
  }

  /** The C source of {@code module}, including {@code header} (the generated header's name). */
  static String of(LoopModule module, String header) {
    return new CSource(module, false).file(header);
  }

  /**
   * The C source and weights blob of {@code module} when its constants live in a blob the caller
   * passes in {@code kiln_run_ctx_t.weights}: each used constant's bytes (little-endian, as in
   * memory) at a 64-byte aligned offset, in buffer order.
   */
  record Split(String source, byte[] weights) {}

  static Split withWeightsFile(LoopModule module, String header) {
    CSource c = new CSource(module, true);
    String source = c.file(header);
    byte[] blob = new byte[Math.toIntExact(c.weightBytes)];
    for (var e : c.weightOffsets.entrySet()) {
      byte[] bytes = e.getKey().data().bytes();
      System.arraycopy(bytes, 0, blob, Math.toIntExact(e.getValue()), bytes.length);
    }
    return new Split(source, blob);
  }

  /** The runtime-c kernel hooks ({@link AccelHooks}) the source calls, in name order. */
  static Set<String> kernels(LoopFunc f) {
    Set<String> names = new TreeSet<>();
    calls(f.body(), names);
    return names;
  }

  private static void calls(List<Stmt> body, Set<String> names) {
    for (Stmt s : body) {
      if (s instanceof Stmt.Call c) {
        names.add(AccelHooks.hook(c));
      }
      LoopWalk.bodies(s).forEach(b -> calls(b, names));
    }
  }

  private String unique(String hint) {
    String base = hint.replaceAll("[^A-Za-z0-9_]", "_");
    if (base.isEmpty() || Character.isDigit(base.charAt(0))) {
      base = "v" + base;
    }
    if (base.startsWith("kiln_") || base.startsWith("KILN_")) {
      base = "m_" + base;
    }
    String name = base;
    for (int i = 1; !taken.add(name); i++) {
      name = base + "_" + i;
    }
    return name;
  }

  /**
   * Names every variable, finds the live ones (read by a store, a call, control flow or the value
   * of a live variable; the others and their assignments are not emitted, as C compilers warn
   * about them), and computes which may hold buffer contents (a fixed point: a variable is data
   * when any value given to it is).
   */
  private void collect(List<Stmt> body, Set<String> dataVars) {
    List<Stmt.Let> lets = new ArrayList<>();
    List<Stmt.Assign> assigns = new ArrayList<>();
    walk(body, lets, assigns);
    int live = -1;
    while (live != readVars.size()) {
      live = readVars.size();
      for (Stmt.Let l : lets) {
        if (readVars.contains(l.var().name())) {
          reads(l.init());
        }
      }
      for (Stmt.Assign a : assigns) {
        if (readVars.contains(a.var().name())) {
          reads(a.value());
        }
      }
    }
    boolean changed = true;
    while (changed) {
      changed = false;
      for (Stmt.Let l : lets) {
        changed |= LoopWalk.isData(l.init(), dataVars) && dataVars.add(l.var().name());
      }
      for (Stmt.Assign a : assigns) {
        changed |= LoopWalk.isData(a.value(), dataVars) && dataVars.add(a.var().name());
      }
    }
  }

  private void walk(List<Stmt> body, List<Stmt.Let> lets, List<Stmt.Assign> assigns) {
    for (Stmt s : body) {
      switch (s) {
        case Stmt.For l -> {
          declare(l.index());
          indexVars.add(l.index().name());
        }
        case Stmt.Let l -> {
          declare(l.var());
          lets.add(l);
        }
        case Stmt.Assign a -> assigns.add(a);
        case Stmt.Call c -> kernels.add(c.kernel());
        default -> {}
      }
      if (!(s instanceof Stmt.Let || s instanceof Stmt.Assign)) {
        LoopWalk.operands(s).forEach(this::reads);
      }
      LoopWalk.bodies(s).forEach(b -> walk(b, lets, assigns));
    }
  }

  private void declare(Expr.Var v) {
    varNames.computeIfAbsent(v.name(), this::unique);
  }

  private void reads(Expr e) {
    LoopWalk.vars(e, readVars);
  }

  /**
   * Workspace buffers whose bytes overlap a buffer of another C type are accessed through a {@code
   * may_alias} type on GNU compilers, so type-based alias analysis cannot reorder the accesses.
   */
  private void markAliased() {
    List<Buffer> ws = f.workspace();
    for (Buffer a : ws) {
      for (Buffer b : ws) {
        boolean overlap =
          a.offset() < b.offset() + b.bytes() && b.offset() < a.offset() + a.bytes();
        if (a != b && overlap && !CTypes.memory(a.elem()).equals(CTypes.memory(b.elem()))) {
          aliased.add(a);
        }
      }
    }
  }

  private String file(String header) {
    String name = f.name();
    StringBuilder body = new StringBuilder();
    out = body;
    segments = segments();
    Set<Buffer> used = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
    boolean usesExec = false;
    for (Segment s : segments) {
      used.addAll(s.buffers);
    }
    if (weightOffsets != null) {
      for (Buffer b : f.constants()) {
        if (used.contains(b)) {
          weightOffsets.put(b, weightBytes);
          weightBytes += Math.ceilDiv(b.bytes(), 64) * 64;
        }
      }
    }
    for (Segment s : segments) {
      function(s);
      usesExec |= s.exec;
    }
    entryPoints(used, usesExec);
    info();
    StringBuilder text = new StringBuilder();
    text.append("/* Generated by Kiln from ").append(CHeader.comment(module.source()));
    text.append(" for portable C99. Do not edit. */\n");
    text.append("#include \"").append(header).append("\"\n\n");
    text.append(
      kernels.isEmpty() ? "#include \"kiln/runtime.h\"\n" : "#include \"kiln/accel.h\"\n"
    );
    text.append("#include <math.h>\n#include <stddef.h>\n#include <stdint.h>\n");
    if (helpers.needsString()) {
      text.append("#include <string.h>\n");
    }
    text.append(
      """

      /* Aligns an object to n bytes: C11 _Alignas, a GNU attribute, or MSVC's declspec. */
      #if defined(__STDC_VERSION__) && __STDC_VERSION__ >= 201112L
      #define KILN_ALIGNED(n) _Alignas(n)
      #elif defined(__GNUC__)
      #define KILN_ALIGNED(n) __attribute__((aligned(n)))
      #elif defined(_MSC_VER)
      #define KILN_ALIGNED(n) __declspec(align(n))
      #else
      #define KILN_ALIGNED(n)
      #endif
      """
    );
    if (!aliased.isEmpty()) {
      text.append(
        """

        /* Workspace bytes that hold values of several types in turn are read through these. */
        #if defined(__GNUC__)
        #define KILN_MAY_ALIAS __attribute__((__may_alias__))
        #else
        #define KILN_MAY_ALIAS
        #endif
        """
      );
      Set<String> types = new TreeSet<>();
      aliased.forEach(b -> types.add(CTypes.memory(b.elem())));
      for (String t : types) {
        text.append("typedef ").append(t).append(" KILN_MAY_ALIAS ").append(aliasType(t));
        text.append(";\n");
      }
    }
    if (!helpers.isEmpty()) {
      text.append('\n').append(helpers.definitions());
    }
    constants(text, used);
    text.append(body);
    return text.toString();
  }

  private static String aliasType(String memoryType) {
    return "kiln_" + memoryType.replace("_t", "") + "_alias";
  }

  /** A function of the generated file: statements {@code [from, to)} of the body. */
  private static final class Segment {

    final int from;
    int to;
    final List<String> nodes = new ArrayList<>();
    final Set<Buffer> buffers = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
    boolean exec;
    boolean calls;
    String name;

    Segment(int from, int to, List<String> nodes) {
      this.from = from;
      this.to = to;
      this.nodes.addAll(nodes);
    }
  }

  /**
   * The module's groups, with the statements between them as groups of their own; a group using
   * a variable declared before it is merged into the one before, so every function is closed.
   */
  private List<Segment> segments() {
    List<Stmt> body = f.body();
    List<Segment> raw = new ArrayList<>();
    int at = 0;
    for (LoopModule.Group g : module.groups()) {
      if (g.from() > at) {
        raw.add(new Segment(at, g.from(), List.of()));
      }
      if (g.to() > g.from()) {
        raw.add(new Segment(g.from(), g.to(), g.nodes()));
      }
      at = g.to();
    }
    if (at < body.size()) {
      raw.add(new Segment(at, body.size(), List.of()));
    }
    List<Segment> merged = new ArrayList<>();
    for (Segment s : raw) {
      Set<String> declared = new HashSet<>();
      Set<String> free = new HashSet<>();
      for (Stmt st : body.subList(s.from, s.to)) {
        freeVars(st, declared, free);
      }
      if (!free.isEmpty() && !merged.isEmpty()) {
        Segment last = merged.getLast();
        last.to = s.to;
        last.nodes.addAll(s.nodes);
      } else {
        merged.add(s);
      }
    }
    for (Segment s : merged) {
      String stem = s.nodes.isEmpty()
        ? module.groups().isEmpty() ? "body" : "copy_outputs"
        : stem(s.nodes.getLast());
      s.name = unique(stem + "_" + merged.indexOf(s));
      for (Stmt st : body.subList(s.from, s.to)) {
        usage(st, s);
      }
    }
    return merged;
  }

  private static String stem(String node) {
    String op = node.split(" ", 2)[0];
    op = op.substring(op.lastIndexOf('.') + 1);
    return op.replaceAll("[^A-Za-z0-9_]", "_").toLowerCase(Locale.ROOT);
  }

  private void freeVars(Stmt s, Set<String> declared, Set<String> free) {
    Set<String> reads = new HashSet<>();
    LoopWalk.operands(s).forEach(e -> LoopWalk.vars(e, reads));
    if (s instanceof Stmt.Assign a) {
      reads.add(a.var().name());
    }
    for (String v : reads) {
      if (!declared.contains(v)) {
        free.add(v);
      }
    }
    for (List<Stmt> body : LoopWalk.bodies(s)) {
      Set<String> inner = new HashSet<>(declared);
      if (s instanceof Stmt.For l) {
        inner.add(l.index().name());
      }
      for (Stmt b : body) {
        freeVars(b, inner, free);
      }
    }
    if (s instanceof Stmt.Let l) {
      declared.add(l.var().name());
    }
  }

  private void usage(Stmt s, Segment seg) {
    boolean dead =
      (s instanceof Stmt.Let l && !readVars.contains(l.var().name())) ||
      (s instanceof Stmt.Assign a && !readVars.contains(a.var().name()));
    if (!dead) {
      LoopWalk.operands(s).forEach(e -> LoopWalk.loads(e, seg.buffers));
    }
    if (s instanceof Stmt.Store st) {
      seg.buffers.add(st.buffer());
    }
    if (s instanceof Stmt.Call c) {
      for (Stmt.Arg arg : AccelHooks.args(c)) {
        if (arg instanceof Stmt.Pointer p) {
          seg.buffers.add(p.buffer());
        }
        seg.exec |= arg instanceof Stmt.Exec;
      }
      seg.calls = true;
    }
    LoopWalk.bodies(s).forEach(b -> b.forEach(x -> usage(x, seg)));
  }

  /** The pointer type a function parameter or local of {@code b} has. */
  private String pointerType(Buffer b) {
    String elem = CTypes.memory(b.elem());
    if (aliased.contains(b)) {
      elem = aliasType(elem);
    }
    boolean readOnly = b.kind() == Buffer.Kind.INPUT || b.kind() == Buffer.Kind.CONSTANT;
    return (readOnly ? "const " : "") + elem + " *";
  }

  private List<Buffer> parameters(Segment s) {
    List<Buffer> params = new ArrayList<>();
    for (Buffer b : f.buffers()) {
      if (s.buffers.contains(b) && (b.kind() != Buffer.Kind.CONSTANT || weightOffsets != null)) {
        params.add(b);
      }
    }
    return params;
  }

  private void function(Segment s) {
    out.append('\n');
    if (s.nodes.isEmpty()) {
      out.append(
        module.groups().isEmpty()
          ? "/* All of " + CHeader.comment(f.name()) + ". */\n"
          : "/* Copies of returned values into the outputs. */\n"
      );
    } else {
      out.append("/* ").append(CHeader.comment(String.join(", ", s.nodes))).append(" */\n");
    }
    out.append(s.calls ? "static int32_t " : "static void ").append(s.name).append('(');
    List<String> params = new ArrayList<>();
    for (Buffer b : parameters(s)) {
      params.add(pointerType(b) + exprs.buffer(b));
    }
    if (s.exec) {
      params.add("const kiln_exec_t *exec");
    }
    out.append(params.isEmpty() ? "void" : String.join(", ", params)).append(") {\n");
    indent = 1;
    stmts(f.body().subList(s.from, s.to));
    if (s.calls) {
      line("return 0;");
    }
    out.append("}\n");
  }

  private void line(String text) {
    out.append("  ".repeat(indent)).append(text).append('\n');
  }

  private void stmts(List<Stmt> body) {
    for (Stmt s : body) {
      stmt(s);
    }
  }

  private void block(List<Stmt> body) {
    indent++;
    stmts(body);
    indent--;
  }

  private void stmt(Stmt s) {
    switch (s) {
      case Stmt.For l -> forLoop(l);
      case Stmt.While w -> {
        line("while (" + exprs.top(w.cond()) + ") {");
        block(w.body());
        line("}");
      }
      case Stmt.If i -> {
        line("if (" + exprs.top(i.cond()) + ") {");
        block(i.then());
        if (!i.otherwise().isEmpty()) {
          line("} else {");
          block(i.otherwise());
        }
        line("}");
      }
      case Stmt.Let l -> {
        if (readVars.contains(l.var().name())) {
          line(
            CTypes.value(l.var().type()) +
            " " +
            exprs.var(l.var()) +
            " = " +
            exprs.top(l.init()) +
            ";"
          );
        }
      }
      case Stmt.Assign a -> {
        if (readVars.contains(a.var().name())) {
          line(exprs.var(a.var()) + " = " + exprs.top(a.value()) + ";");
        }
      }
      case Stmt.Store st -> {
        String value = exprs.top(st.value());
        if (st.buffer().elem() == Scalar.BOOL) {
          value = "(uint8_t)(" + value + ")";
        }
        line(exprs.buffer(st.buffer()) + "[" + exprs.top(st.index()) + "] = " + value + ";");
      }
      case Stmt.Call c -> call(c);
    }
  }

  private void forLoop(Stmt.For l) {
    String i = exprs.var(l.index());
    String lower = exprs.top(l.lower());
    if (indexOnly(l.upper())) {
      line(
        "for (int64_t " +
        i +
        " = " +
        lower +
        "; " +
        i +
        " < " +
        exprs.top(l.upper()) +
        "; " +
        i +
        "++) {"
      );
      block(l.body());
      line("}");
      return;
    }
    String end = unique(i + "_end");
    line("{");
    indent++;
    line("const int64_t " + end + " = " + exprs.top(l.upper()) + ";");
    line("for (int64_t " + i + " = " + lower + "; " + i + " < " + end + "; " + i + "++) {");
    block(l.body());
    line("}");
    indent--;
    line("}");
  }

  /** Whether {@code e} reads only constants and loop indices (so re-evaluating it is harmless). */
  private boolean indexOnly(Expr e) {
    Set<String> vars = new HashSet<>();
    LoopWalk.vars(e, vars);
    Set<Buffer> loads = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
    LoopWalk.loads(e, loads);
    return loads.isEmpty() && indexVars.containsAll(vars);
  }

  private void call(Stmt.Call c) {
    List<String> args = new ArrayList<>();
    Stmt.Struct struct = null;
    for (Stmt.Arg a : AccelHooks.args(c)) {
      args.add(
        switch (a) {
          case Stmt.Pointer p -> exprs.address(p.buffer(), p.index());
          case Stmt.Null n -> "NULL";
          case Stmt.Exec x -> "exec";
          case Stmt.Value v -> exprs.top(v.value());
          case Stmt.Struct st -> {
            if (struct != null) {
              throw new IllegalStateException(c.kernel() + " is passed two structs");
            }
            struct = st;
            yield "&params";
          }
        }
      );
    }
    String call = AccelHooks.hook(c) + "(" + String.join(", ", args) + ");";
    line("{");
    indent++;
    if (struct != null) {
      params(c, struct);
    }
    line("const int32_t status = " + call);
    line("if (status != 0) {");
    line("  return status;");
    line("}");
    indent--;
    line("}");
  }

  /** {@code const T params = {...};}: the kernel's parameter struct as a designated initializer. */
  private void params(Stmt.Call c, Stmt.Struct struct) {
    KernelStruct decl = KernelCalls.params(c.kernel());
    if (decl.fields().size() != struct.fields().size()) {
      throw new IllegalStateException(
        c.kernel() +
        " takes " +
        decl.fields().size() +
        " parameter fields, the call passes " +
        struct.fields().size()
      );
    }
    line("const " + decl.cName() + " params = {");
    indent++;
    StringBuilder row = new StringBuilder();
    for (int i = 0; i < decl.fields().size(); i++) {
      KernelStruct.Field field = decl.fields().get(i);
      Expr value = struct.fields().get(i);
      if (value.type() != field.type()) {
        throw new IllegalStateException(
          decl.cName() + "." + field.name() + " is " + field.type() + ", given " + value.type()
        );
      }
      String item = "." + field.name() + " = " + exprs.top(value) + ",";
      if (row.length() > 0 && row.length() + item.length() + 1 > 90) {
        line(row.toString());
        row.setLength(0);
      }
      row.append(row.length() > 0 ? " " : "").append(item);
    }
    line(row.toString());
    indent--;
    line("};");
  }

  private void entryPoints(Set<Buffer> used, boolean usesExec) {
    String name = f.name();
    out.append('\n');
    out.append("int ").append(name);
    out.append("_run_ctx(const void *const *inputs, void *const *outputs, void *workspace,\n");
    out.append("    const struct kiln_run_ctx *ctx) {\n");
    indent = 1;
    boolean in = false;
    boolean outs = false;
    boolean ws = false;
    if (weightOffsets != null) {
      line(
        "const unsigned char *weights = ctx != NULL ? (const unsigned char *)ctx->weights : NULL;"
      );
      line("if (weights == NULL) {");
      line("  return KILN_ERR_BAD_ARGUMENT;");
      line("}");
      line("if (((uintptr_t)(const void *)weights & 63u) != 0) {");
      line("  return KILN_ERR_ALIGNMENT;");
      line("}");
    }
    for (Buffer b : f.buffers()) {
      if (!used.contains(b)) {
        continue;
      }
      String type = pointerType(b);
      if (b.kind() == Buffer.Kind.CONSTANT) {
        if (weightOffsets != null) {
          line(
            type +
            exprs.buffer(b) +
            " = (" +
            type.strip() +
            ")(const void *)(weights + " +
            weightOffsets.get(b) +
            ");"
          );
        }
        continue;
      }
      String init = switch (b.kind()) {
        case INPUT -> {
          in = true;
          yield "(" + type.strip() + ")inputs[" + b.param() + "]";
        }
        case OUTPUT -> {
          outs = true;
          yield "(" + type.strip() + ")outputs[" + b.param() + "]";
        }
        default -> {
          ws = true;
          yield "(" + type.strip() + ")(void *)((unsigned char *)workspace + " + b.offset() + ")";
        }
      };
      line(type + exprs.buffer(b) + " = " + init + ";");
    }
    if (usesExec) {
      line("kiln_exec_t exec_ctx;");
      line("exec_ctx.pool = ctx != NULL ? ctx->pool : NULL;");
      if (f.threadScratchBytes() > 0) {
        ws = true;
        line("exec_ctx.scratch = (unsigned char *)workspace + " + f.arenaBytes() + ";");
      } else {
        line("exec_ctx.scratch = NULL;");
      }
      line("exec_ctx.scratch_stride = " + f.threadScratchBytes() + ";");
      line("exec_ctx.accel = ctx != NULL ? ctx->accel : NULL;");
    }
    if (segments.stream().anyMatch(s -> s.calls)) {
      line("int32_t status;");
    }
    List<String> unused = new ArrayList<>();
    if (!in) {
      unused.add("inputs");
    }
    if (!outs) {
      unused.add("outputs");
    }
    if (!ws) {
      unused.add("workspace");
    }
    if (!usesExec && weightOffsets == null) {
      unused.add("ctx");
    }
    for (String u : unused) {
      line("(void)" + u + ";");
    }
    for (Segment s : segments) {
      List<String> args = new ArrayList<>();
      for (Buffer b : parameters(s)) {
        args.add(exprs.buffer(b));
      }
      if (s.exec) {
        args.add("&exec_ctx");
      }
      String call = s.name + "(" + String.join(", ", args) + ")";
      if (s.calls) {
        line("status = " + call + ";");
        line("if (status != 0) {");
        line("  return status;");
        line("}");
      } else {
        line(call + ";");
      }
    }
    line("return 0;");
    out.append("}\n\n");
    out.append("int ").append(name);
    out.append("_run_parallel(const void *const *inputs, void *const *outputs, void *workspace,\n");
    out.append("    const struct kiln_thread_pool *pool) {\n");
    out.append("  kiln_run_ctx_t run_ctx;\n");
    out.append("  run_ctx.pool = pool;\n");
    out.append("  run_ctx.accel = NULL;\n");
    out.append("  run_ctx.weights = NULL;\n");
    out
      .append("  return ")
      .append(name)
      .append("_run_ctx(inputs, outputs, workspace, &run_ctx);\n");
    out.append("}\n\n");
    out.append("int ").append(name);
    out.append("_run(const void *const *inputs, void *const *outputs, void *workspace) {\n");
    out
      .append("  return ")
      .append(name)
      .append("_run_parallel(inputs, outputs, workspace, NULL);\n");
    out.append("}\n");
  }

  private void info() {
    out.append('\n');
    String inputs = descriptors("kiln_info_inputs", f.inputs());
    String outputs = descriptors("kiln_info_outputs", f.outputs());
    out.append("static const kiln_model_info_t kiln_info = {\n");
    out.append("  KILN_MODEL_ABI_VERSION, ").append(f.inputs().size()).append(", ");
    out.append(f.outputs().size()).append(", 0, ");
    out.append(Math.ceilDiv(f.workspaceBytes(), 64) * 64).append(", ");
    out.append(f.threadScratchBytes()).append(",\n  ").append(inputs).append(", ");
    out.append(outputs).append("\n};\n\n");
    out.append("const struct kiln_model_info *").append(f.name()).append("_info(void) {\n");
    out.append("  return &kiln_info;\n}\n");
  }

  private String descriptors(String array, List<Buffer> buffers) {
    if (buffers.isEmpty()) {
      return "NULL";
    }
    out.append("static const kiln_tensor_desc_t ").append(array).append('[');
    out.append(buffers.size()).append("] = {\n");
    for (Buffer b : buffers) {
      long[] dims = b.dims();
      if (dims.length > 8) {
        throw new IllegalStateException(b + " has rank " + dims.length + ", more than 8");
      }
      String source = b.sourceName() != null ? b.sourceName() : b.name();
      out.append("  { ").append(CHeader.literal(source)).append(", ");
      out.append(CHeader.elemType(b.elem())).append(", ").append(dims.length).append(", {");
      for (int d = 0; d < 8; d++) {
        out.append(d == 0 ? " " : ", ").append(d < dims.length ? dims[d] : 0);
      }
      out.append(" } },\n");
    }
    out.append("};\n");
    return array;
  }

  private void constants(StringBuilder text, Set<Buffer> used) {
    for (Buffer b : f.constants()) {
      if (!used.contains(b) || weightOffsets != null) {
        continue;
      }
      Tensor data = b.data();
      byte[] bytes = data.bytes();
      if (bytes.length != b.bytes()) {
        throw new IllegalStateException(
          "constant " + b + " has " + bytes.length + " bytes, " + b.bytes() + " expected"
        );
      }
      text.append("\n/* ").append(b.length()).append(" x ").append(b.elem()).append(" */\n");
      text.append("static KILN_ALIGNED(64) const ").append(CTypes.memory(b.elem())).append(' ');
      text.append(exprs.buffer(b)).append('[').append(Math.max(1, b.length())).append("] = {");
      ByteBuffer buf = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
      StringBuilder row = new StringBuilder();
      for (long i = 0; i < b.length(); i++) {
        String item = element(b.elem(), buf) + ",";
        if (row.length() > 0 && row.length() + item.length() + 1 > 96) {
          text.append("\n  ").append(row);
          row.setLength(0);
        }
        row.append(row.length() > 0 ? " " : "").append(item);
      }
      if (b.length() == 0) {
        row.append("0");
      }
      text.append("\n  ").append(row).append("\n};\n");
    }
  }

  private static String element(Scalar t, ByteBuffer buf) {
    return switch (t) {
      case BOOL -> buf.get() != 0 ? "1" : "0";
      case I8, I4, I2 -> CExpressions.intConst(Scalar.I8, buf.get());
      case
        U8,
        U4,
        U2,
        F8E4M3FN,
        F8E4M3FNUZ,
        F8E5M2,
        F8E5M2FNUZ,
        F8E8M0,
        F4E2M1 -> CExpressions.intConst(Scalar.U8, buf.get() & 0xff);
      case I16 -> CExpressions.intConst(t, buf.getShort());
      case U16 -> CExpressions.intConst(t, buf.getShort() & 0xffff);
      case F16, BF16 -> String.format("0x%04x", buf.getShort() & 0xffff);
      case I32 -> CExpressions.intConst(t, buf.getInt());
      case U32 -> CExpressions.intConst(t, buf.getInt() & 0xffffffffL);
      case I64, U64 -> CExpressions.intConst(t, buf.getLong());
      case F32 -> CExpressions.floatConst(t, buf.getFloat());
      case F64 -> CExpressions.floatConst(t, buf.getDouble());
    };
  }
}
