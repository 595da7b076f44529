package dev.kiln.cli;

import dev.kiln.analysis.MemoryNeeds;
import dev.kiln.analysis.MemoryPlan;
import dev.kiln.backend.Artifacts;
import dev.kiln.backend.Backend;
import dev.kiln.backend.CHeader;
import dev.kiln.backend.EmitOptions;
import dev.kiln.backend.LoopModule;
import dev.kiln.backend.cuda.CudaBackend;
import dev.kiln.emit.Backends;
import dev.kiln.emit.CHarness;
import dev.kiln.emit.CSelfTest;
import dev.kiln.emit.JavaWrapper;
import dev.kiln.emit.MemoryReport;
import dev.kiln.emit.NativeCompiler;
import dev.kiln.frontend.ImportedModel;
import dev.kiln.ir.DiagnosticException;
import dev.kiln.ir.Func;
import dev.kiln.ir.Location;
import dev.kiln.ir.loop.LoopFunc;
import dev.kiln.ir.text.Printer;
import dev.kiln.lower.Lowering;
import dev.kiln.pass.Pipelines;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code kiln compile MODEL -o DIR --name NAME}: imports a model, optimizes it ({@code -O}, default
 * {@code -O2}), lowers it to Loop IR, and writes {@code DIR/NAME.o} and {@code DIR/NAME.h} for
 * {@code --target} (default: the host). {@code --emit} picks the files: {@code obj}, {@code
 * header}, {@code so} ({@code NAME.so}: the object linked by the bundled {@code ld.lld}), {@code
 * asm} ({@code NAME.s}), {@code llvm} ({@code NAME.ll}, after optimization),
 * {@code ir} ({@code NAME.kir}, the optimized Graph IR), {@code loop} ({@code NAME.loop}, the Loop
 * IR), {@code harness} ({@code NAME_harness.c}), {@code c} (portable C99: {@code NAME.c}, {@code
 * NAME.h}, {@code NAME_kernels.c} and the runtime-c files they need under {@code runtime-c/}; the
 * default of {@code --target c}, which writes no object; with {@code --weights-file} the weights go
 * to {@code NAME_weights.bin} instead of {@code NAME.c}), {@code java} (a typed class on the Java
 * binding, {@code PKG/NameModel.java} for {@code --java-package PKG}; see {@link JavaWrapper}),
 * {@code test} ({@code NAME_test.c}: a self-test with reference outputs; see {@link CSelfTest}).
 * {@code --target nvptx64-nvidia-cuda} (alias {@code cuda}, {@code --cpu
 * sm_80|sm_86|sm_89|sm_90}) writes {@code NAME.ptx} ({@code asm}), {@code NAME.h} with the launch
 * table and {@code NAME_host.c}, the host plan over the CUDA driver API ({@code host-c}). Every
 * file is written to a temporary
 * name and renamed, and nothing is written when compilation fails. Compiling twice gives identical
 * files.
 */
@Command(
  name = "compile",
  mixinStandardHelpOptions = true,
  description = "Compile a model to an object file and a C header (or asm, LLVM IR, a harness)."
)
final class CompileCommand implements Callable<Integer> {

  /** What {@code --emit} can ask for. */
  enum Emit {
    obj,
    header,
    so,
    asm,
    llvm,
    ir,
    loop,
    harness,
    c,
    host_c,
    java,
    test;

    @Override
    public String toString() {
      return name().replace('_', '-');
    }
  }

  @Mixin
  private ModelSource source;

  @Option(names = { "-o", "--output-dir" }, paramLabel = "DIR", description = "Default: .")
  private Path outputDir = Path.of(".");

  @Option(
    names = "--target",
    paramLabel = "TRIPLE",
    description = "Default: the host; c for portable C99 source; cuda for PTX (NVIDIA GPUs)."
  )
  private String target;

  @Option(names = "--cpu", paramLabel = "NAME", description = "Default: the target's baseline.")
  private String cpu;

  @Option(
    names = "--input",
    paramLabel = "NAME=DIMS[:type]",
    description = "Bind an input's shape (and type); native code needs static shapes."
  )
  private List<String> inputs = new ArrayList<>();

  @Option(
    names = "--emit",
    split = ",",
    paramLabel = "KIND",
    description = "Files to write: ${COMPLETION-CANDIDATES} (default: obj,header; cuda: asm,header,host-c)."
  )
  private List<Emit> emit = new ArrayList<>();

  @Option(
    names = "--name",
    paramLabel = "NAME",
    description = "Prefix of the files and C symbols (default: from the model file name)."
  )
  private String name;

  @Option(
    names = "--weights-file",
    description = "Portable C: write the weights to NAME_weights.bin, which the caller passes to NAME_run_ctx, instead of into NAME.c."
  )
  private boolean weightsFile;

  @Option(
    names = "--flash-limit",
    paramLabel = "SIZE",
    description = "Microcontroller targets: fail when flash (.text, .rodata, .data) exceeds SIZE (bytes, K, M)."
  )
  private String flashLimit;

  @Option(
    names = "--ram-limit",
    paramLabel = "SIZE",
    description = "Microcontroller targets: fail when RAM (.data, .bss, workspace, stack) exceeds SIZE."
  )
  private String ramLimit;

  @Option(
    names = "--java-package",
    paramLabel = "PKG",
    description = "Package of the class --emit java writes (default: the unnamed package)."
  )
  private String javaPackage = "";

  @Option(
    names = "--time-phases",
    description = "Print the time of each phase (import, passes, lowering, kernel compilation, " +
    "LLVM IR generation, LLVM optimization, emission, sources, writing) to stderr."
  )
  private boolean timePhases;

  @Option(
    names = { "-q", "--quiet" },
    description = "Print nothing but errors (and --time-phases); a terminal otherwise shows progress."
  )
  private boolean quiet;

  @Mixin
  private PassOptions passOptions;

  @Mixin
  private LimitOptions limits;

  @picocli.CommandLine.ParentCommand
  private Main main;

  @Override
  public Integer call() {
    boolean portable = Backends.C_TARGET.equals(target);
    boolean gpu = CudaBackend.names(target);
    Set<Emit> kinds = emit.isEmpty()
      ? portable
        ? EnumSet.of(Emit.c)
        : gpu ? EnumSet.of(Emit.asm, Emit.header, Emit.host_c) : EnumSet.of(Emit.obj, Emit.header)
      : EnumSet.copyOf(emit);
    if (gpu) {
      Set<Emit> refused = EnumSet.of(Emit.obj, Emit.so, Emit.llvm, Emit.c, Emit.harness);
      refused.retainAll(kinds);
      if (!refused.isEmpty()) {
        throw DiagnosticException.error(
          Location.UNKNOWN,
          "--emit " +
          refused.iterator().next() +
          ": the cuda target writes PTX and a header (--emit asm, header, host-c, ir, loop)"
        );
      }
    } else if (kinds.contains(Emit.host_c)) {
      throw DiagnosticException.error(
        Location.UNKNOWN,
        "--emit host-c: the host plan is written for --target cuda only"
      );
    }
    String prefix = name != null ? name : defaultName(source.model);
    if (!CHeader.validName(prefix)) {
      throw DiagnosticException.error(
        Location.UNKNOWN,
        "--name " + prefix + ": must be a C identifier ([A-Za-z_][A-Za-z0-9_]*, at most 63)"
      );
    }
    if (!javaPackage.isEmpty() && !JavaWrapper.validPackage(javaPackage)) {
      throw DiagnosticException.error(
        Location.UNKNOWN,
        "--java-package " +
        javaPackage +
        ": must be a Java package name (dot-separated identifiers)"
      );
    }
    if (kinds.contains(Emit.c) && target != null && !portable) {
      throw DiagnosticException.error(
        Location.UNKNOWN,
        "--emit c: C source is compiled for --target c, not " + target
      );
    }
    Set<Emit> objectKinds = EnumSet.of(Emit.obj, Emit.so, Emit.asm, Emit.llvm);
    objectKinds.retainAll(kinds);
    if ((portable || kinds.contains(Emit.c)) && !objectKinds.isEmpty()) {
      throw DiagnosticException.error(
        Location.UNKNOWN,
        "--emit " +
        objectKinds.iterator().next() +
        ": the portable C target writes C source (--emit c, header, harness, ir, loop)"
      );
    }
    if (weightsFile && !kinds.contains(Emit.c)) {
      throw DiagnosticException.error(
        Location.UNKNOWN,
        "--weights-file: a separate weights blob is written with the C source (--target c); " +
        "objects keep their weights"
      );
    }
    Backend backend = Backends.forTarget(kinds.contains(Emit.c) ? Backends.C_TARGET : target, cpu);
    boolean mcu = Backends.isMicrocontroller(backend.target());
    Long flash = limit("--flash-limit", flashLimit, mcu);
    Long ram = limit("--ram-limit", ramLimit, mcu);
    ModelInputs in = ModelInputs.of(inputs);
    Phases phases = new Phases(main.err, !quiet && Phases.terminal());
    ImportedModel m = phases.time("import", () -> source.load(in.options()));
    phases.time("passes", () -> {
      passOptions
        .manager(null, Pipelines.DEFAULT_LEVEL, PassOptions.MODEL_DUMPS)
        .run(m.module(), main.err);
      return null;
    });
    Func graph = m.module().funcs().getFirst();
    limits.checkWeights(MemoryNeeds.weights(graph));
    String sourceName = source.model.getFileName().toString();
    LoopModule module = phases.time("lowering", () ->
      Lowering.lowerModule(
        graph,
        prefix,
        m.inputNames(),
        m.outputNames(),
        backend.target(),
        sourceName
      )
    );
    LoopFunc f = module.func();
    if (limits.maxWorkspace > 0 && f.workspaceBytes() > limits.maxWorkspace) {
      limits.checkWorkspace(MemoryNeeds.workspace(MemoryPlan.of(graph)), f.workspaceBytes());
    }
    Set<Artifacts.Kind> wanted = EnumSet.noneOf(Artifacts.Kind.class);
    for (Emit e : kinds) {
      switch (e) {
        case obj -> wanted.add(Artifacts.Kind.OBJECT);
        case so -> wanted.add(Artifacts.Kind.SHARED_LIBRARY);
        case asm -> wanted.add(Artifacts.Kind.ASSEMBLY);
        case llvm -> wanted.add(Artifacts.Kind.LLVM_IR);
        case host_c -> wanted.add(Artifacts.Kind.C_SOURCE);
        case c -> {
          wanted.add(Artifacts.Kind.C_SOURCE);
          if (weightsFile) {
            wanted.add(Artifacts.Kind.WEIGHTS);
          }
        }
        default -> {}
      }
    }
    if (gpu) {
      wanted.add(Artifacts.Kind.ASSEMBLY);
    }
    Map<String, byte[]> files = new LinkedHashMap<>();
    MemoryReport report = null;
    if (mcu) {
      Set<Artifacts.Kind> measured = EnumSet.of(Artifacts.Kind.OBJECT, Artifacts.Kind.ASSEMBLY);
      measured.addAll(wanted);
      Artifacts code = backend.compile(module, backend.target(), new EmitOptions(measured, phases));
      report = MemoryReport.of(f, prefix, code);
      report.check(flash, ram);
      files.putAll(code.files());
      for (Artifacts.Kind k : measured) {
        if (!wanted.contains(k)) {
          files.remove(code.path(k));
        }
      }
    } else if (!wanted.isEmpty()) {
      files.putAll(
        backend.compile(module, backend.target(), new EmitOptions(wanted, phases)).files()
      );
    }
    if (gpu && !kinds.contains(Emit.asm)) {
      files.remove(prefix + ".ptx");
    }
    if (gpu && !kinds.contains(Emit.header)) {
      files.remove(prefix + ".h");
    }
    phases.time("sources", () -> {
      emitSources(kinds, m, f, prefix, sourceName, mcu, files);
      return null;
    });
    phases.time("writing", () -> {
      OutputFiles.writeAll(outputDir, files);
      return null;
    });
    if (timePhases) {
      main.err.printf("kiln compile: %s phases%n", prefix);
      phases.table();
    }
    if (quiet) {
      return Main.OK;
    }
    String[] targetCpu = backend.target().name().split("/", 2);
    main.err.printf(
      "kiln compile: %s for %s, cpu %s (%s kernels): %s%n",
      prefix,
      targetCpu[0],
      targetCpu[1],
      backend.target().kernels(),
      listing(files.keySet())
    );
    if (report != null) {
      main.err.printf("kiln compile: %s%n", report.describe());
    }
    if (files.containsKey(prefix + ".c")) {
      main.err.printf(
        "kiln compile: build with: cc -std=c99 -I %s -c %s%n",
        outputDir.resolve("runtime-c/include"),
        String.join(
          " ",
          files
            .keySet()
            .stream()
            .filter(n -> !n.contains("/") && n.endsWith(".c") && !n.endsWith("_harness.c"))
            .map(n -> outputDir.resolve(n).toString())
            .toList()
        )
      );
    }
    return Main.OK;
  }

  /** A parsed {@code --flash-limit}/{@code --ram-limit}, refused on targets other than MCUs. */
  private static Long limit(String flag, String text, boolean mcu) {
    if (text == null) {
      return null;
    }
    if (!mcu) {
      throw DiagnosticException.error(
        Location.UNKNOWN,
        flag + " applies to microcontroller targets (--target " + NativeCompiler.CORTEX_M + ")"
      );
    }
    Long n = MemoryReport.parseSize(text);
    if (n == null) {
      throw DiagnosticException.error(
        Location.UNKNOWN,
        flag + " " + text + ": expected bytes, or a number with K or M"
      );
    }
    return n;
  }

  /** The C and Java sources {@code kinds} asks for besides the backend's files. */
  private void emitSources(
    Set<Emit> kinds,
    ImportedModel m,
    LoopFunc f,
    String prefix,
    String sourceName,
    boolean mcu,
    Map<String, byte[]> files
  ) {
    if (kinds.contains(Emit.header) || kinds.contains(Emit.harness) || kinds.contains(Emit.test)) {
      files.putIfAbsent(prefix + ".h", utf8(CHeader.of(f, prefix, sourceName)));
    }
    if (kinds.contains(Emit.harness)) {
      files.put(
        prefix + "_harness.c",
        utf8(mcu ? CHarness.bareMetal(f, prefix) : CHarness.of(f, prefix))
      );
    }
    if (kinds.contains(Emit.test)) {
      files.put(prefix + "_test.c", utf8(CSelfTest.of(m.module().funcs().getFirst(), f, prefix)));
    }
    if (kinds.contains(Emit.java)) {
      files.put(
        JavaWrapper.fileName(javaPackage, prefix),
        utf8(JavaWrapper.of(f, prefix, javaPackage, sourceName, Version.get()))
      );
    }
    if (kinds.contains(Emit.ir)) {
      files.put(prefix + ".kir", utf8(Printer.print(m.module())));
    }
    if (kinds.contains(Emit.loop)) {
      files.put(prefix + ".loop", utf8(f.toString()));
    }
  }

  /** The file names, with the files under a folder summarized as {@code folder/ (N files)}. */
  private static String listing(Set<String> names) {
    List<String> out = new ArrayList<>();
    Map<String, Integer> folders = new LinkedHashMap<>();
    for (String n : names) {
      int slash = n.indexOf('/');
      if (slash < 0) {
        out.add(n);
      } else {
        folders.merge(n.substring(0, slash + 1), 1, Integer::sum);
      }
    }
    folders.forEach((d, k) -> out.add(d + " (" + k + " files)"));
    return String.join(" ", out);
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  /** The model file's stem as a C identifier: other characters become '_'. */
  static String defaultName(Path model) {
    String stem = model.getFileName().toString();
    int dot = stem.lastIndexOf('.');
    if (dot > 0) {
      stem = stem.substring(0, dot);
    }
    StringBuilder s = new StringBuilder();
    for (char c : stem.toCharArray()) {
      s.append(Character.isLetterOrDigit(c) && c < 128 ? c : '_');
    }
    if (s.isEmpty() || Character.isDigit(s.charAt(0))) {
      s.insert(0, "model_");
    }
    String n = s.toString().toLowerCase(Locale.ROOT);
    return n.length() > 63 ? n.substring(0, 63) : n;
  }
}
