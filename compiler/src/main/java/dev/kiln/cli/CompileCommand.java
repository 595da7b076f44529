package dev.kiln.cli;

import dev.kiln.backend.llvm.Clang;
import dev.kiln.backend.llvm.Targets;
import dev.kiln.emit.CHarness;
import dev.kiln.emit.CHeader;
import dev.kiln.emit.NativeCompiler;
import dev.kiln.frontend.ImportedModel;
import dev.kiln.ir.DiagnosticException;
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
 * IR), {@code harness} ({@code NAME_harness.c}). Every file is written to a temporary name and
 * renamed, and nothing is written when compilation fails. Compiling twice gives identical files.
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
  }

  @Mixin
  private ModelSource source;

  @Option(names = { "-o", "--output-dir" }, paramLabel = "DIR", description = "Default: .")
  private Path outputDir = Path.of(".");

  @Option(names = "--target", paramLabel = "TRIPLE", description = "Default: the host.")
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
    description = "Files to write: ${COMPLETION-CANDIDATES} (default: obj,header)."
  )
  private List<Emit> emit = new ArrayList<>();

  @Option(
    names = "--name",
    paramLabel = "NAME",
    description = "Prefix of the files and C symbols (default: from the model file name)."
  )
  private String name;

  @Mixin
  private PassOptions passOptions;

  @picocli.CommandLine.ParentCommand
  private Main main;

  @Override
  public Integer call() {
    Set<Emit> kinds = emit.isEmpty() ? EnumSet.of(Emit.obj, Emit.header) : EnumSet.copyOf(emit);
    String prefix = name != null ? name : defaultName(source.model);
    if (!CHeader.validName(prefix)) {
      throw DiagnosticException.error(
        Location.UNKNOWN,
        "--name " + prefix + ": must be a C identifier ([A-Za-z_][A-Za-z0-9_]*, at most 63)"
      );
    }
    Targets.Resolved resolved = NativeCompiler.resolve(target, cpu);
    ModelInputs in = ModelInputs.of(inputs);
    ImportedModel m = source.load(in.options());
    passOptions
      .manager(null, Pipelines.DEFAULT_LEVEL, PassOptions.MODEL_DUMPS)
      .run(m.module(), main.err);
    LoopFunc f = Lowering.lower(
      m.module().funcs().getFirst(),
      prefix,
      m.inputNames(),
      m.outputNames(),
      Targets.info(resolved)
    );
    Map<String, byte[]> files = new LinkedHashMap<>();
    boolean needObject = kinds.contains(Emit.obj) || kinds.contains(Emit.so);
    if (needObject || kinds.contains(Emit.asm) || kinds.contains(Emit.llvm)) {
      NativeCompiler.Outputs o = NativeCompiler.all(
        f,
        resolved,
        kinds.contains(Emit.asm),
        kinds.contains(Emit.llvm)
      );
      if (kinds.contains(Emit.obj)) {
        files.put(prefix + ".o", o.object());
      }
      if (kinds.contains(Emit.so)) {
        files.put(prefix + ".so", Clang.bundled().linkShared(o.object(), resolved));
      }
      if (kinds.contains(Emit.asm)) {
        files.put(prefix + ".s", utf8(o.assembly()));
      }
      if (kinds.contains(Emit.llvm)) {
        files.put(prefix + ".ll", utf8(o.llvmIr()));
      }
    }
    String sourceName = source.model.getFileName().toString();
    if (kinds.contains(Emit.header) || kinds.contains(Emit.harness)) {
      files.put(prefix + ".h", utf8(CHeader.of(f, prefix, sourceName)));
    }
    if (kinds.contains(Emit.harness)) {
      files.put(prefix + "_harness.c", utf8(CHarness.of(f, prefix)));
    }
    if (kinds.contains(Emit.ir)) {
      files.put(prefix + ".kir", utf8(Printer.print(m.module())));
    }
    if (kinds.contains(Emit.loop)) {
      files.put(prefix + ".loop", utf8(f.toString()));
    }
    OutputFiles.writeAll(outputDir, files);
    main.err.printf(
      "kiln compile: %s for %s, cpu %s (%s kernels): %s%n",
      prefix,
      resolved.target().name(),
      resolved.cpuName(),
      Targets.info(resolved).kernels(),
      String.join(" ", files.keySet())
    );
    return Main.OK;
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
