package dev.kiln.backend;

import dev.kiln.ir.loop.Stmt;
import java.util.ArrayList;
import java.util.List;

/**
 * How generated code calls a runtime-c micro-kernel: through its accelerator hook of {@code
 * kiln/accel.h}, {@code kiln_accel_K}, which offers the call to the run's {@code kiln_accel_t}
 * entry for {@code K} and runs {@code kiln_K} when there is none or it declines. The hook takes the
 * kernel's arguments followed by the run's {@code kiln_exec_t} (the kernels that take one already
 * end with it) and returns {@code int32_t}: 0, or an accelerator's error status, which the run
 * returns at once. Every backend that calls kernels emits calls this way; runtime-c defines a hook
 * for every kernel of {@code kiln/kernels.h} that Loop IR calls.
 */
public final class AccelHooks {

  private AccelHooks() {}

  /** The hook {@code call} goes through: {@code kiln_accel_} and the kernel's name after {@code kiln_}. */
  public static String hook(Stmt.Call call) {
    if (!call.kernel().startsWith("kiln_")) {
      throw new IllegalStateException("runtime-c has no kernel named " + call.kernel());
    }
    return "kiln_accel_" + call.kernel().substring("kiln_".length());
  }

  /** The hook's arguments: the call's, with {@link Stmt.Exec} appended when it does not end in one. */
  public static List<Stmt.Arg> args(Stmt.Call call) {
    List<Stmt.Arg> args = new ArrayList<>(call.args());
    if (args.isEmpty() || !(args.getLast() instanceof Stmt.Exec)) {
      args.add(new Stmt.Exec());
    }
    return args;
  }
}
