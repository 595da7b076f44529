package dev.kiln.backend.llvm;

import dev.kiln.backend.Artifacts;
import dev.kiln.backend.Backend;
import dev.kiln.backend.EmitOptions;
import dev.kiln.backend.LoopModule;
import dev.kiln.ir.loop.TargetInfo;
import java.nio.charset.StandardCharsets;
import java.util.EnumSet;
import java.util.Set;

/**
 * The LLVM backend for one resolved target: {@link LlvmCodegen} gives {@code NAME.o}, {@code
 * NAME.s} and {@code NAME.ll} from one compilation, and the bundled {@code ld.lld} links {@code
 * NAME.so} from the object. It produces no C source.
 */
public final class LlvmBackend implements Backend {

  private final Targets.Resolved resolved;
  private final TargetInfo info;

  public LlvmBackend(Targets.Resolved resolved) {
    this.resolved = resolved;
    this.info = Targets.info(resolved);
  }

  /** The resolved target (triple, CPU, features). */
  public Targets.Resolved resolved() {
    return resolved;
  }

  @Override
  public String name() {
    return "llvm";
  }

  @Override
  public Artifacts.Kind linkable() {
    return Artifacts.Kind.OBJECT;
  }

  @Override
  public TargetInfo target() {
    return info;
  }

  @Override
  public Artifacts compile(LoopModule module, TargetInfo target, EmitOptions options) {
    if (!target.equals(info)) {
      throw new IllegalArgumentException(
        "loop ir lowered for " + target.name() + " given to the backend of " + info.name()
      );
    }
    if (options.wants(Artifacts.Kind.C_SOURCE) || options.wants(Artifacts.Kind.WEIGHTS)) {
      throw new UnsupportedOperationException(
        "the llvm backend writes no C source and keeps the weights in the object"
      );
    }
    Set<LlvmTarget.Output> outputs = EnumSet.of(LlvmTarget.Output.OBJECT);
    if (options.wants(Artifacts.Kind.ASSEMBLY)) {
      outputs.add(LlvmTarget.Output.ASSEMBLY);
    }
    if (options.wants(Artifacts.Kind.LLVM_IR)) {
      outputs.add(LlvmTarget.Output.LLVM_IR);
    }
    String name = module.func().name();
    LlvmCodegen.Compiled c = LlvmCodegen.compile(module, resolved, outputs, options.timer());
    Artifacts a = new Artifacts();
    if (options.wants(Artifacts.Kind.OBJECT)) {
      a.add(name + ".o", c.object(), Artifacts.Kind.OBJECT);
    }
    if (options.wants(Artifacts.Kind.SHARED_LIBRARY)) {
      a.add(
        name + ".so",
        options.timer().time("linking", () -> Clang.bundled().linkShared(c.object(), resolved)),
        Artifacts.Kind.SHARED_LIBRARY
      );
    }
    if (options.wants(Artifacts.Kind.ASSEMBLY)) {
      a.add(name + ".s", utf8(c.assembly()), Artifacts.Kind.ASSEMBLY);
    }
    if (options.wants(Artifacts.Kind.LLVM_IR)) {
      a.add(name + ".ll", utf8(c.llvmIr()), Artifacts.Kind.LLVM_IR);
    }
    return a;
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
