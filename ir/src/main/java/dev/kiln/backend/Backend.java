package dev.kiln.backend;

import dev.kiln.ir.loop.TargetInfo;

/**
 * A code generator from Loop IR: what the driver ({@code kiln compile}, {@code run}, {@code bench},
 * {@code conformance}) calls for every backend. An instance is made for one target; {@link
 * #target} is the description lowering must use for the Loop IR it is given (the kernel set, the
 * GEMM block that packed weights follow), and {@link #compile} turns that Loop IR into files. A new
 * backend is one module under {@code backends/} implementing this interface.
 */
public interface Backend {
  /** The backend's name as the command line spells it ({@code llvm}, {@code c}). */
  String name();

  /** The target description lowering uses for code this backend compiles. */
  TargetInfo target();

  /**
   * The artifact kind a C toolchain links with a caller's C code into a program ({@link
   * Artifacts.Kind#OBJECT} for an object backend, {@link Artifacts.Kind#C_SOURCE} for a C one):
   * what {@code kiln run} and {@code kiln conformance} ask for.
   */
  Artifacts.Kind linkable();

  /**
   * The artifacts of {@code module} that {@code options} asks for, compiled for {@code target}
   * (which must be {@link #target()}: Loop IR lowered for another target may call kernels with
   * another register block). The same module and options give byte-identical artifacts.
   *
   * @throws UnsupportedOperationException when {@code options} asks for a kind this backend does
   *     not produce
   */
  Artifacts compile(LoopModule module, TargetInfo target, EmitOptions options);
}
